"""Run the notebook headless with papermill, as a user would."""

import os
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import papermill
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "digit_recognizer.ipynb"
PIXELS = [f"pixel{i}" for i in range(784)]


@pytest.fixture(autouse=True, scope="session")
def offline_environment(tmp_path_factory):
    """No Kaggle credentials and quiet TensorFlow for every notebook run."""
    saved = dict(os.environ)
    for name in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN"):
        os.environ.pop(name, None)
    os.environ["KAGGLE_CONFIG_DIR"] = str(tmp_path_factory.mktemp("no_kaggle_credentials"))
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    yield
    os.environ.clear()
    os.environ.update(saved)


def run_notebook(output_dir, workdir=None, **parameters):
    """Execute the notebook with papermill in workdir; return the executed copy's path or raise its error."""
    output_dir = Path(output_dir)
    workdir = Path(workdir or output_dir.parent)
    executed = workdir / f"{output_dir.name}_executed.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(executed),
        parameters={"OUTPUT_DIR": str(output_dir), **parameters},
        kernel_name="python3",
        cwd=str(workdir),
        progress_bar=False,
    )
    return executed


def make_competition_frames(train_rows, test_rows, seed=0):
    """Small train and test frames in the competition's exact format, with random pixels."""
    rng = np.random.default_rng(seed)
    labels = np.arange(train_rows) % 10
    train = pd.DataFrame(rng.integers(0, 256, size=(train_rows, 784)), columns=PIXELS)
    train.insert(0, "label", labels)
    test = pd.DataFrame(rng.integers(0, 256, size=(test_rows, 784)), columns=PIXELS)
    return train, test


def write_competition_csvs(folder, train_rows=200, test_rows=30):
    """Write a train.csv and test.csv that pass every check."""
    folder.mkdir(parents=True, exist_ok=True)
    train, test = make_competition_frames(train_rows, test_rows)
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)
    return train, test


TTA_VIEWS = [(0, 0), (-1, 0), (0, -1)]  # the image and the notebook's first two shifts (rows, columns)


def shifted(images, dy, dx):
    """Move images dy rows down and dx columns right, filling with black."""
    moved = np.zeros_like(images)
    moved[:, max(dy, 0):28 + min(dy, 0), max(dx, 0):28 + min(dx, 0)] = images[:, max(-dy, 0):28 - max(dy, 0), max(-dx, 0):28 - max(dx, 0)]
    return moved


def ensemble_probabilities(output_dir, images, members=2):
    """What a run with ENSEMBLE 2 and TTA 2 predicts: its members' probabilities averaged over the TTA views."""
    models = [keras.models.load_model(output_dir / f"member_{n}" / "digit_cnn.keras") for n in range(1, members + 1)]
    return np.mean([m.predict(shifted(images, dy, dx), verbose=0) for m in models for dy, dx in TTA_VIEWS], axis=0)
