"""One short end-to-end run on the demo data, then checks of everything it wrote, and reruns of it."""

import json
import math

import keras
import numpy as np
import pandas as pd
import pytest

from conftest import NOTEBOOK, PIXELS, demo_images, held_out_rows, member_folders, metrics_of, run_notebook, shown

FIGURES = ["class_balance.png", "samples.png", "augmentation.png", "learning_rate.png", "learning_curves.png",
           "confusion_matrix.png", "error_per_digit.png", "mistakes.png", "one_digit.png", "first_layer.png", "test_predictions.png",
           "drawn_digit.png"]
REFERENCE_PARAMETERS = 42_579_946


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("demo") / "output"
    executed = run_notebook(output_dir, DATASET="demo", EPOCHS=2, BATCH_SIZE=32)
    return output_dir, executed.read_text()


@pytest.fixture(scope="module")
def metrics(demo_run):
    return metrics_of(demo_run[0])


def test_every_output_file_is_written(demo_run, metrics):
    output_dir, _ = demo_run
    folder = member_folders(output_dir)[0]
    expected = [output_dir / name for name in ["submission.csv", "metrics.json", *FIGURES]]
    expected += [folder / name for name in ["digit_cnn.keras", "training_log.csv", "run.json", "held_out.npy"]]
    assert [path.name for path in expected if not path.is_file() or path.stat().st_size == 0] == []
    assert not list(output_dir.rglob("*.tmp")) and not list(output_dir.rglob("partial*"))
    assert not (folder / "backup").exists()  # the training backup goes once training completes
    assert folder.parent == output_dir / "models" and folder.name.startswith("digit_cnn-")


def test_demo_data_is_in_competition_format(demo_run):
    output_dir, _ = demo_run
    train = pd.read_csv(output_dir / "demo_data" / "train.csv")
    test = pd.read_csv(output_dir / "demo_data" / "test.csv")
    assert list(train.columns) == ["label", *PIXELS]
    assert list(test.columns) == PIXELS
    assert len(train) + len(test) == 1797  # scikit-learn's digits
    pixels = train[PIXELS].to_numpy()
    assert pixels.min() == 0 and pixels.max() == 255
    border = pixels.reshape(-1, 28, 28)[:, [0, 1, 2, 3, 24, 25, 26, 27], :]
    assert border.max() == 0  # digits sit in the central 20x20, as in MNIST


def test_submission_format(demo_run):
    output_dir, _ = demo_run
    submission = pd.read_csv(output_dir / "submission.csv")
    test_rows = len(pd.read_csv(output_dir / "demo_data" / "test.csv"))
    assert list(submission.columns) == ["ImageId", "Label"]
    assert submission["ImageId"].tolist() == list(range(1, test_rows + 1))
    assert submission["Label"].dtype.kind == "i" and submission["Label"].between(0, 9).all()


def test_saved_model_is_the_reference_model_and_made_the_submission(demo_run):
    output_dir, text = demo_run
    model = keras.models.load_model(member_folders(output_dir)[0] / "digit_cnn.keras")
    assert model.count_params() == REFERENCE_PARAMETERS
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("Conv2D") == 4 and kinds.count("Dense") == 3 and kinds.count("Dropout") == 4
    assert [layer.units for layer in model.layers if type(layer).__name__ == "Dense"] == [8192, 2048, 10]
    test, _ = demo_images(output_dir, "test.csv")
    assert (model.predict(test, verbose=0).argmax(axis=1) == pd.read_csv(output_dir / "submission.csv")["Label"]).all()
    assert f"{REFERENCE_PARAMETERS:,}" in text and "conv2d (" in text and "conv2d_4 (" not in text  # its layers' names count from 0


def test_the_story_prints_what_each_step_made(demo_run):
    _, text = demo_run
    for line in ["train.csv: 1,437 labelled digits; test.csv: 360 digits to predict",
                 "labelled images: (1437, 28, 28, 1) labels: (1437,) test images: (360, 28, 28, 1)",
                 "one-hot: [0. ", "training: 1,293 images, validation: 144 images, test: 360 images",
                 "CPU (", " precision", "Validation accuracy: 0.", " ± 0.0"]:
        assert line in text, line
    assert "application/vnd.jupyter.widget-view+json" in text  # the drawing pad, shown without waiting for a drawing


def test_split_is_ninety_ten_and_stratified(demo_run, metrics):
    output_dir, _ = demo_run
    _, labels = demo_images(output_dir, "train.csv")
    assert metrics["train_rows"] + metrics["validation_rows"] == len(labels)
    assert metrics["validation_rows"] in (math.floor(0.1 * len(labels)), math.ceil(0.1 * len(labels)))
    validation = np.bincount(labels[held_out_rows(labels, 1)], minlength=10)
    assert (np.abs(validation - 0.1 * np.bincount(labels, minlength=10)) <= 1).all()  # every digit keeps its share


def test_training_log_has_every_epoch(demo_run):
    log = pd.read_csv(member_folders(demo_run[0])[0] / "training_log.csv")
    assert log["epoch"].tolist() == [0, 1]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(log.columns)


def test_two_epochs_learn_well_above_chance(metrics):
    # Ten classes: chance is 0.1. Held-out rows: the validation fold and the demo's own test.csv.
    assert metrics["validation_accuracy"] > 0.5 and metrics["test_accuracy"] > 0.5


def test_run_record_names_what_made_the_model(demo_run, metrics):
    record = json.loads((member_folders(demo_run[0])[0] / "run.json").read_text())
    assert record["status"] == "finished"
    assert record["record"]["optimizer"] == "adam" and record["record"]["label_smoothing"] == 0.1  # the "fast" recipe
    assert record["record"]["epochs"] == 2 and record["record"]["seed"] == 42 and record["record"]["train_rows"] == metrics["train_rows"]
    assert record["record"]["precision"] == metrics["precision"] and record["record"]["batch_size"] == 32
    assert len(record["record"]["data"]) == len(record["record"]["code"]) == 16  # fingerprints of the digits and the code


def test_kept_model_is_the_last_epochs_on_the_first_fold(demo_run, metrics):
    # the model file scores on the held-out fold what the last epoch scored in the log: no epoch was picked
    output_dir, _ = demo_run
    images, labels = demo_images(output_dir, "train.csv")
    rows = held_out_rows(labels, 1)
    model = keras.models.load_model(member_folders(output_dir)[0] / "digit_cnn.keras")
    accuracy = float((model.predict(images[rows], verbose=0).argmax(axis=1) == labels[rows]).mean())
    last = pd.read_csv(member_folders(output_dir)[0] / "training_log.csv")["val_accuracy"].iloc[-1]
    assert accuracy == pytest.approx(last, abs=1.5 / len(rows))
    assert metrics["validation_accuracy"] == pytest.approx(accuracy, abs=1.5 / len(rows))
    assert metrics["out_of_fold_accuracy"] == metrics["validation_accuracy"] and metrics["out_of_fold_digits"] == len(rows)


# Rerun on the finished run above, as "Run all" again would, after a learner's first edit.

def test_an_edited_network_trains_anew(demo_run, tmp_path):
    # A learner's first experiment: halve the first dense layer, rerun into the same OUTPUT_DIR with the same settings.
    output_dir, _ = demo_run
    old_folder = member_folders(output_dir)[0]
    old_model = (old_folder / "digit_cnn.keras").read_bytes()
    edited = tmp_path / "edited.ipynb"
    text = NOTEBOOK.read_text()
    assert text.count("layers.Dense(8192,") == 1
    edited.write_text(text.replace("layers.Dense(8192,", "layers.Dense(4096,"))
    executed = run_notebook(output_dir, workdir=tmp_path, notebook=edited, DATASET="demo", EPOCHS=2, BATCH_SIZE=32)
    assert "Reusing the finished network" not in shown(executed)
    new_folder = member_folders(output_dir)[0]
    assert new_folder != old_folder and (old_folder / "digit_cnn.keras").read_bytes() == old_model  # the old one is kept
    model = keras.models.load_model(new_folder / "digit_cnn.keras")
    assert [layer.units for layer in model.layers if type(layer).__name__ == "Dense"] == [4096, 2048, 10]
    test, _ = demo_images(output_dir, "test.csv")
    assert (model.predict(test, verbose=0).argmax(axis=1) == pd.read_csv(output_dir / "submission.csv")["Label"]).all()
    assert metrics_of(output_dir)["parameters"] == model.count_params() < REFERENCE_PARAMETERS
