"""VALIDATION_RATIO 0: the final fit on every labelled digit, which has no validation score of its own."""

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from notebook_code import cell_with, tagged_cells  # noqa: E402

from conftest import loop_namespace  # noqa: E402


@pytest.fixture(scope="module")
def final_fit(tmp_path_factory):
    """The notebook's cells from the split to the submission, on 200 small digits, with VALIDATION_RATIO 0."""
    ns = loop_namespace(tmp_path_factory.mktemp("final_fit"), rows=200, tags=("submission", "draw", "metrics"),
                        VALIDATION_RATIO=0.0, ENSEMBLE=2)
    for source in [ns["train_loop"], ns["networks_cell"], *tagged_cells("evaluate", "predict")]:
        exec(source, ns)
    return ns


def test_every_labelled_digit_trains_every_network(final_fit):
    ns = final_fit
    for run in ns["members"]:
        record = json.loads(run.path.read_text())["record"]
        assert record["validation_ratio"] == 0 and record["fold"] is None
        assert record["train_rows"] == 200 and record["validation_rows"] == 0
        log = pd.read_csv(run.log)
        assert "val_accuracy" not in log or log["val_accuracy"].isna().all()
        assert run.result["images_per_second"] > 0  # epochs timed without validation
    assert [run.record["seed"] for run in ns["members"]] == [42, 43]


def test_no_validation_score_is_claimed(final_fit, capsys):
    ns = final_fit
    exec(tagged_cells("evaluate")[0], ns)
    assert "this run has no validation score of its own" in capsys.readouterr().out
    assert ns["val_accuracy"] is None and len(ns["out_of_fold"]) == 0
    metrics = ns["run_metrics"](ns["members"], ns["right"], ns["trainer"], len(ns["x_test"]), None, 0.1)
    assert metrics["validation_accuracy"] is None and metrics["out_of_fold_accuracy"] is None and metrics["validation_ratio"] == 0
    assert metrics["train_rows"] == 200 and metrics["validation_rows"] == 0 and metrics["train_seconds"] > 0


def test_the_submission_averages_both_networks(final_fit, tmp_path):
    ns = final_fit
    submission = ns["write_submission"](ns["test_probabilities"], tmp_path / "submission.csv")
    assert len(submission) == len(ns["x_test"]) == len(pd.read_csv(tmp_path / "submission.csv"))


def test_without_anywidget_one_line_says_how_to_draw(final_fit, monkeypatch, capsys):
    ns = final_fit
    monkeypatch.setitem(sys.modules, "anywidget", None)  # any import of anywidget now fails
    ns["display"] = print  # IPython's display, outside a kernel
    exec(cell_with("display(drawing_pad(predict_digits))"), ns)
    assert capsys.readouterr().out.strip() == "To draw a digit here, install anywidget (`pip install anywidget`) and restart the notebook."
