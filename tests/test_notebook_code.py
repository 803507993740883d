"""The notebook's own definitions, called with small inputs: networks, recipes, the augmentation layer, `train` and its
run folders, the training loop, the submission."""

import json
import linecache

import numpy as np
import pandas as pd
import pytest

from conftest import loop_namespace, small_arrays, training_namespace
from notebook_code import tagged_cells


@pytest.fixture(scope="module")
def ns(tmp_path_factory):
    return training_namespace(tmp_path_factory.mktemp("output"))


def test_the_three_networks_and_their_recipes(ns):
    assert set(ns["RECIPES"]) == {"fast", "reference", "modern", "residual"}
    assert ns["recipe"] == dict(ns["RECIPES"]["modern"], batch_size=8)  # MODEL "modern" takes its own recipe, BATCH_SIZE on one device
    assert ns["build_reference_model"]().count_params() == 42_579_946
    modern = ns["build_modern_model"]()
    assert modern.count_params() == 326_826 and sum(type(layer).__name__ == "BatchNormalization" for layer in modern.layers) == 7
    residual = ns["build_residual_model"](128)  # Doucet's layout at its published width
    assert residual.count_params() == 4_736_522 and sum(type(layer).__name__ == "Add" for layer in residual.layers) == 4
    assert ns["build_residual_model"]().count_params() == 1_188_618  # WIDTH 64: a quarter of the weights


def test_a_misspelt_model_or_recipe_stops_with_the_choices(tmp_path):
    with pytest.raises(Exception, match="MODEL is 'modren'; use one of 'reference', 'modern', 'residual'"):
        training_namespace(tmp_path, MODEL="modren")
    with pytest.raises(Exception, match="RECIPE is 'slow'; use one of 'auto', 'fast', 'reference', 'modern', 'residual'"):
        training_namespace(tmp_path, RECIPE="slow")


def test_the_articles_rmsprop_decays_as_keras_2_did(ns):
    schedule = ns["learning_rate_schedule"](ns["RECIPES"]["reference"], total_steps=100)
    assert float(schedule(0)) == pytest.approx(1e-4) and float(schedule(10_000)) == pytest.approx(1e-4 / 1.1)
    cosine = ns["learning_rate_schedule"](ns["RECIPES"]["fast"], total_steps=100)
    assert float(cosine(0)) == 0 and float(cosine(10)) == pytest.approx(1e-3) and float(cosine(100)) == pytest.approx(0, abs=1e-9)


def test_the_augmentation_draws_numbers_within_the_recipe_seeded_like_dropout(ns):
    keras = ns["keras"]
    numbers = keras.ops.convert_to_numpy(ns["RandomWarp"](ns["RECIPES"]["modern"], seed=1).draw(10_000))
    angle, zoom, shift, elastic = np.degrees(numbers[:, 0]), numbers[:, 1], numbers[:, 2:4], numbers[:, 4:]
    assert 9 < abs(angle).max() <= 10 and abs(zoom - 1).max() <= 0.1 and 2.7 < abs(shift).max() <= 2.8
    assert elastic.shape == (10_000, 32) and not elastic.any()  # no elastic distortion in the modern recipe
    residual = keras.ops.convert_to_numpy(ns["RandomWarp"](ns["RECIPES"]["residual"], seed=1).draw(10_000))[:, 4:]
    assert 0.99 < abs(residual).max() <= 1  # up to a pixel at each grid point
    images = small_arrays(4)[0]
    warps = [ns["RandomWarp"](ns["RECIPES"]["modern"], seed=seed) for seed in (7, 7, 8)]
    first, again, other = (keras.ops.convert_to_numpy(warp(images, training=True)) for warp in warps)
    assert np.array_equal(first, again) and not np.allclose(first, other)  # the same seed, the same digits
    assert not np.allclose(first, keras.ops.convert_to_numpy(warps[0](images, training=True)))  # new numbers at every call
    assert np.array_equal(keras.ops.convert_to_numpy(warps[0](images, training=False)), images)  # nothing outside training


def test_the_augmentation_is_kerass_affine_transform_in_one_resampling(ns):
    keras, warp = ns["keras"], ns["RandomWarp"].warp
    images = small_arrays(16)[0]
    numbers = keras.ops.convert_to_numpy(ns["RandomWarp"](ns["RECIPES"]["modern"], seed=0).draw(16))
    angle, scale, shift_x, shift_y = numbers[:, :4].T
    cos, sin, c = np.cos(angle) / scale, np.sin(angle) / scale, 13.5
    transform = np.stack([cos, -sin, c - cos * c + sin * c - shift_x, sin, cos, c - sin * c - cos * c - shift_y,
                          np.zeros(16), np.zeros(16)], axis=1).astype("float32")  # output pixel (x, y) reads from this point
    expected = keras.ops.convert_to_numpy(keras.ops.image.affine_transform(images, transform, fill_mode="constant"))
    augmented = keras.ops.convert_to_numpy(warp(images, numbers))
    assert np.abs(augmented - expected).max() < 1e-4 and not np.allclose(augmented, images)
    away = (np.eye(1, 36, 1) + 28 * np.eye(1, 36, 2)).astype("float32")
    assert keras.ops.convert_to_numpy(warp(images[:1], away)).max() == 0  # shifted a whole image away


def test_elastic_distortion_moves_pixels_by_the_grids_shifts(ns):
    keras, warp = ns["keras"], ns["RandomWarp"].warp
    images = np.random.default_rng(0).random((2, 28, 28, 1), dtype=np.float32)
    still = np.repeat(np.eye(1, 36, 1, dtype="float32"), 2, axis=0)  # zoom 1, nothing else
    right_by_one = still + np.eye(1, 36, 2, dtype="float32")  # an affine shift of one pixel to the right
    elastic = still.copy()
    elastic[:, 4::2] = -1  # every grid point reads from one pixel to its left: the same shift, as a distortion
    same = [keras.ops.convert_to_numpy(warp(images, numbers)) for numbers in (right_by_one, elastic)]
    assert np.abs(same[0] - same[1]).max() < 1e-5 and np.allclose(same[0][:, :, 1:], images[:, :, :-1], atol=1e-5)
    wavy = still.copy()
    wavy[:, 4:] = np.random.default_rng(1).uniform(-1, 1, (2, 32))
    moved = keras.ops.convert_to_numpy(warp(images, wavy))
    assert 0.05 < np.abs(moved - images).mean() and moved.min() >= 0 and moved.max() <= images.max() + 1e-6  # blends of neighbours


def test_held_out_digits_and_predictions_split_evenly_over_devices(ns):
    images, onehot = small_arrays(5)
    x, y, weights = ns["held_out_data"](images, onehot, devices=4)
    assert x.shape == (8, 28, 28, 1) and y.shape == (8, 10) and weights.tolist() == [1] * 5 + [0] * 3 and not x[5:].any()
    assert ns["held_out_data"](images[:0], onehot[:0], devices=4) is None
    network = ns["keras"].Sequential([ns["keras"].Input((28, 28, 1)), ns["layers"].Flatten(), ns["layers"].Dense(10, activation="softmax")])
    assert np.allclose(ns["predict"](network, images, devices=4), network.predict(images, verbose=0), atol=1e-6)
    assert ns["predict"](network, images[:0]).shape == (0, 10)


def test_files_are_written_in_one_step(ns, tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text('{"old": true}')
    ns["write_atomically"](lambda handle: json.dump({"accuracy": 0.5}, handle), path)
    with pytest.raises(ZeroDivisionError):
        ns["write_atomically"](lambda handle: handle.write(str(1 / 0)), path)  # a write that fails halfway
    assert json.loads(path.read_text()) == {"accuracy": 0.5}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # no temporary file left behind


def test_a_diverged_network_never_overwrites_a_good_submission(tmp_path):
    ns = training_namespace(tmp_path, tags=("output", "submission"))
    (tmp_path / "submission.csv").write_text("ImageId,Label\n1,7\n")
    with pytest.raises(RuntimeError, match="NaN or infinity for 1 test digits"):
        ns["write_submission"](np.where(np.arange(3)[:, None] == 1, np.nan, np.full((3, 10), 0.1)), tmp_path / "submission.csv")
    assert (tmp_path / "submission.csv").read_text() == "ImageId,Label\n1,7\n"  # the good one stays
    probabilities = np.eye(10)[[7, 0, 9]]
    ns["write_submission"](probabilities, tmp_path / "submission.csv")
    assert (tmp_path / "submission.csv").read_text() == "ImageId,Label\n1,7\n2,0\n3,9\n"


def test_the_split_is_stratified_folds_seeded_by_seed(tmp_path):
    ns = loop_namespace(tmp_path, rows=200)
    held_out = np.concatenate([rows for _, rows in ns["folds"]])
    assert len(ns["folds"]) == 10 and sorted(held_out) == list(range(200))  # each digit held out once
    for train_rows, val_rows in ns["folds"]:
        assert np.bincount(ns["y_all"][val_rows]).tolist() == [2] * 10 and not set(train_rows) & set(val_rows)
    again = loop_namespace(tmp_path, rows=200, SEED=7)
    assert not np.array_equal(again["folds"][0][1], ns["folds"][0][1])


def call_train(ns, folder, seed=42, rows=180, build=None, recipe=None, epochs=2):
    """`train` on small arrays, as the training loop calls it."""
    x, y = small_arrays(rows)
    x_val, y_val = small_arrays(20, seed=1)
    return ns["train"](x, y, x_val, y_val, build or ns["BUILDERS"]["modern"], recipe or ns["recipe"], epochs, seed=seed,
                       devices=ns["devices"], folder=folder)


@pytest.fixture(scope="module")
def trained(ns, tmp_path_factory):
    """Two modern networks of two epochs from `train`, with seeds 42 and 43, and a third with seed 42 in another folder."""
    folder = tmp_path_factory.mktemp("models")
    return folder, [call_train(ns, folder, seed) for seed in (42, 43)], call_train(ns, tmp_path_factory.mktemp("again"), 42)


def test_train_fits_every_epoch_and_keeps_its_held_out_answers(ns, trained):
    _, (run, _), _ = trained
    saved = json.loads(run.path.read_text())
    assert saved["status"] == "finished" and saved["record"]["seed"] == 42 and saved["record"]["train_rows"] == 180
    log = pd.read_csv(run.log)
    assert log["epoch"].tolist() == [0, 1] and log["val_accuracy"].notna().all() and len(run.result["epoch_seconds"]) == 2
    assert not (run.folder / "backup").exists()  # a finished run keeps no backup
    x_val = small_arrays(20, seed=1)[0]
    assert np.allclose(run.held_out, run.network.predict(x_val, verbose=0), atol=1e-5)
    assert np.array_equal(np.load(run.folder / "held_out.npy"), run.held_out)
    loaded = ns["keras"].models.load_model(run.model_path)
    assert np.allclose(loaded.predict(x_val, verbose=0), run.held_out, atol=1e-5)


def test_the_same_seed_gives_the_same_network(trained):
    _, (first, other), again = trained
    weights = [run.network.get_weights() for run in (first, other, again)]
    assert all(np.array_equal(a, b) for a, b in zip(weights[0], weights[2]))  # trained twice from seed 42
    assert not np.allclose(weights[0][0], weights[1][0]) and first.folder != other.folder


def test_the_modern_recipe_averages_its_weights_and_measures_their_batch_statistics(ns, trained):
    _, (run, _), _ = trained
    optimizer = run.record["compiled"]["optimizer"]["config"]
    assert optimizer["use_ema"] and optimizer["ema_momentum"] == pytest.approx(1 - 10 / 46)  # 23 steps an epoch, two epochs
    keras = ns["keras"]
    network = ns["BUILDERS"]["modern"]()
    still = dict(ns["recipe"], rotation_degrees=0, zoom=0, shift=0)  # no augmentation: the batch statistics can be computed here
    trainer = keras.Sequential([keras.Input((28, 28, 1)), ns["RandomWarp"](still), network])
    images = small_arrays(180)[0]
    ns["recompute_batch_statistics"](trainer, images, seed=0)
    norm = next(layer for layer in network.layers if isinstance(layer, keras.layers.BatchNormalization))
    assert norm.momentum == 0.9  # as built, once the recomputation is done
    inputs = keras.ops.convert_to_numpy(keras.Sequential(network.layers[:network.layers.index(norm)])(images))  # 180: one batch
    assert keras.ops.convert_to_numpy(norm.moving_mean) == pytest.approx(inputs.mean(axis=(0, 1, 2)), rel=1e-3, abs=1e-5)
    assert keras.ops.convert_to_numpy(norm.moving_variance) == pytest.approx(inputs.var(axis=(0, 1, 2)), rel=1e-3, abs=1e-5)


def test_a_rerun_reuses_the_finished_network(ns, trained, capsys):
    folder, (run, _), _ = trained
    before = run.model_path.stat().st_mtime_ns
    again = call_train(ns, folder, 42)
    assert again.reused and again.folder == run.folder and run.model_path.stat().st_mtime_ns == before
    assert "Reusing the finished network" in capsys.readouterr().out
    assert np.array_equal(again.held_out, run.held_out) and again.result == run.result


EDITED_TRAIN_CELL = "# an edited comment: the code that trains is part of the fingerprint\n"


@pytest.mark.parametrize("change", ["network", "batch size", "data", "training code"])
def test_a_network_made_otherwise_trains_in_a_folder_of_its_own(ns, trained, change, capsys):
    folder, (run, _), _ = trained
    keras, arguments = ns["keras"], {}
    if change == "network":
        arguments["build"] = lambda: keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                                                      keras.layers.Dense(10, activation="softmax")])
    elif change == "batch size":
        arguments["recipe"] = dict(ns["recipe"], batch_size=16)
    elif change == "data":
        arguments["rows"] = 170
    else:  # the train cell edited and run again, as IPython keeps it
        source = EDITED_TRAIN_CELL + tagged_cells("train")[0]
        linecache.cache["<edited cell>"] = (len(source), None, source.splitlines(True), "<edited cell>")
        namespace = dict(ns)
        exec(compile(source, "<edited cell>", "exec"), namespace)
        ns = namespace
    new = call_train(ns, folder, 42, epochs=1, **arguments)
    assert not new.reused and new.folder != run.folder and run.model_path.is_file()  # the earlier network stays as it was
    assert "Reusing" not in capsys.readouterr().out


def test_the_loop_trains_each_network_on_its_fold_with_its_seed(tmp_path, capsys):
    ns = loop_namespace(tmp_path, rows=200, ENSEMBLE=2, EPOCHS=1)
    exec(ns["train_loop"], ns)
    assert [(run.record["seed"], run.record["train_rows"], len(run.held_out)) for run in ns["runs"]] == [(42, 180, 20), (43, 180, 20)]
    for run, (_, held_out) in zip(ns["runs"], ns["folds"]):
        assert np.allclose(run.held_out, run.network.predict(ns["x_all"][held_out], verbose=0), atol=1e-5)
    assert ns["model"] is ns["networks"][0] is ns["runs"][0].network
    assert "Network 2 of 2: seed 43, fold 2 held out" in capsys.readouterr().out
