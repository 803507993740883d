"""VALIDATION_RATIO 0: the final fit on every labelled digit, which has no validation score of its own."""

import json
import sys

import numpy as np
import pandas as pd
import pytest

from conftest import loop_namespace
from notebook_code import cell_with, tagged_cells


@pytest.fixture(scope="module")
def final_fit(tmp_path_factory):
    """The notebook's cells from the split to the submission, on 200 small digits, with VALIDATION_RATIO 0."""
    ns = loop_namespace(tmp_path_factory.mktemp("final_fit"), rows=200, tags=("submission", "draw", "metrics"),
                        VALIDATION_RATIO=0.0, ENSEMBLE=2)
    for source in [ns["train_loop"], *tagged_cells("evaluate", "predict")]:
        exec(source, ns)
    return ns


def test_every_labelled_digit_trains_every_network(final_fit):
    ns = final_fit
    for run in ns["runs"]:
        record = json.loads(run.path.read_text())["record"]
        assert record["train_rows"] == 200 and record["validation_rows"] == 0 and run.held_out.shape == (0, 10)
        log = pd.read_csv(run.log)
        assert "val_accuracy" not in log or log["val_accuracy"].isna().all()
        assert run.result["images_per_second"] > 0
    assert [run.record["seed"] for run in ns["runs"]] == [42, 43]


def test_no_validation_score_is_claimed(final_fit, capsys):
    ns = final_fit
    exec(tagged_cells("evaluate")[0], ns)
    assert "this run has no validation score of its own" in capsys.readouterr().out
    assert ns["val_accuracy"] is None and not any(map(len, ns["right"]))
    metrics = ns["run_metrics"](ns["runs"], ns["right"], len(ns["x_test"]), None, 0.1)
    assert metrics["validation_accuracy"] is None and metrics["out_of_fold_accuracy"] is None and metrics["validation_ratio"] == 0
    assert metrics["train_rows"] == 200 and metrics["validation_rows"] == 0 and metrics["train_seconds"] > 0


def test_the_submission_averages_both_networks(final_fit, tmp_path):
    ns = final_fit
    each = [network.predict(ns["x_test"], verbose=0) for network in ns["networks"]]
    assert not np.array_equal(each[0].argmax(axis=1), each[1].argmax(axis=1)) or not np.allclose(each[0], each[1])
    submission = ns["write_submission"](ns["test_probabilities"], tmp_path / "submission.csv")
    expected = (each[0] + each[1]).argmax(axis=1)
    assert (pd.read_csv(tmp_path / "submission.csv")["Label"].to_numpy() == expected).all() and (submission["Label"] == expected).all()


def test_without_anywidget_one_line_says_how_to_draw(final_fit, monkeypatch, capsys):
    ns = final_fit
    monkeypatch.setitem(sys.modules, "anywidget", None)  # any import of anywidget now fails
    ns["display"] = print  # IPython's display, outside a kernel
    exec(cell_with("display(drawing_pad(predict_digits))"), ns)
    assert capsys.readouterr().out.strip() == "To draw a digit here, install anywidget (`pip install anywidget`) and restart the notebook."
