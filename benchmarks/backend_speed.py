"""Images per second of the notebook's own training step, on TensorFlow or JAX, for both networks.

    python benchmarks/backend_speed.py --backend tensorflow
    python benchmarks/backend_speed.py --backend jax --batch-sizes 64,512

It loads the notebook's cells (backend choice, devices, networks, recipes, augmentation, the Batches pipeline,
the optimizer), picks the device, distribution and precision as the notebook does, trains each network on random
digits for --steps steps after --warmup untimed ones, and prints one JSON line per network and batch size: the
device, images per second, and the seconds an epoch of 37,800 training digits would take. It needs no TensorFlow
where the backend is JAX, so it runs on a GPU machine that has only JAX: carry the wheels of Keras and its
pure-Python dependencies there (see benchmarks/README.md).
"""

import argparse
import json
import os
import sys

from notebook_code import notebook_namespace
from throughput import StepTimer, cpu_name

TRAINING_DIGITS = 37_800  # 90% of train.csv


def measure(ns, model_name, batch_size, steps, warmup):
    """Images per second of model.fit over the notebook's Batches, after warm-up steps."""
    keras, np = ns["keras"], ns["np"]
    recipe = dict(ns["RECIPES"][{"reference": "fast", "modern": "modern"}[model_name]])
    recipe["batch_size"] = (batch_size or 64) * ns["REPLICAS"]
    rng = np.random.default_rng(0)
    n = recipe["batch_size"] * (steps + warmup)
    with ns["distribution_scope"]():
        model = ns["BUILDERS"][model_name]()
        model.compile(optimizer=ns["build_optimizer"](recipe, steps + warmup),
                      loss=keras.losses.CategoricalCrossentropy(label_smoothing=recipe["label_smoothing"]),
                      jit_compile=ns["JIT_COMPILE"])
    timer = StepTimer(keras, warmup)
    labels = np.eye(10, dtype=np.float32)[rng.integers(0, 10, n)]
    batches = ns["Batches"](rng.random((n, 28, 28, 1), dtype=np.float32), labels, recipe, seed=0)
    model.fit(batches, epochs=1, callbacks=[timer.callback], verbose=0, shuffle=False)
    rate = timer.images_per_second(recipe["batch_size"])
    return {"model": model_name, "batch_size": recipe["batch_size"], "images_per_second": round(rate, 1),
            "seconds_per_epoch": round(TRAINING_DIGITS / rate, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="auto", choices=["auto", "tensorflow", "jax"])
    parser.add_argument("--precision", default="auto", choices=["auto", "float32", "mixed_float16", "mixed_bfloat16"])
    parser.add_argument("--models", default="modern,reference")
    parser.add_argument("--batch-sizes", default="64,512", help="per device")
    parser.add_argument("--steps", type=int, default=30, help="timed training steps per measurement")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first (compilation)")
    args = parser.parse_args()
    ns = notebook_namespace(tags=("devices", "model", "recipes", "augmentation", "pipeline", "optimizer"),
                            BACKEND=args.backend, PRECISION=args.precision, XLA="auto")
    scope, device, kind, replicas = ns["choose_devices"]()
    ns.update(distribution_scope=scope, REPLICAS=replicas)
    ns["JIT_COMPILE"] = ns["choose_xla"]()
    jax = ns["keras"].backend.backend() == "jax"
    distribution = "one device" if replicas == 1 else "DataParallel" if jax else "MirroredStrategy"
    policy = ns["choose_precision"](kind)
    ns["keras"].mixed_precision.set_global_policy(policy)
    machine = device if not device.startswith("CPU") else f"{cpu_name()}, {os.cpu_count()} cores"
    for model_name in args.models.split(","):
        for batch_size in map(int, args.batch_sizes.split(",")):
            row = measure(ns, model_name, batch_size, args.steps, args.warmup)
            print(json.dumps({"backend": ns["BACKEND_VERSION"], "keras": ns["keras"].__version__, "device": machine,
                              "distribution": distribution, "replicas": replicas, "precision": policy, **row}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
