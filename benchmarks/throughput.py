"""Training throughput on this machine: matmul rate, a plain model.fit, and the notebook's training loop.

    python benchmarks/throughput.py --batch-size 512 --steps 12

Every figure is images (or FLOPs) per second of training steps after warm-up steps, on the reference model.
"""

import argparse
import json
import os
import platform
import time

from notebook_code import notebook_namespace

TRAIN_FLOP_PER_IMAGE = 0.44e9  # forward + backward of the reference model, about 3x its 148 MFLOP forward pass


def cpu_name():
    """The CPU model from /proc/cpuinfo, else the platform's name."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def matmul_gflops(tf, dtype="float32", size=2048, repeats=10, rounds=5):
    """Matrix-multiply rate in GFLOP/s for one dtype: the best of several rounds, as the machine is shared."""
    a = tf.random.normal((size, size), dtype=dtype)
    b = tf.random.normal((size, size), dtype=dtype)
    (a @ b).numpy()
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            c = a @ b
        c.numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 * repeats / best / 1e9


class StepTimer:
    """A Keras callback timing training batches after the first `skip`."""

    def __init__(self, keras, skip):
        outer = self

        class Callback(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                outer.count += 1
                if outer.count == skip + 1:
                    outer.start = time.perf_counter()

            def on_train_end(self, logs=None):
                outer.end = time.perf_counter()

        self.count, self.callback, self.skip = 0, Callback(), skip

    def images_per_second(self, batch_size):
        return (self.count - self.skip) * batch_size / (self.end - self.start)


def time_fit(ns, recipe, steps, warmup, pipeline, policy, jit_compile=False):
    """Images/s of model.fit, fed either in-memory arrays ('plain') or the notebook's Batches pipeline."""
    np, keras = ns["np"], ns["keras"]
    keras.mixed_precision.set_global_policy(policy)
    batch_size = recipe["batch_size"]
    n = batch_size * (steps + warmup)
    rng = np.random.default_rng(0)
    x = rng.random((n, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, n)
    model = ns["build_reference_model"]()
    model.compile(optimizer=ns["build_optimizer"](recipe, steps + warmup),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=recipe["label_smoothing"]),
                  jit_compile=jit_compile)
    timer = StepTimer(keras, warmup)
    if pipeline == "plain":
        model.fit(x, np.eye(10, dtype=np.float32)[y], batch_size=batch_size, epochs=1, callbacks=[timer.callback], verbose=0)
    else:
        data = ns["Batches"](x, np.eye(10, dtype=np.float32)[y], recipe, seed=0)
        model.fit(data, epochs=1, callbacks=[timer.callback], verbose=0, shuffle=False)
    return timer.images_per_second(batch_size)


def measure(recipe_name="fast", batch_size=0, steps=12, warmup=3, mixed_precision=True, jit_compile=False):
    """Matmul rates, then plain model.fit in float32 and in the notebook's precision, then the notebook's loop."""
    ns = notebook_namespace()
    tf = ns["tf"]
    recipe = dict(ns["RECIPES"][recipe_name])
    recipe["batch_size"] = batch_size or 64
    bf16 = mixed_precision and ns["choose_precision"]("CPU") == "mixed_bfloat16"
    policy = "mixed_bfloat16" if bf16 else "float32"
    gflops = matmul_gflops(tf)
    ceiling = gflops * 1e9 / TRAIN_FLOP_PER_IMAGE
    result = {"cpu": cpu_name(), "cores": os.cpu_count(), "tensorflow": tf.__version__, "keras": ns["keras"].__version__,
              "recipe": recipe_name, "batch_size": recipe["batch_size"], "policy": policy, "jit_compile": jit_compile,
              "matmul_gflops": round(gflops, 1), "ceiling_images_per_second": round(ceiling, 1)}
    if bf16:
        result["bf16_matmul_gflops"] = round(matmul_gflops(tf, "bfloat16"), 1)
    runs = [("plain_fp32", "plain", "float32"), ("plain", "plain", policy), ("notebook", "notebook", policy)]
    for name, pipeline, run_policy in runs:
        if name == "plain" and policy == "float32":
            continue
        rate = time_fit(ns, recipe, steps, warmup, pipeline, run_policy, jit_compile)
        result[f"{name}_fit_images_per_second"] = round(rate, 1)
        result[f"{name}_fit_fraction_of_fp32_ceiling"] = round(rate / ceiling, 3)
    result.setdefault("plain_fit_images_per_second", result["plain_fp32_fit_images_per_second"])
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", default="fast")
    parser.add_argument("--batch-size", type=int, default=0, help="0 = the recipe's own")
    parser.add_argument("--steps", type=int, default=12, help="timed training steps per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--float32", action="store_true", help="no mixed precision, as PRECISION='float32'")
    parser.add_argument("--jit", action="store_true", help="compile the training step with XLA (jit_compile=True)")
    args = parser.parse_args()
    print(json.dumps(measure(args.recipe, args.batch_size, args.steps, args.warmup, not args.float32, args.jit), indent=2))
