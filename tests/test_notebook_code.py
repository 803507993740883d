"""The notebook's own definitions, loaded by cell tag as the benchmarks load them: networks, augmentation, bookkeeping."""

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from notebook_code import notebook_namespace  # noqa: E402


@pytest.fixture(scope="module")
def ns():
    return notebook_namespace(tags=("devices", "model", "recipes", "augmentation", "pipeline", "optimizer", "checks", "records", "submission"))


def test_both_networks_recipes_and_pipeline_load(ns):
    assert set(ns["RECIPES"]) == {"fast", "reference", "modern"}
    assert ns["build_reference_model"]().count_params() == 42_579_946
    modern = ns["build_modern_model"]()
    assert modern.count_params() == 326_826
    assert not any(type(layer).__name__ in ("MaxPooling2D",) for layer in modern.layers)
    assert sum(type(layer).__name__ == "BatchNormalization" for layer in modern.layers) == 7
    images = np.zeros((4, 28, 28, 1), dtype="float32")
    batches = list(ns["make_dataset"](images, np.arange(4), 2, ns["RECIPES"]["fast"]))
    assert len(batches) == 2 and tuple(batches[0][0].shape) == (2, 28, 28, 1) and tuple(batches[0][1].shape) == (2, 10)


def augmented_epochs(ns, seed, epochs=2):
    """Every augmented batch of `epochs` passes over the same 64 random digits."""
    rng = np.random.default_rng(0)
    images = rng.random((64, 28, 28, 1), dtype=np.float32)
    dataset = ns["make_dataset"](images, np.arange(64) % 10, 32, ns["RECIPES"]["modern"], seed=seed)
    return [np.concatenate([batch[0].numpy() for batch in dataset]) for _ in range(epochs)]


def test_augmentation_is_repeatable_from_the_seed_and_new_each_epoch(ns):
    first, second = augmented_epochs(ns, seed=7), augmented_epochs(ns, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))  # a rerun sees the same batches
    assert not np.allclose(first[0], first[1])  # each epoch is augmented anew
    assert not np.allclose(first[0], augmented_epochs(ns, seed=8)[0])  # another seed, other batches


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
