"""VALIDATION_RATIO 0: the final fit on every labelled digit, which has no validation score of its own."""

import json
import os

import numpy as np
import pandas as pd
import pytest

from conftest import member_folders, metrics_of, run_notebook


@pytest.fixture(scope="module")
def final_fit(tmp_path_factory):
    """The final fit, run where anywidget cannot be imported (only the drawing pad needs it)."""
    blocker = tmp_path_factory.mktemp("no_anywidget")
    (blocker / "sitecustomize.py").write_text('import sys\nsys.modules["anywidget"] = None\n')
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(blocker), saved]))
    try:
        output_dir = tmp_path_factory.mktemp("final_fit") / "output"
        executed = run_notebook(output_dir, DATASET="demo", MODEL="modern", EPOCHS=3, BATCH_SIZE=32, VALIDATION_RATIO=0.0)
    finally:
        os.environ.pop("PYTHONPATH") if saved is None else os.environ.update(PYTHONPATH=saved)
    return output_dir, executed.read_text()


def test_every_labelled_digit_trains(final_fit):
    output_dir, _ = final_fit
    metrics = metrics_of(output_dir)
    labels = pd.read_csv(output_dir / "demo_data" / "train.csv")["label"].to_numpy()
    assert metrics["train_rows"] == len(labels) and metrics["validation_rows"] == 0
    assert metrics["train_class_counts"] == np.bincount(labels, minlength=10).tolist()
    record = json.loads((member_folders(output_dir)[0] / "run.json").read_text())["record"]
    assert record["validation_ratio"] == 0 and record["fold"] is None


def test_no_validation_score_is_claimed(final_fit):
    output_dir, text = final_fit
    metrics = metrics_of(output_dir)
    assert metrics["validation_accuracy"] is None and metrics["out_of_fold_accuracy"] is None and metrics["validation_ratio"] == 0
    assert "this run has no validation score of its own" in text
    log = pd.read_csv(member_folders(output_dir)[0] / "training_log.csv")
    assert "val_accuracy" not in log or log["val_accuracy"].isna().all()
    assert not (output_dir / "confusion_matrix.png").exists() and not (output_dir / "mistakes.png").exists()
    assert (output_dir / "learning_curves.png").is_file()
    assert metrics["train_seconds"] > 0 and metrics["train_images_per_second"] > 0  # epochs timed without validation


def test_the_submission_is_written(final_fit):
    output_dir, _ = final_fit
    assert len(pd.read_csv(output_dir / "submission.csv")) == len(pd.read_csv(output_dir / "demo_data" / "test.csv"))
    assert metrics_of(output_dir)["test_accuracy"] > 0.5  # the demo knows its test labels; chance is 0.1


def test_without_anywidget_one_line_says_how_to_draw(final_fit):
    output_dir, text = final_fit
    assert "To draw a digit here, install anywidget (`pip install anywidget`) and restart the notebook." in text
    assert "application/vnd.jupyter.widget-view+json" not in text and (output_dir / "drawn_digit.png").is_file()
