"""VALIDATION_RATIO 0: the final fit on every labelled digit, which has no validation score of its own."""

import json

import numpy as np
import pandas as pd
import pytest

from conftest import run_notebook


@pytest.fixture(scope="module")
def final_fit(tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("final_fit") / "output"
    executed = run_notebook(output_dir, DATASET="demo", MODEL="modern", EPOCHS=3, BATCH_SIZE=32, VALIDATION_RATIO=0.0)
    return output_dir, executed.read_text()


def test_every_labelled_digit_trains(final_fit):
    output_dir, _ = final_fit
    metrics = json.loads((output_dir / "metrics.json").read_text())
    labels = pd.read_csv(output_dir / "demo_data" / "train.csv")["label"].to_numpy()
    assert metrics["train_rows"] == len(labels) and metrics["validation_rows"] == 0
    assert metrics["train_class_counts"] == np.bincount(labels, minlength=10).tolist()
    assert json.loads((output_dir / "run.json").read_text())["record"]["validation_ratio"] == 0


def test_no_validation_score_is_claimed(final_fit):
    output_dir, text = final_fit
    metrics = json.loads((output_dir / "metrics.json").read_text())
    assert metrics["validation_accuracy"] is None and metrics["validation_ratio"] == 0
    assert "this run has no validation score of its own" in text
    assert pd.read_csv(output_dir / "training_log.csv")["val_accuracy"].isna().all()  # Keras leaves the column empty
    assert not (output_dir / "confusion_matrix.png").exists() and not (output_dir / "mistakes.png").exists()
    assert metrics["train_seconds"] > 0 and metrics["train_images_per_second"] > 0  # epochs timed without validation


def test_the_submission_is_written(final_fit):
    output_dir, _ = final_fit
    submission = pd.read_csv(output_dir / "submission.csv")
    assert len(submission) == len(pd.read_csv(output_dir / "demo_data" / "test.csv"))
    assert json.loads((output_dir / "metrics.json").read_text())["test_accuracy"] > 0.5  # the demo knows its test labels; chance is 0.1
