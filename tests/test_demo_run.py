"""One short end-to-end run on the demo data, then checks of everything it wrote."""

import json
import math

import keras
import numpy as np
import pandas as pd
import papermill
import pytest
from sklearn.model_selection import train_test_split

from conftest import PIXELS, run_notebook

EXPECTED_FILES = [
    "submission.csv",
    "model_summary.txt",
    "training_log.csv",
    "training.png",
    "validation.png",
    "digit_cnn.keras",
    "metrics.json",
    "class_balance.png",
    "samples.png",
    "augmentation.png",
    "confusion_matrix.png",
    "mistakes.png",
    "test_predictions.png",
    "run.json",
]
REFERENCE_PARAMETERS = 42_579_946


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("demo") / "output"
    run_notebook(output_dir, DATASET="demo", EPOCHS=2, BATCH_SIZE=32)
    return output_dir


@pytest.fixture(scope="module")
def metrics(demo_run):
    return json.loads((demo_run / "metrics.json").read_text())


def test_every_output_file_is_written(demo_run):
    missing = [name for name in EXPECTED_FILES if not (demo_run / name).is_file()]
    assert not missing
    assert all((demo_run / name).stat().st_size > 0 for name in EXPECTED_FILES)
    assert not list(demo_run.glob("*.tmp")) and not list(demo_run.glob(".*.tmp")) and not list(demo_run.glob("partial_*"))
    assert not (demo_run / "backup").exists()  # the training backup goes once training completes


def test_demo_data_is_in_competition_format(demo_run):
    train = pd.read_csv(demo_run / "demo_data" / "train.csv")
    test = pd.read_csv(demo_run / "demo_data" / "test.csv")
    assert list(train.columns) == ["label", *PIXELS]
    assert list(test.columns) == PIXELS
    assert len(train) + len(test) == 1797  # scikit-learn's digits
    pixels = train[PIXELS].to_numpy()
    assert pixels.min() == 0 and pixels.max() == 255
    border = pixels.reshape(-1, 28, 28)[:, [0, 1, 2, 3, 24, 25, 26, 27], :]
    assert border.max() == 0  # digits sit in the central 20x20, as in MNIST


def test_submission_format(demo_run):
    submission = pd.read_csv(demo_run / "submission.csv")
    test_rows = len(pd.read_csv(demo_run / "demo_data" / "test.csv"))
    assert list(submission.columns) == ["ImageId", "Label"]
    assert len(submission) == test_rows
    assert submission["ImageId"].tolist() == list(range(1, test_rows + 1))
    assert submission["Label"].dtype.kind == "i"
    assert submission["Label"].between(0, 9).all()


def test_saved_model_is_the_reference_model_and_made_the_submission(demo_run):
    model = keras.models.load_model(demo_run / "digit_cnn.keras")
    assert model.count_params() == REFERENCE_PARAMETERS
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("Conv2D") == 4 and kinds.count("Dense") == 3 and kinds.count("Dropout") == 4
    assert [layer.units for layer in model.layers if type(layer).__name__ == "Dense"] == [8192, 2048, 10]
    test = pd.read_csv(demo_run / "demo_data" / "test.csv").to_numpy(np.float32).reshape(-1, 28, 28, 1) / 255
    predictions = model.predict(test, verbose=0).argmax(axis=1)
    assert (predictions == pd.read_csv(demo_run / "submission.csv")["Label"].to_numpy()).all()
    assert f"{REFERENCE_PARAMETERS:,}" in (demo_run / "model_summary.txt").read_text()


def test_split_is_ninety_ten_and_stratified(demo_run, metrics):
    labels = pd.read_csv(demo_run / "demo_data" / "train.csv")["label"].to_numpy()
    assert metrics["train_rows"] + metrics["validation_rows"] == len(labels)
    assert metrics["validation_rows"] == math.ceil(0.1 * len(labels))
    per_class = np.bincount(labels, minlength=10)
    validation = np.array(metrics["validation_class_counts"])
    assert (np.array(metrics["train_class_counts"]) + validation == per_class).all()
    assert (np.abs(validation - 0.1 * per_class) <= 1).all()


def test_training_log_has_every_epoch(demo_run):
    log = pd.read_csv(demo_run / "training_log.csv")
    assert log["epoch"].tolist() == [0, 1]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(log.columns)


def test_two_epochs_learn_well_above_chance(metrics):
    # Ten classes: chance is 0.1. Held-out rows: the validation split and the demo's own test.csv.
    assert metrics["validation_accuracy"] > 0.5
    assert metrics["test_accuracy"] > 0.5


def test_run_record_names_what_made_the_model(demo_run, metrics):
    record = json.loads((demo_run / "run.json").read_text())
    assert record["status"] == "finished"
    assert record["record"]["model"] == "reference" and record["record"]["recipe"] == "fast"
    assert record["record"]["epochs"] == 2 and record["record"]["seed"] == 42
    assert record["record"]["data"]["rows"] == metrics["train_rows"] + metrics["validation_rows"]
    assert record["record"]["precision"] == metrics["precision"]
    assert record["record"]["kept_epoch"] == "last"


def test_kept_model_is_the_last_epochs(demo_run, metrics):
    # the model file scores on the validation digits what the last epoch scored in the log: no epoch was picked
    train = pd.read_csv(demo_run / "demo_data" / "train.csv")
    images = (train[PIXELS].to_numpy(np.float32) / 255).reshape(-1, 28, 28, 1)
    _, x_val, _, y_val = train_test_split(images, train["label"].to_numpy(), test_size=0.1,
                                          stratify=train["label"], random_state=42)
    model = keras.models.load_model(demo_run / "digit_cnn.keras")
    accuracy = float((model.predict(x_val, verbose=0).argmax(axis=1) == y_val).mean())
    last = pd.read_csv(demo_run / "training_log.csv")["val_accuracy"].iloc[-1]
    assert accuracy == pytest.approx(last, abs=1.5 / len(y_val))
    assert metrics["validation_accuracy"] == pytest.approx(accuracy, abs=1.5 / len(y_val))
    assert metrics["kept_epoch"] == "last"


# The two tests below rerun the notebook on the finished run above, as "Run all" again would.

def test_rerun_reuses_the_finished_model_without_training(demo_run, tmp_path):
    model_bytes = (demo_run / "digit_cnn.keras").read_bytes()
    log = (demo_run / "training_log.csv").read_text()
    submission = (demo_run / "submission.csv").read_text()
    executed = run_notebook(demo_run, workdir=tmp_path, DATASET="demo", EPOCHS=2, BATCH_SIZE=32)
    assert "Reusing the finished model" in executed.read_text()
    assert (demo_run / "digit_cnn.keras").read_bytes() == model_bytes
    assert (demo_run / "training_log.csv").read_text() == log
    assert (demo_run / "submission.csv").read_text() == submission
    rerun = json.loads((demo_run / "metrics.json").read_text())
    assert rerun["reused_models"] == 1 and rerun["train_seconds"] == 0 and rerun["train_images_per_second"] is None


def test_rerun_with_other_settings_is_refused_and_keeps_the_model(demo_run, tmp_path):
    model_bytes = (demo_run / "digit_cnn.keras").read_bytes()
    with pytest.raises(papermill.PapermillExecutionError) as error:
        run_notebook(demo_run, workdir=tmp_path, DATASET="demo", EPOCHS=3, BATCH_SIZE=32)
    assert error.value.ename == "InputError"
    assert "holds a finished model made with other settings or data: epochs (2 then, 3 now)" in error.value.evalue
    assert "set OUTPUT_DIR to another folder" in error.value.evalue and "delete" in error.value.evalue
    assert (demo_run / "digit_cnn.keras").read_bytes() == model_bytes
