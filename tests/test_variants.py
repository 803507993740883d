"""The recipe variants the benchmarks compare against the notebook's recipe: each does what it says, nothing else."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from run_benchmark import with_variant  # noqa: E402

from conftest import modern_namespace  # noqa: E402

VARIANTS = ROOT / "benchmarks" / "variants"


def variant(name, tmp_path):
    """The notebook's definitions for the modern network, then the variant's cell, as the benchmark runs them."""
    ns = modern_namespace(tmp_path, 300)
    ns["train_rows"] = np.arange(300)
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
