"""The GPU and TPU configurations Colab and Kaggle give the notebook, run for real on this CPU.

TensorFlow runs float16 with loss scaling, XLA and MirroredStrategy on a CPU too, so each configuration trains here:
a Colab T4 (float16, XLA on one device) through the notebook's training loop, and Kaggle's T4 x2 (float16 on two
devices) as a whole run, as TensorFlow splits the CPU into devices only when it starts. A TPU's bfloat16 on several
devices runs on JAX in test_jax_backend.py. Each trains the modern network on small data: float16 on a CPU is emulated.
"""

import math

import keras
import pandas as pd
import pytest

from conftest import loop_namespace, member_folders, metrics_of, run_notebook, write_competition_csvs


def test_colab_t4_float16_with_xla_on_one_device(tmp_path, capsys):
    try:
        ns = loop_namespace(tmp_path, rows=200, PRECISION="mixed_float16", XLA="on", EPOCHS=1)
        exec(ns["train_loop"], ns)
    finally:
        keras.mixed_precision.set_global_policy("float32")  # the cells set it for the whole process
    shown = capsys.readouterr().out
    assert "| mixed float16 precision" in shown
    assert "XLA: on | optimizer: LossScaleOptimizer" in shown  # Keras scales the loss under float16
    log = pd.read_csv(ns["members"][0].log)
    assert log["epoch"].tolist() == [0] and all(math.isfinite(value) for value in log[["loss", "val_loss"]].iloc[0])


@pytest.mark.slow
def test_kaggle_t4x2_float16_on_two_devices(tmp_path, monkeypatch):
    # XLA "on" cannot work with several devices under MirroredStrategy: the notebook says so and trains without it
    monkeypatch.setenv("DIGIT_RECOGNIZER_CPU_DEVICES", "2")
    write_competition_csvs(tmp_path / "data", train_rows=200, test_rows=30)
    text = run_notebook(tmp_path / "output", DATA_DIR=str(tmp_path / "data"), MODEL="modern", EPOCHS=1, PRECISION="mixed_float16",
                        XLA="on", BATCH_SIZE=32).read_text()
    assert "CPU split into 2 devices | mixed float16 precision | 2 devices share each batch" in text
    assert "XLA = 'on' does not work with 2 devices" in text and "XLA: off" in text
    metrics = metrics_of(tmp_path / "output")
    assert metrics["replicas"] == 2 and metrics["batch_size"] == 64 and metrics["precision"] == "mixed_float16"
    assert metrics["xla"] is False and metrics["parameters"] == 326_826
    log = pd.read_csv(member_folders(tmp_path / "output")[0] / "training_log.csv")
    assert log["epoch"].tolist() == [0] and all(math.isfinite(value) for value in log[["loss", "val_loss"]].iloc[0])
