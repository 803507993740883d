"""The GPU and TPU configurations Colab and Kaggle give the notebook, run for real on this CPU.

TensorFlow runs float16 with loss scaling, XLA and MirroredStrategy on a CPU too, so each configuration trains for an
epoch here: a Colab T4 (float16, XLA on one device), Kaggle's T4 x2 (float16 on two devices) and a TPU's precision
(bfloat16 on two devices). Each trains the modern network on 200 rows of competition-format CSVs: float16 on a CPU is
emulated, and an epoch of the article's network on the demo's 1,293 digits ran past five minutes on a 2-core Xeon.
"""

import math

import pandas as pd
import pytest

from conftest import member_folders, metrics_of, run_notebook, write_competition_csvs


def trained_one_epoch(output_dir, **parameters):
    """Run the notebook for one epoch; return the executed notebook's text and the metrics, checking the losses."""
    executed = run_notebook(output_dir, EPOCHS=1, **parameters)
    log = pd.read_csv(member_folders(output_dir)[0] / "training_log.csv")
    assert log["epoch"].tolist() == [0]
    assert all(math.isfinite(value) for value in log[["loss", "val_loss"]].iloc[0])
    return executed.read_text(), metrics_of(output_dir)


def test_colab_t4_float16_with_xla_on_one_device(tmp_path):
    write_competition_csvs(tmp_path / "data", train_rows=200, test_rows=30)
    text, metrics = trained_one_epoch(tmp_path / "output", DATA_DIR=str(tmp_path / "data"), MODEL="modern",
                                      PRECISION="mixed_float16", XLA="on")
    assert "| mixed float16 precision" in text
    assert "XLA: on | optimizer: LossScaleOptimizer" in text  # Keras scales the loss under float16
    assert metrics["precision"] == "mixed_float16" and metrics["xla"] is True and metrics["replicas"] == 1


@pytest.mark.parametrize("precision", ["mixed_float16", "mixed_bfloat16"], ids=["kaggle_t4x2_float16", "tpu_bfloat16"])
def test_two_devices_in_sixteen_bit_precision(tmp_path, precision, monkeypatch):
    # XLA "on" cannot work with several devices under MirroredStrategy: the notebook says so and trains without it
    monkeypatch.setenv("DIGIT_RECOGNIZER_CPU_DEVICES", "2")
    write_competition_csvs(tmp_path / "data", train_rows=200, test_rows=30)
    text, metrics = trained_one_epoch(tmp_path / "output", DATA_DIR=str(tmp_path / "data"), MODEL="modern",
                                      PRECISION=precision, XLA="on", BATCH_SIZE=32)
    assert f"CPU split into 2 devices | {precision.replace('_', ' ')} precision | 2 devices share each batch" in text
    assert "XLA = 'on' does not work with 2 devices" in text and "XLA: off" in text
    assert metrics["replicas"] == 2 and metrics["batch_size"] == 64 and metrics["precision"] == precision
    assert metrics["xla"] is False and metrics["parameters"] == 326_826
