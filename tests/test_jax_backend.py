"""Keras on JAX: the notebook runs where TensorFlow is missing (TPU runtimes), on one device or several, and its
saved model loads on TensorFlow."""

import json
import math
import os
import subprocess
import sys

import keras
import numpy as np
import pandas as pd
import pytest

from conftest import ensemble_probabilities, run_notebook, write_competition_csvs

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))
from notebook_code import tagged_cells  # noqa: E402

NO_TENSORFLOW = 'import sys\nsys.modules["tensorflow"] = None  # any import of TensorFlow now fails\n'


@pytest.fixture(scope="module")
def without_tensorflow(tmp_path_factory):
    """An environment in which Python cannot import TensorFlow, as on a TPU runtime."""
    folder = tmp_path_factory.mktemp("no_tensorflow")
    (folder / "sitecustomize.py").write_text(NO_TENSORFLOW)
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), saved]))
    probe = subprocess.run([sys.executable, "-c", "import tensorflow"], capture_output=True, text=True)
    assert probe.returncode != 0 and "tensorflow" in probe.stderr  # the block works in every new Python process
    yield
    if saved is None:
        del os.environ["PYTHONPATH"]
    else:
        os.environ["PYTHONPATH"] = saved


@pytest.fixture(scope="module")
def jax_demo(tmp_path_factory, without_tensorflow):
    """The demo end to end with BACKEND left at "auto", where TensorFlow cannot be imported: an ensemble with TTA."""
    output_dir = tmp_path_factory.mktemp("jax_demo") / "output"
    executed = run_notebook(output_dir, DATASET="demo", MODEL="modern", EPOCHS=3, BATCH_SIZE=32, ENSEMBLE=2, TTA=2)
    return output_dir, executed.read_text()


def test_auto_takes_jax_where_tensorflow_is_missing(jax_demo):
    output_dir, text = jax_demo
    metrics = json.loads((output_dir / "metrics.json").read_text())
    assert "Keras on jax | CPU" in text and metrics["backend"].startswith("jax ")
    assert metrics["test_accuracy"] > 0.5 and metrics["validation_accuracy"] > 0.5  # chance is 0.1
    assert len(pd.read_csv(output_dir / "submission.csv")) == metrics["test_rows"]
    assert (output_dir / "confusion_matrix.png").is_file() and (output_dir / "augmentation.png").is_file()
    assert len(pd.read_csv(output_dir / "ensemble.csv")) == 3 and metrics["validation_accuracy_without_tta"] > 0.5


def test_models_saved_on_jax_predict_the_same_on_tensorflow(jax_demo):
    output_dir, _ = jax_demo
    assert keras.backend.backend() == "tensorflow"  # this test process runs Keras on TensorFlow
    test = pd.read_csv(output_dir / "demo_data" / "test.csv").to_numpy(np.float32).reshape(-1, 28, 28, 1) / 255
    predictions = ensemble_probabilities(output_dir, test).argmax(axis=1)
    submitted = pd.read_csv(output_dir / "submission.csv")["Label"].to_numpy()
    assert (predictions == submitted).mean() >= 0.99  # near-ties may flip a digit


def test_two_replicas_in_bfloat16_on_jax(tmp_path, without_tensorflow):
    # Kaggle's TPU v5e-8 in miniature: DataParallel over two XLA devices of this CPU, in bfloat16
    write_competition_csvs(tmp_path / "data", train_rows=200, test_rows=30)
    executed = run_notebook(tmp_path / "output", DATA_DIR=str(tmp_path / "data"), MODEL="modern", EPOCHS=1, BATCH_SIZE=32,
                            CPU_DEVICES=2, PRECISION="mixed_bfloat16", BACKEND="jax")
    text = executed.read_text()
    assert "Keras on jax | CPU: 2 x cpu | DataParallel with 2 replica(s) | precision policy: mixed_bfloat16" in text
    assert "Global batch size 64 = 32 per replica x 2 replicas" in text
    log = pd.read_csv(tmp_path / "output" / "training_log.csv")
    assert all(math.isfinite(value) for value in log[["loss", "val_loss"]].iloc[0])
    metrics = json.loads((tmp_path / "output" / "metrics.json").read_text())
    assert metrics["replicas"] == 2 and metrics["distribution"] == "DataParallel" and metrics["batch_size"] == 64


def backend_cell(**settings):
    """Run the notebook's backend cell with these settings in this process, where Keras already runs on TensorFlow."""
    namespace = {"BACKEND": "auto", "CPU_DEVICES": 1, **settings}
    exec(tagged_cells("backend")[0], namespace)
    return namespace


def test_switching_backend_in_a_running_session_says_to_restart(monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)  # the cell sets it; monkeypatch restores it afterwards
    with pytest.raises(Exception) as error:
        backend_cell(BACKEND="jax")
    assert type(error.value).__name__ == "InputError"
    assert "already imported with the 'tensorflow' backend" in str(error.value) and "Restart session" in str(error.value)
    with pytest.raises(Exception, match="BACKEND is 'torch'; use one of 'auto', 'tensorflow', 'jax'"):
        backend_cell(BACKEND="torch")
    assert backend_cell()["choose_backend"]() == "tensorflow" == os.environ["KERAS_BACKEND"]  # auto, TensorFlow installed
