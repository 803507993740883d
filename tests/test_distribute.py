"""The several-device path for real: the CPU split into two logical devices under MirroredStrategy."""

import json

import pandas as pd

from conftest import run_notebook


def test_mirrored_training_on_two_cpu_devices(tmp_path):
    executed = run_notebook(tmp_path / "output", DATASET="demo", EPOCHS=2, BATCH_SIZE=32, CPU_DEVICES=2)
    metrics = json.loads((tmp_path / "output" / "metrics.json").read_text())
    assert metrics["replicas"] == 2
    assert metrics["batch_size"] == 64  # the global batch: 32 per replica
    text = executed.read_text()
    assert "MirroredStrategy with 2 replica(s)" in text
    assert "Global batch size 64 = 32 per replica x 2 replicas" in text
    assert pd.read_csv(tmp_path / "output" / "training_log.csv")["epoch"].tolist() == [0, 1]
    assert metrics["validation_accuracy"] > 0.3  # chance is 0.1
