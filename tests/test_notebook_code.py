"""The notebook's own definitions, called with small inputs: networks, augmentation, batches, the training loop, run folders."""

import json
import linecache
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from notebook_code import notebook_namespace  # noqa: E402

from conftest import loop_namespace  # noqa: E402


@pytest.fixture(scope="module")
def ns():
    return notebook_namespace(tags=("devices", "model", "recipes", "augmentation", "pipeline", "optimizer", "output", "submission"))


def test_both_networks_and_recipes_load(ns):
    assert set(ns["RECIPES"]) == {"fast", "reference", "modern", "residual"}
    assert ns["recipe"] == dict(ns["RECIPES"]["fast"], batch_size=64)  # the reference network's own recipe, BATCH_SIZE on one device
    assert ns["build_reference_model"]().count_params() == 42_579_946
    modern = ns["build_modern_model"]()
    assert modern.count_params() == 326_826
    assert not any(type(layer).__name__ == "MaxPooling2D" for layer in modern.layers)
    assert sum(type(layer).__name__ == "BatchNormalization" for layer in modern.layers) == 7
    residual = ns["build_residual_model"](128)  # Doucet's layout at its published width
    assert residual.count_params() == 4_736_522 and sum(type(layer).__name__ == "Add" for layer in residual.layers) == 4
    assert ns["WIDTH"] == 64 and ns["build_residual_model"]().count_params() == 1_188_618  # a quarter of the weights


def test_batches_hold_images_their_augmentation_numbers_and_labels(ns):
    images = np.zeros((5, 28, 28, 1), dtype="float32")
    batches = ns["Batches"](images, np.eye(10)[np.arange(5)], dict(ns["recipe"], batch_size=2), seed=42)
    (x, params), y = batches[0]
    assert len(batches) == 3 and x.shape == (2, 28, 28, 1) and params.shape == (2, ns["NUMBERS"]) and y.shape == (2, 10)
    assert batches[2][0][0].shape == (1, 28, 28, 1)  # the last batch holds the rest


def test_every_batch_splits_evenly_over_the_devices(ns):
    for rest in range(1, 8):
        rows = 8 * 20 + rest  # batches of 64, 64, 32 and the rest
        batches = ns["Batches"](np.zeros((rows, 28, 28, 1), "float32"), np.eye(10)[np.arange(rows) % 10], ns["recipe"], seed=1, devices=8)
        sizes = [len(batches[i][1]) for i in range(len(batches))]
        assert all(size % 8 == 0 for size in sizes) and sum(sizes) == rows - rest  # the rest sits out this epoch
        assert len(ns["pad"](rows, 8)) == 8 - rest
    x, y, weights = ns["validation_data"](np.ones((5, 28, 28, 1), "float32"), np.eye(10)[:5], devices=4)
    assert x[0].shape == (8, 28, 28, 1) and x[1].shape == (8, ns["NUMBERS"]) and y.shape == (8, 10) and weights.tolist() == [1] * 5 + [0] * 3
    assert ns["validation_data"](np.zeros((0, 28, 28, 1), "float32"), np.zeros((0, 10)), devices=4) is None


def test_the_articles_rmsprop_decays_as_keras_2_did(ns):
    schedule = ns["learning_rate_schedule"](ns["RECIPES"]["reference"], total_steps=100)
    assert float(schedule(0)) == pytest.approx(1e-4) and float(schedule(10_000)) == pytest.approx(1e-4 / 1.1)
    cosine = ns["learning_rate_schedule"](ns["RECIPES"]["fast"], total_steps=100)
    assert float(cosine(0)) == 0 and float(cosine(10)) == pytest.approx(1e-3) and float(cosine(100)) == pytest.approx(0, abs=1e-9)


def epochs_of_batches(ns, seed, epochs=2, first_epoch=0):
    """Every batch (images, augmentation numbers, labels) of `epochs` passes over the same 64 random digits."""
    images = np.random.default_rng(0).random((64, 28, 28, 1), dtype=np.float32)
    batches = ns["Batches"](images, np.eye(10)[np.arange(64) % 10], dict(ns["RECIPES"]["modern"], batch_size=32), seed=seed)
    batches.epoch = first_epoch  # as the training loop sets it when it resumes
    passes = []
    for _ in range(epochs):
        passes.append([np.concatenate(part) for part in zip(*[(x, p, y) for (x, p), y in (batches[i] for i in range(len(batches)))])])
        batches.on_epoch_end()  # as Keras calls it after each epoch
    return passes


def test_batches_are_repeatable_from_the_seed_and_new_each_epoch(ns):
    first, second = epochs_of_batches(ns, seed=7), epochs_of_batches(ns, seed=7)
    assert all(np.array_equal(a, b) for one, other in zip(first, second) for a, b in zip(one, other))  # a rerun sees the same
    assert not np.allclose(first[0][1], first[1][1])  # each epoch is augmented anew
    assert not np.array_equal(first[0][2], first[1][2])  # and shuffled anew: the labels come in another order
    assert not np.allclose(first[0][1], epochs_of_batches(ns, seed=8)[0][1])  # another seed, other batches
    resumed = epochs_of_batches(ns, seed=7, epochs=1, first_epoch=1)  # a run resumed after its first epoch
    assert all(np.array_equal(a, b) for a, b in zip(resumed[0], first[1]))


def test_augmentation_numbers_stay_within_the_recipe(ns):
    params = ns["draw_augmentation"](10_000, ns["RECIPES"]["modern"], np.random.default_rng(0))
    angle, zoom, shift = np.degrees(params[:, 0]), params[:, 1], params[:, 2:]
    assert abs(angle).max() <= 10 and 9 < abs(angle).max() and abs(zoom - 1).max() <= 0.1 and abs(shift[:, :2]).max() <= 2.8
    assert not shift[:, 2:].any()  # no elastic distortion in the modern recipe
    elastic = ns["draw_augmentation"](10_000, ns["RECIPES"]["residual"], np.random.default_rng(0))[:, 4:]
    assert elastic.shape == (10_000, 32) and 0.99 < abs(elastic).max() <= 1  # up to a pixel at each grid point


def test_the_augmentation_layer_is_kerass_affine_transform_in_one_compiled_step(ns):
    keras = ns["keras"]
    rng = np.random.default_rng(0)
    images = np.zeros((16, 28, 28, 1), "float32")
    images[:, 5:23, 8:20] = rng.random((16, 18, 12, 1))
    params = ns["draw_augmentation"](16, ns["RECIPES"]["modern"], rng)
    angle, scale, shift_x, shift_y = params[:, :4].T
    cos, sin, c = np.cos(angle) / scale, np.sin(angle) / scale, 13.5
    transform = np.stack([cos, -sin, c - cos * c + sin * c - shift_x, sin, cos, c - sin * c - cos * c - shift_y,
                          np.zeros(16), np.zeros(16)], axis=1).astype("float32")  # output pixel (x, y) reads from this point
    expected = keras.ops.convert_to_numpy(keras.ops.image.affine_transform(images, transform, fill_mode="constant"))
    trainer = ns["with_augmentation"](keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Identity()]))
    compiled = keras.Model(trainer.inputs, trainer.layers[-2].output)  # the augmentation layer's own output
    assert compiled.layers[-1].compute_dtype == "float32"
    augmented = keras.ops.convert_to_numpy(compiled([images, params], training=True))
    assert np.abs(augmented - expected).max() < 1e-4 and not np.allclose(augmented, images)
    assert np.array_equal(keras.ops.convert_to_numpy(compiled([images, params], training=False)), images)  # nothing at prediction
    away = np.zeros((1, ns["NUMBERS"]), "float32") + np.eye(1, ns["NUMBERS"], 1) + 28 * np.eye(1, ns["NUMBERS"], 2)
    assert keras.ops.convert_to_numpy(compiled([images[:1], away], training=True)).max() == 0  # shifted a whole image away


def test_elastic_distortion_moves_pixels_by_the_grids_shifts(ns):
    keras, numbers = ns["keras"], ns["NUMBERS"]
    images = np.random.default_rng(0).random((2, 28, 28, 1), dtype=np.float32)
    warp = ns["with_augmentation"](keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Identity()])).layers[-2]
    still = np.zeros((2, numbers), "float32") + np.eye(1, numbers, 1)  # zoom 1, nothing else
    right_by_one = still + np.eye(1, numbers, 2)  # an affine shift of one pixel to the right
    elastic = still.copy()
    elastic[:, 4::2] = -1  # every grid point reads from one pixel to its left: the same shift, as a distortion
    same = [keras.ops.convert_to_numpy(warp([images, p], training=True)) for p in (right_by_one, elastic)]
    assert np.abs(same[0] - same[1]).max() < 1e-5 and np.allclose(same[0][:, :, 1:], images[:, :, :-1], atol=1e-5)
    wavy = still.copy()
    wavy[:, 4:] = np.random.default_rng(1).uniform(-1, 1, (2, numbers - 4))
    moved = keras.ops.convert_to_numpy(warp([images, wavy], training=True))
    assert 0.05 < np.abs(moved - images).mean() and moved.min() >= 0 and moved.max() <= images.max() + 1e-6  # blends of neighbours


def test_files_are_written_in_one_step(ns, tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text('{"old": true}')
    ns["write_atomically"](lambda handle: json.dump({"accuracy": 0.5}, handle), path)
    with pytest.raises(ZeroDivisionError):
        ns["write_atomically"](lambda handle: handle.write(str(1 / 0)), path)  # a write that fails halfway
    assert json.loads(path.read_text()) == {"accuracy": 0.5}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # no temporary file left behind


def test_submission_check_stops_on_diverged_or_malformed_predictions(ns, tmp_path):
    good = pd.DataFrame({"ImageId": [1, 2, 3], "Label": [7, 0, 9]})
    probabilities = np.full((3, 10), 0.1)
    ns["check_submission"](good, probabilities, 3)
    with pytest.raises(RuntimeError, match="NaN or infinity for 1 test digits"):
        ns["check_submission"](good, np.where(np.arange(3)[:, None] == 1, np.nan, probabilities), 3)
    with pytest.raises(RuntimeError, match="2 rows where ImageId,Label and 3 rows"):
        ns["check_submission"](good.iloc[:2], probabilities[:2], 3)
    with pytest.raises(RuntimeError, match="ImageIds are not 1, 2"):
        ns["check_submission"](good.assign(ImageId=[0, 1, 2]), probabilities, 3)
    (tmp_path / "submission.csv").write_text("ImageId,Label\n1,7\n")
    with pytest.raises(RuntimeError):
        ns["write_submission"](np.full((3, 10), np.nan), tmp_path / "submission.csv")
    assert (tmp_path / "submission.csv").read_text() == "ImageId,Label\n1,7\n"  # the good one stays


def test_the_split_is_stratified_folds_seeded_by_seed(tmp_path):
    ns = loop_namespace(tmp_path, rows=200)
    held_out = np.concatenate([rows for _, rows in ns["folds"]])
    assert len(ns["folds"]) == 10 and sorted(held_out) == list(range(200))  # each digit held out once
    for train_rows, val_rows in ns["folds"]:
        assert np.bincount(ns["y_all"][val_rows]).tolist() == [2] * 10 and not set(train_rows) & set(val_rows)
    again = loop_namespace(tmp_path, rows=200, SEED=7)
    assert not np.array_equal(again["folds"][0][1], ns["folds"][0][1])


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The notebook's training loop, run as it is on 200 small digits: two modern networks of two epochs."""
    ns = loop_namespace(tmp_path_factory.mktemp("loop"), rows=200, ENSEMBLE=2)
    exec(ns["train_loop"], ns)
    return ns


def test_the_loop_trains_each_network_on_its_fold_with_its_seed(trained):
    ns = trained
    records = [json.loads(run.path.read_text()) for run in ns["members"]]
    assert [r["status"] for r in records] == ["finished", "finished"]
    assert [(r["record"]["seed"], r["record"]["fold"], r["record"]["train_rows"]) for r in records] == [(42, 1, 180), (43, 2, 180)]
    for run in ns["members"]:
        log = pd.read_csv(run.log)
        assert log["epoch"].tolist() == [0, 1] and log["val_accuracy"].notna().all() and len(run.result["epoch_seconds"]) == 2
        assert not (run.folder / "backup").exists()  # a finished run keeps no backup
    assert ns["members"][0].folder != ns["members"][1].folder


def test_the_modern_recipe_ends_with_averaged_weights_and_their_own_batch_statistics(trained):
    ns, keras = trained, trained["keras"]
    optimizer = ns["trainer"].optimizer
    assert optimizer.use_ema and optimizer.ema_momentum == pytest.approx(1 - 10 / 46)  # 23 steps an epoch, two epochs
    network = ns["network"]
    norm = next(layer for layer in network.layers if isinstance(layer, keras.layers.BatchNormalization))
    assert norm.momentum == 0.9  # as built, once the recomputation is done
    before = keras.Sequential(network.layers[:network.layers.index(norm)])  # a convolution: no dropout before it
    rows = ns["folds"][1][0]
    batch = ns["Batches"](ns["x_all"][rows], ns["y_onehot"][rows], dict(ns["recipe"], batch_size=256), seed=43)
    (images, params), _ = batch[0]  # 180 rows: one batch, whose statistics the recomputation kept
    augmented = ns["trainer"].layers[-2]([images, params], training=True)
    inputs = keras.ops.convert_to_numpy(before(augmented)).astype("float32")
    mean, variance = (keras.ops.convert_to_numpy(v).astype("float32") for v in (norm.moving_mean, norm.moving_variance))
    assert mean == pytest.approx(inputs.mean(axis=(0, 1, 2)), rel=1e-3, abs=1e-5)
    assert variance == pytest.approx(inputs.var(axis=(0, 1, 2)), rel=1e-3, abs=1e-5)


def test_a_rerun_reuses_each_finished_network(trained, capsys):
    ns = trained
    before = [(run.model_path.stat().st_mtime_ns, run.folder) for run in ns["members"]]
    exec(ns["train_loop"], ns)
    assert [(run.model_path.stat().st_mtime_ns, run.folder) for run in ns["members"]] == before
    assert all(run.reused for run in ns["members"]) and capsys.readouterr().out.count("reusing the finished model") == 2


EDITED_AUGMENTATION = "def draw_augmentation(n, recipe, rng):\n    return np.zeros((n, NUMBERS), 'float32') + np.eye(1, NUMBERS, 1)\n"


@pytest.mark.parametrize("change", ["network", "batch size", "data", "augmentation code"])
def test_a_network_made_otherwise_trains_in_a_folder_of_its_own(trained, change, capsys):
    ns = loop_namespace(trained["output_dir"], rows=200, ENSEMBLE=1)
    keras = ns["keras"]
    if change == "network":
        ns["BUILDERS"]["modern"] = lambda: keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                                                            keras.layers.Dense(10, activation="softmax")])
    elif change == "batch size":
        ns["recipe"] = dict(ns["recipe"], batch_size=16)
    elif change == "data":
        ns["train_frame"] = ns["train_frame"].assign(pixel400=0)
    else:  # an edited cell, as IPython keeps it
        linecache.cache["<edited cell>"] = (len(EDITED_AUGMENTATION), None, EDITED_AUGMENTATION.splitlines(True), "<edited cell>")
        exec(compile(EDITED_AUGMENTATION, "<edited cell>", "exec"), ns)
    exec(ns["train_loop"], ns)
    assert "reusing" not in capsys.readouterr().out
    assert ns["members"][0].folder not in {run.folder for run in trained["members"]}
    assert all(run.model_path.is_file() for run in trained["members"])  # the earlier networks stay as they were
