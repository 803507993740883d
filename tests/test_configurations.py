"""The GPU and TPU configurations Colab and Kaggle give the notebook, run for real on this CPU.

TensorFlow runs float16 with loss scaling, XLA and MirroredStrategy on a CPU too, so each configuration trains here
through the notebook's own `train`: a Colab T4 (float16, XLA on one device), and Kaggle's T4 x2 (float16 on two
devices) in a fresh process, as TensorFlow splits the CPU into devices only when it starts. A TPU's bfloat16 on several
devices runs on JAX in test_jax_backend.py. Each trains the modern network on small data: float16 on a CPU is emulated.
"""

import json
import math
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, training_namespace

TRAIN_SMALL = """
    images = np.random.default_rng(0).random((200, 28, 28, 1), dtype=np.float32)
    onehot = np.eye(10, dtype="float32")[np.arange(200) % 10]
    run = ns["train"](images[:180], onehot[:180], images[180:], onehot[180:], ns["BUILDERS"]["modern"], ns["recipe"], 1, seed=42,
                      devices=ns["devices"], folder=ns["output_dir"] / "models")
"""


def test_colab_t4_float16_with_xla_on_one_device(tmp_path, capsys):
    try:
        ns = training_namespace(tmp_path, PRECISION="mixed_float16", XLA="on")
        exec(textwrap.dedent(TRAIN_SMALL), {"ns": ns, "np": np})
    finally:
        keras.mixed_precision.set_global_policy("float32")  # the cells set it for the whole process
    assert "| mixed float16 precision" in capsys.readouterr().out
    (run,) = (tmp_path / "models").glob("*/run.json")
    record = json.loads(run.read_text())["record"]
    assert record["compiled"]["jit_compile"] is True and record["precision"] == "mixed_float16"
    network = keras.models.load_model(run.parent / "digit_cnn.keras")
    assert network.layers[0].dtype_policy.name == "mixed_float16" and network.layers[-1].dtype_policy.name == "float32"
    log = pd.read_csv(run.parent / "training_log.csv")
    assert log["epoch"].tolist() == [0] and all(math.isfinite(value) for value in log[["loss", "val_loss"]].iloc[0])


TWO_DEVICES = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    import numpy as np
    import tensorflow as tf
    tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * 2)
    sys.path.insert(0, sys.argv[1])
    from notebook_code import notebook_namespace
    ns = notebook_namespace(MODEL="modern", PRECISION="mixed_float16", XLA="on", BATCH_SIZE=32)
    ns["output_dir"] = Path(sys.argv[2])
""") + textwrap.dedent(TRAIN_SMALL) + textwrap.dedent("""
    print(json.dumps({"devices": ns["devices"].name, "replicas": ns["devices"].replicas, "batch": ns["recipe"]["batch_size"],
                      "xla": run.record["compiled"]["jit_compile"], "log": str(run.log), "held_out": run.held_out.shape}))
""")


@pytest.mark.slow
def test_kaggle_t4x2_float16_on_two_devices(tmp_path):
    # XLA "on" cannot work with several devices under MirroredStrategy: the notebook says so and trains without it
    done = subprocess.run([sys.executable, "-c", TWO_DEVICES, str(ROOT / "benchmarks"), str(tmp_path)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 x CPU (" in done.stdout and "| mixed float16 precision | 2 devices share each batch" in done.stdout
    assert "XLA = 'on' does not work with 2 devices" in done.stdout
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2 and result["batch"] == 64 and result["xla"] is False and result["held_out"] == [20, 10]
    log = pd.read_csv(result["log"])
    assert log["epoch"].tolist() == [0] and all(math.isfinite(value) for value in log[["loss", "val_loss"]].iloc[0])
