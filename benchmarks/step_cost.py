"""Milliseconds a training step costs the notebook's own `train`, beside Keras's own fit on arrays compiled alike.

    python benchmarks/step_cost.py                      # the backend the notebook would pick
    python benchmarks/step_cost.py --backend jax --repeats 5

The network is trivial (a 1x1 convolution, Flatten, Dense), so what is timed is everything around it: the notebook's
`train` as it is (the augmentation layer, compile, fit on arrays with its callbacks, run folder and backup) on random
digits. The reference is Keras's own `fit` on the same arrays, for the same network behind the same augmentation
layer, compiled with the same jit_compile and steps_per_execution as the notebook chooses, with no callbacks. Both
run `--repeats` times, alternately; each line is one JSON object with the milliseconds per step of each over the
epochs after the first (which compiles), and the median ratio.
"""

import argparse
import contextlib
import io
import json
import statistics
import tempfile
import time
from pathlib import Path

from notebook_code import notebook_namespace


def trivial_network(keras):
    """A 1x1 convolution, Flatten and Dense: almost no arithmetic, so a step costs what feeding it costs."""
    layers = keras.layers
    return keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(1, 1), layers.Flatten(),
                             layers.Dense(10, activation="softmax", dtype="float32")])


def digits(ns, count, seed=0):
    """Random images and one-hot labels."""
    np = ns["np"]
    rng = np.random.default_rng(seed)
    return rng.random((count, 28, 28, 1), dtype=np.float32), np.eye(10, dtype="float32")[rng.integers(0, 10, count)]


def milliseconds_per_step(ticks, steps):
    """Mean milliseconds per step over the epochs after the first (which compiles), from epoch begin and end times."""
    seconds = [end - start for start, end in zip(ticks[2::2], ticks[3::2])]
    return 1000 * sum(seconds) / (len(seconds) * steps)


def notebook_step(ns, count, epochs):
    """Milliseconds per step of the notebook's `train`, run as it is with the trivial network and no held-out digits."""
    x, y = digits(ns, count)
    with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stdout(io.StringIO()):
        run = ns["train"](x, y, x[:0], y[:0], lambda: trivial_network(ns["keras"]), ns["recipe"], epochs, seed=0,
                          devices=ns["devices"], folder=Path(folder))
    return milliseconds_per_step(run.ticks, -(-count // ns["recipe"]["batch_size"]))  # unrounded, unlike run.json


def keras_step(ns, count, epochs):
    """Milliseconds per step of Keras's own fit on arrays: same network, augmentation layer and compile settings."""
    keras, devices = ns["keras"], ns["devices"]
    x, y = digits(ns, count)
    with devices.scope():
        trainer = keras.Sequential([keras.Input((28, 28, 1)), ns["RandomWarp"](ns["recipe"], 0), trivial_network(keras)])
        trainer.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"], jit_compile=devices.jit_compile,
                        steps_per_execution=devices.steps_per_execution)
    ticks = []
    timer = keras.callbacks.LambdaCallback(on_epoch_begin=lambda *_: ticks.append(time.perf_counter()),
                                           on_epoch_end=lambda *_: ticks.append(time.perf_counter()))
    trainer.fit(x, y, batch_size=ns["recipe"]["batch_size"], epochs=epochs, callbacks=[timer], verbose=0)
    return milliseconds_per_step(ticks, -(-count // ns["recipe"]["batch_size"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="auto", choices=["auto", "tensorflow", "jax"])
    parser.add_argument("--digits", type=int, default=37_800, help="training digits per epoch (default: 90%% of train.csv)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs; the first, which compiles, is not timed")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each path, alternately")
    args = parser.parse_args()
    ns = notebook_namespace(BACKEND=args.backend, MODEL="reference")
    backend = ns["BACKEND_VERSION"]
    ratios = []
    for repeat in range(1, args.repeats + 1):
        reference, mine = keras_step(ns, args.digits, args.epochs), notebook_step(ns, args.digits, args.epochs)
        ratios.append(mine / reference)
        print(json.dumps({"backend": backend, "repeat": repeat, "jit_compile": ns["devices"].jit_compile,
                          "steps_per_execution": ns["devices"].steps_per_execution, "keras_fit_ms_per_step": round(reference, 2),
                          "notebook_ms_per_step": round(mine, 2), "times_keras": round(mine / reference, 2)}), flush=True)
    print(json.dumps({"backend": backend, "median_times_keras": round(statistics.median(ratios), 2), "repeats": args.repeats}))


if __name__ == "__main__":
    main()
