"""Run the notebook headless with papermill, as a user would."""

import json
import os
import sys
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import papermill
import pytest
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "digit_recognizer.ipynb"
PIXELS = [f"pixel{i}" for i in range(784)]
sys.path.insert(0, str(ROOT / "benchmarks"))

from notebook_code import TRAINING_TAGS, notebook_namespace, tagged_cells  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def offline_environment(tmp_path_factory):
    """No Kaggle credentials and quiet TensorFlow for every notebook run."""
    saved = dict(os.environ)
    for name in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN", "DIGIT_RECOGNIZER_CPU_DEVICES"):
        os.environ.pop(name, None)
    os.environ["KAGGLE_CONFIG_DIR"] = str(tmp_path_factory.mktemp("no_kaggle_credentials"))
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    yield
    os.environ.clear()
    os.environ.update(saved)


def training_namespace(output_dir, **settings):
    """The notebook's definitions that `train` needs, in float32 on this machine's devices, writing under output_dir."""
    ns = notebook_namespace(**{"MODEL": "modern", "PRECISION": "float32", "EPOCHS": 2, "BATCH_SIZE": 8, **settings})
    ns["output_dir"] = Path(output_dir)
    return ns


def loop_namespace(output_dir, rows=96, tags=(), **settings):
    """The notebook's definitions for training (and the cells tagged `tags`), then its data cells from the checks to the
    folds, with `rows` small random labelled digits as train.csv (or the train_frame given); run the loop with
    `exec(ns["train_loop"], ns)`."""
    ns = training_namespace(output_dir, tags=(*TRAINING_TAGS, *tags), **{"train_frame": small_train_frame(rows),
                                                                          "test_frame": small_train_frame(10).drop(columns="label"), **settings})
    for source in tagged_cells("csv_checks", "split", "preprocess"):
        exec(source, ns)
    ns["train_loop"] = tagged_cells("train_loop")[0]
    return ns


def small_train_frame(rows, seed=0):
    """A train.csv frame of random ink inside a blank border, as in MNIST, with every digit equally often."""
    pixels = np.zeros((rows, 28, 28), np.int64)
    pixels[:, 6:22, 6:22] = np.random.default_rng(seed).integers(0, 256, (rows, 16, 16))
    frame = pd.DataFrame(pixels.reshape(rows, 784), columns=PIXELS)
    frame.insert(0, "label", np.arange(rows) % 10)
    return frame


def run_notebook(output_dir, workdir=None, notebook=NOTEBOOK, **parameters):
    """Execute the notebook with papermill in workdir; return the executed copy's path or raise its error."""
    output_dir = Path(output_dir)
    workdir = Path(workdir or output_dir.parent)
    executed = workdir / f"{output_dir.name}_executed.ipynb"
    papermill.execute_notebook(str(notebook), str(executed), parameters={"OUTPUT_DIR": str(output_dir), **parameters},
                               kernel_name="python3", cwd=str(workdir), progress_bar=False)
    return executed


def shown(executed):
    """Everything the executed notebook's cells printed or displayed as text, without their source."""
    outputs = [o for c in json.loads(Path(executed).read_text())["cells"] for o in c.get("outputs", [])]
    return "\n".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")) for o in outputs)


def metrics_of(output_dir):
    return json.loads((Path(output_dir) / "metrics.json").read_text())


def member_folders(output_dir):
    """Each network's run folder, in order, as metrics.json names them."""
    return [Path(output_dir) / member["folder"] for member in metrics_of(output_dir)["members"]]


def load_members(output_dir):
    return [keras.models.load_model(folder / "digit_cnn.keras") for folder in member_folders(output_dir)]


def held_out_rows(labels, number, seed=42, folds=10):
    """The rows network `number` holds out: fold `number` of the notebook's stratified folds."""
    splits = list(StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(labels)), labels))
    return splits[number - 1][1]


def demo_images(output_dir, name):
    """A demo CSV's images, scaled and shaped as the notebook does, and its labels where it has them."""
    frame = pd.read_csv(Path(output_dir) / "demo_data" / name)
    images = (frame[PIXELS].to_numpy(np.float32) / 255).reshape(-1, 28, 28, 1)
    return images, frame["label"].to_numpy() if "label" in frame else None


def ensemble_probabilities(output_dir, images):
    """What the run's submission averages: every network's probabilities."""
    return np.mean([model.predict(images, verbose=0) for model in load_members(output_dir)], axis=0)


def small_arrays(rows, seed=0):
    """The images and one-hot labels of `small_train_frame(rows, seed)`, scaled and shaped as the notebook does."""
    frame = small_train_frame(rows, seed)
    return (frame[PIXELS].to_numpy(np.float32) / 255).reshape(-1, 28, 28, 1), np.eye(10, dtype="float32")[frame["label"]]


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
