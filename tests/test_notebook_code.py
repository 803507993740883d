"""The notebook's own definitions, loaded by cell tag as the benchmarks load them: networks, augmentation, bookkeeping."""

import json
import math
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from notebook_code import notebook_namespace  # noqa: E402

from conftest import modern_namespace  # noqa: E402


@pytest.fixture(scope="module")
def ns():
    return notebook_namespace(tags=("devices", "model", "recipes", "augmentation", "pipeline", "optimizer", "output", "submission"))


def test_both_networks_recipes_and_pipeline_load(ns):
    assert set(ns["RECIPES"]) == {"fast", "reference", "modern"}
    assert ns["recipe"] == dict(ns["RECIPES"]["fast"], batch_size=64)  # the reference network's own recipe, BATCH_SIZE on one device
    assert ns["build_reference_model"]().count_params() == 42_579_946
    modern = ns["build_modern_model"]()
    assert modern.count_params() == 326_826
    assert not any(type(layer).__name__ in ("MaxPooling2D",) for layer in modern.layers)
    assert sum(type(layer).__name__ == "BatchNormalization" for layer in modern.layers) == 7
    images = np.zeros((5, 28, 28, 1), dtype="float32")
    batches = ns["Batches"](images, np.eye(10)[np.arange(5)], dict(ns["recipe"], batch_size=2), seed=42)
    assert len(batches) == 3 and batches[0][0].shape == (2, 28, 28, 1) and batches[0][1].shape == (2, 10)
    assert batches[2][0].shape == (1, 28, 28, 1)  # the last batch holds the rest


def test_every_batch_splits_evenly_over_the_devices(ns):
    ns["REPLICAS"] = 8
    try:
        for rest in range(1, 8):
            rows = 8 * 20 + rest  # batches of 64, 64, 32 and the rest
            batches = ns["Batches"](np.zeros((rows, 28, 28, 1), "float32"), np.eye(10)[np.arange(rows) % 10], ns["recipe"], seed=1)
            sizes = [len(batches[i][0]) for i in range(len(batches))]
            assert all(size % 8 == 0 for size in sizes) and sum(sizes) == rows - rest  # the rest sits out this epoch
            assert ns["padding"](rows) == 8 - rest and ns["total_steps"](np.arange(rows)) == len(batches) * ns["EPOCHS"]
    finally:
        ns["REPLICAS"] = 1


def test_the_articles_rmsprop_decays_as_keras_2_did(ns):
    schedule = ns["learning_rate_schedule"](ns["RECIPES"]["reference"], total_steps=100)
    assert float(schedule(0)) == pytest.approx(1e-4) and float(schedule(10_000)) == pytest.approx(1e-4 / 1.1)
    cosine = ns["learning_rate_schedule"](ns["RECIPES"]["fast"], total_steps=100)
    assert float(cosine(0)) == 0 and float(cosine(10)) == pytest.approx(1e-3) and float(cosine(100)) == pytest.approx(0, abs=1e-9)


def augmented_epochs(ns, seed, epochs=2, first_epoch=0):
    """Every augmented batch, with its labels, of `epochs` passes over the same 64 random digits."""
    rng = np.random.default_rng(0)
    images = rng.random((64, 28, 28, 1), dtype=np.float32)
    recipe = dict(ns["RECIPES"]["modern"], batch_size=32)
    batches = ns["Batches"](images, np.eye(10)[np.arange(64) % 10], recipe, seed=seed, first_epoch=first_epoch)
    passes = []
    for _ in range(epochs):
        passes.append([np.concatenate(parts) for parts in zip(*[batches[i] for i in range(len(batches))])])
        batches.on_epoch_end()  # as Keras calls it after each epoch
    return passes


def test_augmentation_is_repeatable_from_the_seed_and_new_each_epoch(ns):
    first, second = augmented_epochs(ns, seed=7), augmented_epochs(ns, seed=7)
    assert all(np.array_equal(a, b) for one, other in zip(first, second) for a, b in zip(one, other))  # a rerun sees the same
    assert not np.allclose(first[0][0], first[1][0])  # each epoch is augmented anew
    assert not np.array_equal(first[0][1], first[1][1])  # and shuffled anew: the labels come in another order
    assert not np.allclose(first[0][0], augmented_epochs(ns, seed=8)[0][0])  # another seed, other batches
    resumed = augmented_epochs(ns, seed=7, epochs=1, first_epoch=1)  # a run resumed after its first epoch
    assert all(np.array_equal(a, b) for a, b in zip(resumed[0], first[1]))


def test_augmentation_moves_the_digit_and_keeps_its_ink(ns):
    image = np.zeros((1, 28, 28, 1), dtype=np.float32)
    image[0, 10:18, 12:16] = 1.0  # a bar in the middle
    moved = ns["random_affine"](np.repeat(image, 16, axis=0), ns["RECIPES"]["modern"], np.random.default_rng(0))
    assert moved.shape == (16, 28, 28, 1) and 0 <= moved.min() and moved.max() <= 1.0 + 1e-6
    assert not np.allclose(moved, image)  # transformed
    ink = moved.sum(axis=(1, 2, 3)) / image.sum()
    assert ((0.7 < ink) & (ink < 1.35)).all()  # zoom of at most 10% changes the ink by about 20% at most


def test_json_bookkeeping_is_atomic_and_never_writes_nan(ns, tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text('{"old": true}')
    ns["write_json"]({"accuracy": float("nan"), "speeds": [1.5, math.inf], "nested": {"x": float("nan")}}, path)
    assert json.loads(path.read_text()) == {"accuracy": None, "speeds": [1.5, None], "nested": {"x": None}}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # no temporary file left behind


def test_submission_check_stops_on_diverged_or_malformed_predictions(ns):
    good = pd.DataFrame({"ImageId": [1, 2, 3], "Label": [7, 0, 9]})
    probabilities = np.full((3, 10), 0.1)
    ns["check_submission"](good, probabilities, 3)
    with pytest.raises(RuntimeError, match="NaN or infinity for 1 test digits"):
        ns["check_submission"](good, np.where(np.arange(3)[:, None] == 1, np.nan, probabilities), 3)
    with pytest.raises(RuntimeError, match="2 rows where ImageId,Label and 3 rows"):
        ns["check_submission"](good.iloc[:2], probabilities[:2], 3)
    with pytest.raises(RuntimeError, match="ImageIds are not 1, 2"):
        ns["check_submission"](good.assign(ImageId=[0, 1, 2]), probabilities, 3)


@pytest.fixture
def modern(tmp_path):
    """The modern network's definitions up to training, with 96 small random digits as the data."""
    ns = modern_namespace(tmp_path, 96)
    ns.update(y_onehot=np.eye(10, dtype="float32")[np.arange(96) % 10], EPOCHS=4, recipe=dict(ns["recipe"], batch_size=8))
    return ns


def test_the_modern_recipe_ends_with_the_average_of_its_weights_and_their_own_batch_statistics(modern):
    ns, keras = modern, modern["keras"]
    assert not ns["build_optimizer"](ns["RECIPES"]["fast"], 11_820).use_ema  # the article's network keeps its last weights
    assert ns["build_optimizer"](ns["RECIPES"]["modern"], 11_820).ema_momentum == 0.999  # 20 epochs of 591 steps
    network = ns["build_modern_model"]()
    run = SimpleNamespace(train_rows=np.arange(64), val_rows=np.arange(64, 96), seed=3, done=0)
    ns["compile_model"](network, run.train_rows)
    assert network.optimizer.use_ema and network.optimizer.ema_momentum == pytest.approx(1 - 10 / 32)  # a short run's
    steps = []
    run.callbacks = lambda: [keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: steps.append([keras.ops.convert_to_numpy(w) for w in network.trainable_weights]))]
    ns["train"](network, run)
    expected = steps[0]
    for weights in steps[1:]:  # 32 steps: the average starts at the first step's weights
        expected = [(1 - 10 / 32) * e + 10 / 32 * w for e, w in zip(expected, weights)]
    assert len(steps) == 32
    for weight, want in zip(network.trainable_weights, expected):
        assert keras.ops.convert_to_numpy(weight) == pytest.approx(want, abs=1e-6)
    assert not all(np.allclose(keras.ops.convert_to_numpy(w), last) for w, last in zip(network.trainable_weights, steps[-1]))
    first = next(layer for layer in network.layers if isinstance(layer, keras.layers.BatchNormalization))
    before_first = keras.Sequential(network.layers[:network.layers.index(first)])  # a convolution: no dropout before it
    batch = ns["Batches"](ns["x_all"][run.train_rows], ns["y_onehot"][run.train_rows], dict(ns["recipe"], batch_size=256), seed=3)
    inputs = keras.ops.convert_to_numpy(before_first(batch[0][0])).astype("float32")  # 64 rows: one batch, its statistics
    mean, variance = (keras.ops.convert_to_numpy(v).astype("float32") for v in (first.moving_mean, first.moving_variance))
    assert mean == pytest.approx(inputs.mean(axis=(0, 1, 2)), rel=1e-3, abs=1e-5)
    assert variance == pytest.approx(inputs.var(axis=(0, 1, 2)), rel=1e-3, abs=1e-5)
    assert first.momentum == 0.99


def test_a_run_too_short_to_average_keeps_the_batch_statistics_fit_left(modern):
    ns = modern
    network = ns["build_modern_model"]()
    run = SimpleNamespace(train_rows=np.arange(64), val_rows=np.arange(64, 96), seed=3, done=0, callbacks=list)
    ns.update(EPOCHS=1)  # 8 steps: under the 10 an average needs, so the optimizer keeps its last weights
    ns["compile_model"](network, run.train_rows)
    assert not network.optimizer.use_ema
    recomputed = []
    ns["recompute_batch_statistics"] = lambda *arguments: recomputed.append(arguments)
    ns["train"](network, run)
    assert recomputed == []  # the raw weights' own statistics stay: nothing was swapped in
