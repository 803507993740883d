"""The recipe variants the benchmarks compare against the notebook's recipe: each does what it says, nothing else."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from notebook_code import notebook_namespace  # noqa: E402
from run_benchmark import with_variant  # noqa: E402

VARIANTS = ROOT / "benchmarks" / "variants"


def variant(name, tmp_path):
    """The notebook's definitions for the modern network, then the variant's cell, as the benchmark runs them."""
    ns = notebook_namespace(MODEL="modern", tags=("devices", "model", "recipes", "augmentation", "pipeline", "optimizer",
                                                  "training", "runs", "output", "plots"))
    scope, _, _, replicas = ns["choose_devices"]()
    ns.update(distribution_scope=scope, REPLICAS=replicas, JIT_COMPILE=ns["choose_xla"]())  # float32: not mixed
    rng = np.random.default_rng(0)
    images = np.zeros((300, 28, 28, 1), "float32")
    images[:, 6:22, 6:22] = rng.random((300, 16, 16, 1))  # ink inside a blank border, as in MNIST
    ns.update(output_dir=tmp_path, x_all=images, train_rows=np.arange(300))
    ns["model"] = ns["build_modern_model"]()
    ns["compile_model"](ns["model"], ns["train_rows"])
    notebook = ns.copy()
    exec((VARIANTS / f"{name}.py").read_text(), ns)
    return notebook, ns


def test_the_variant_cell_runs_after_the_training_code_before_network_1_trains(tmp_path):
    source = "def train(model, run):\n    pass\n"
    (tmp_path / "mine.py").write_text(source)
    original = json.loads((ROOT / "digit_recognizer.ipynb").read_text())["cells"]
    cells = json.loads(with_variant(tmp_path / "mine.py", tmp_path).read_text())["cells"]
    at = next(i for i, cell in enumerate(cells) if "variant" in cell["metadata"].get("tags", []))
    assert "runs" in cells[at - 1]["metadata"]["tags"] and cells[at]["source"] == source
    assert "training" in cells[at - 3]["metadata"]["tags"] and "".join(cells[at + 2]["source"]).startswith("run = TrainingRun(1)")
    assert cells[:at] + cells[at + 1:] == original  # nothing else changes


def test_the_exponential_variant_takes_five_percent_off_after_each_epoch(tmp_path):
    _, ns = variant("exponential", tmp_path)
    steps = ns["total_steps"](ns["train_rows"])  # 5 batches of 64 in each of 20 epochs
    schedule = ns["model"].optimizer.learning_rate  # network 1 is compiled again with the variant's schedule
    assert ns["recipe"]["schedule"] == "exponential" and steps == 100
    assert [float(ns["learning_rate_schedule"](ns["recipe"], steps)(step)) for step in (0, 4, 5, 99)] == pytest.approx(
        [1e-3, 1e-3, 0.95e-3, 1e-3 * 0.95 ** 19])
    assert float(schedule) == pytest.approx(1e-3)


def test_the_elastic_variant_bends_the_notebooks_affine_transform(tmp_path):
    notebook, ns = variant("elastic", tmp_path)
    images = notebook["x_all"][:16]
    plain = notebook["random_affine"](images, notebook["recipe"], np.random.default_rng(1))
    unbent = ns["random_affine"](images, dict(ns["recipe"], elastic_alpha=0.0), np.random.default_rng(1))
    bent = ns["random_affine"](images, ns["recipe"], np.random.default_rng(1))
    assert np.abs(unbent - plain).max() < 1e-4  # with no bend, the same rotation, zoom and shift, resampled the same
    assert bent.shape == plain.shape and bent.dtype == np.float32 and np.abs(bent - plain).mean() > 0.05
    assert (tmp_path / "augmentation_elastic.png").is_file()


def test_the_ema_variant_saves_the_average_of_the_weights_beside_the_plain_network(tmp_path):
    notebook, ns = variant("ema", tmp_path)
    network, keras = ns["model"], ns["keras"]
    assert ns["TrainingRun"].callbacks is ns["callbacks_with_average"]  # every network gets the callback, and then
    assert ns["notebook_callbacks"].__qualname__ == "TrainingRun.callbacks"  # the notebook's own
    assert ns["train"] is notebook["train"] and ns["build_optimizer"] is notebook["build_optimizer"]  # training as ever
    ns.update(EPOCHS=2, STATISTICS_BATCHES=2)
    labels = keras.utils.to_categorical(np.arange(64) % 10, 10)
    steps = []
    keep = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: steps.append([keras.ops.convert_to_numpy(w) for w in network.trainable_weights]))
    network.fit(ns["x_all"][:64], labels, batch_size=32, epochs=2, verbose=0,
                callbacks=[ns["WeightAverage"](tmp_path / "ema.keras", ns["x_all"]), keep])
    expected = steps[0]
    for weights in steps[1:]:  # 4 steps: the average starts at the first step's weights
        expected = [0.999 * e + 0.001 * w for e, w in zip(expected, weights)]
    averaged = keras.models.load_model(tmp_path / "ema.keras")
    for saved, want in zip(averaged.trainable_weights, expected):
        assert keras.ops.convert_to_numpy(saved) == pytest.approx(want, abs=1e-6)
    assert all(np.array_equal(keras.ops.convert_to_numpy(w), last) for w, last in zip(network.trainable_weights, steps[-1]))
    moving = [keras.ops.convert_to_numpy(layer.moving_mean) for layer in (averaged.layers[1], network.layers[1])]
    assert isinstance(averaged.layers[1], keras.layers.BatchNormalization) and not np.allclose(*moving)  # recomputed


def test_the_ema_variant_recomputes_batch_statistics_for_the_averaged_weights(tmp_path):
    _, ns = variant("ema", tmp_path)
    network, keras = ns["model"], ns["keras"]
    first = next(layer for layer in network.layers if isinstance(layer, keras.layers.BatchNormalization))
    before_first = keras.Sequential(network.layers[:network.layers.index(first)])  # a convolution: no dropout before it
    images = ns["x_all"]
    ns["recompute_batch_statistics"](network, images, batches=1, size=64)  # one batch: its statistics exactly
    rng = np.random.default_rng(ns["SEED"])
    rows = rng.choice(len(images), 64, replace=False)
    inputs = keras.ops.convert_to_numpy(before_first(ns["random_affine"](images[rows], ns["recipe"], rng))).astype("float32")
    mean, variance = (keras.ops.convert_to_numpy(v).astype("float32") for v in (first.moving_mean, first.moving_variance))
    assert mean == pytest.approx(inputs.mean(axis=(0, 1, 2)), rel=1e-3, abs=1e-5)
    assert variance == pytest.approx(inputs.var(axis=(0, 1, 2)), rel=1e-3, abs=1e-5)
    assert first.momentum == 0.99

