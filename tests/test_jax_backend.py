"""Keras on JAX: the notebook runs where TensorFlow is missing (TPU runtimes), on one device or several, and its
saved models load on TensorFlow."""

import math
import os
import subprocess
import sys
import textwrap

import keras
import pandas as pd
import pytest

from conftest import ROOT, demo_images, ensemble_probabilities, metrics_of, run_notebook
from notebook_code import tagged_cells

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
    """The demo end to end with BACKEND left at "auto", where TensorFlow cannot be imported: an ensemble of two."""
    output_dir = tmp_path_factory.mktemp("jax_demo") / "output"
    executed = run_notebook(output_dir, DATASET="demo", MODEL="modern", EPOCHS=3, BATCH_SIZE=32, ENSEMBLE=2)
    return output_dir, executed.read_text()


@pytest.mark.slow
def test_auto_takes_jax_where_tensorflow_is_missing(jax_demo):
    output_dir, text = jax_demo
    metrics = metrics_of(output_dir)
    assert f"Keras {keras.__version__} on jax " in text and "CPU (" in text and metrics["backend"].startswith("jax ")
    assert metrics["test_accuracy"] > 0.5 and metrics["validation_accuracy"] > 0.5  # chance is 0.1
    assert metrics["out_of_fold_accuracy"] > 0.5 and len(pd.read_csv(output_dir / "ensemble.csv")) == 2
    assert len(pd.read_csv(output_dir / "submission.csv")) == metrics["test_rows"]
    assert (output_dir / "confusion_matrix.png").is_file() and (output_dir / "first_layer.png").is_file()


@pytest.mark.slow
def test_models_saved_on_jax_predict_the_same_on_tensorflow(jax_demo):
    output_dir, _ = jax_demo
    assert keras.backend.backend() == "tensorflow"  # this test process runs Keras on TensorFlow
    test, _ = demo_images(output_dir, "test.csv")
    predictions = ensemble_probabilities(output_dir, test).argmax(axis=1)
    submitted = pd.read_csv(output_dir / "submission.csv")["Label"].to_numpy()
    assert (predictions == submitted).mean() >= 0.99  # near-ties may flip a digit


@pytest.mark.slow
def test_the_demo_on_two_jax_devices_in_bfloat16(tmp_path, without_tensorflow, monkeypatch):
    # Kaggle's TPU v5e-8 in miniature: DataParallel over two XLA devices of this CPU, in bfloat16. The demo's
    # 1,293 training digits leave a last batch of 13 at 64 a device: it once stopped model.fit with a sharding error.
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=2")  # JAX splits the CPU into two devices
    text = run_notebook(tmp_path / "output", DATASET="demo", MODEL="modern", EPOCHS=1, PRECISION="mixed_bfloat16",
                        BACKEND="jax").read_text()
    assert "2 x CPU (" in text and "| mixed bfloat16 precision | 2 devices share each batch" in text
    metrics = metrics_of(tmp_path / "output")
    log = pd.read_csv(tmp_path / "output" / metrics["members"][0]["folder"] / "training_log.csv")
    assert all(math.isfinite(value) for value in log[["loss", "val_loss", "val_accuracy"]].iloc[0])
    assert metrics["replicas"] == 2 and metrics["batch_size"] == 128 and metrics["validation_accuracy"] is not None
    assert len(pd.read_csv(tmp_path / "output" / "submission.csv")) == metrics["test_rows"] == 360


EIGHT_DEVICES = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    import numpy as np
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
    sys.path.insert(0, sys.argv[1])
    from notebook_code import notebook_namespace
    ns = notebook_namespace(BACKEND="jax", BATCH_SIZE=4, PRECISION="float32")
    keras, layers, devices = ns["keras"], ns["layers"], ns["devices"]
    for rest in range(1, 8):  # training, validation and test sizes that leave 1 to 7 over on eight devices
        rows = 8 * 12 + rest
        x = np.random.default_rng(rest).random((rows, 28, 28, 1)).astype("float32")
        y = np.eye(10, dtype="float32")[np.arange(rows) % 10]
        build = lambda: keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(10, activation="softmax")])
        run = ns["train"](x, y, x[:8 + rest], y[:8 + rest], build, ns["recipe"], 1, seed=rest, devices=devices, folder=Path(sys.argv[2]))
        assert np.isfinite(run.result["epoch_seconds"]).all() and run.held_out.shape == (8 + rest, 10), rest
        assert ns["predict"](run.network, x[:8 + rest], devices.replicas).shape == (8 + rest, 10), rest
    print(devices.name, devices.replicas, "devices: remainders 1-7 trained, validated and predicted")
""")


@pytest.mark.slow
def test_eight_jax_devices_take_any_number_of_digits(tmp_path):
    # Kaggle's TPU v5e-8 has eight devices: every batch of training, validation and prediction must split over them.
    done = subprocess.run([sys.executable, "-c", EIGHT_DEVICES, str(ROOT / "benchmarks"), str(tmp_path)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "8 x CPU (" in done.stdout and ") 8 devices: remainders 1-7 trained, validated and predicted" in done.stdout


def backend_cell(**settings):
    """Run the notebook's settings and backend cells with these settings in this process, where Keras runs on TensorFlow."""
    namespace = {}
    exec(tagged_cells("parameters")[0], namespace)
    namespace.update(settings)
    for source in tagged_cells("backend"):
        exec(source, namespace)
    return namespace


def test_switching_backend_in_a_running_session_says_to_restart(monkeypatch):
    monkeypatch.delenv("KERAS_BACKEND", raising=False)  # the cell sets it; monkeypatch restores it afterwards
    with pytest.raises(Exception) as error:
        backend_cell(BACKEND="jax")
    assert type(error.value).__name__ == "InputError"
    assert "already imported with the 'tensorflow' backend" in str(error.value) and "Restart session" in str(error.value)
    with pytest.raises(Exception, match="BACKEND is 'torch'; use one of 'auto', 'tensorflow', 'jax'"):
        backend_cell(BACKEND="torch")
    assert backend_cell()["choose_backend"]("auto") == "tensorflow" == os.environ["KERAS_BACKEND"]  # auto, TensorFlow installed
