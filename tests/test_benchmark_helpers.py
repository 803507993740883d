"""The benchmarks time the notebook's own code: check that they can still load it."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from notebook_code import notebook_namespace  # noqa: E402


def test_benchmarks_load_the_notebooks_model_recipes_and_pipeline():
    ns = notebook_namespace()
    assert set(ns["RECIPES"]) == {"fast", "reference"}
    assert ns["build_model"]().count_params() == 42_579_946
    images = ns["np"].zeros((4, 28, 28, 1), dtype="float32")
    batches = list(ns["make_dataset"](images, ns["np"].arange(4), 2, ns["RECIPES"]["fast"]))
    assert len(batches) == 2 and tuple(batches[0][0].shape) == (2, 28, 28, 1) and tuple(batches[0][1].shape) == (2, 10)
