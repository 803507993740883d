"""Milliseconds a training step costs the notebook's own training path, beside Keras's own fit on arrays.

    python benchmarks/step_cost.py                      # the backend the notebook would pick
    python benchmarks/step_cost.py --backend jax --steps-per-execution 1,8

The network is trivial (a 1x1 convolution, Flatten, Dense), so what is timed is the feeding: the notebook's loop cell
runs as it is (Batches, the augmentation layer, compile, fit with its callbacks, run folder and backup) on random
digits. The reference is `fit` on arrays already in memory, for the same network behind the same augmentation layer,
compiled with jit_compile=True and no callbacks. Each line is one JSON object: backend, path, steps_per_execution,
milliseconds per step over the epochs after the first (which compiles).
"""

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path

from notebook_code import notebook_namespace, tagged_cells

TAGS = ("devices", "model", "recipes", "augmentation", "pipeline", "optimizer", "output", "training", "runs")


def loop_namespace(backend="auto"):
    """The notebook's definitions up to its training loop, and the loop cell's source, on the chosen backend."""
    ns = notebook_namespace(tags=TAGS, BACKEND=backend)
    ns["train_loop"] = tagged_cells("train_loop")[0]
    return ns


def trivial_network(keras):
    """A 1x1 convolution, Flatten and Dense: almost no arithmetic, so a step costs what feeding it costs."""
    layers = keras.layers
    return keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(1, 1), layers.Flatten(),
                             layers.Dense(10, activation="softmax", dtype="float32")])


def notebook_step(ns, digits, epochs, steps_per_execution):
    """Milliseconds per step of the notebook's train_loop cell, run as it is with the trivial network."""
    np = ns["np"]
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, digits)
    ns.update(MODEL="reference", EPOCHS=epochs, ENSEMBLE=1, STEPS_PER_EXECUTION=steps_per_execution,
              BUILDERS={"reference": lambda: trivial_network(ns["keras"])}, RECIPE_NAME="fast",
              recipe=dict(ns["RECIPES"]["fast"], batch_size=ns["BATCH_SIZE"]), POLICY="float32",
              distribution_scope=contextlib.nullcontext, JIT_COMPILE=ns["choose_xla"](1), REPLICAS=1,
              x_all=rng.random((digits, 28, 28, 1), dtype=np.float32), y_onehot=np.eye(10, dtype="float32")[labels],
              folds=[(np.arange(digits), np.arange(0))], train_frame=ns["pd"].DataFrame({"label": labels}))
    with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stdout(io.StringIO()):
        ns["output_dir"] = Path(folder)
        exec(ns["train_loop"], ns)
    seconds = ns["members"][0].timer.seconds[1:]  # unrounded: a tiny epoch rounds to 0.0 s in run.json
    return 1000 * sum(seconds) / (len(seconds) * len(ns["batches"]))


def keras_step(ns, digits, epochs):
    """Milliseconds per step of Keras's own fit on arrays, same network and augmentation layer, jit_compile=True."""
    keras, np = ns["keras"], ns["np"]
    rng = np.random.default_rng(0)
    trainer = ns["with_augmentation"](trivial_network(keras))
    trainer.compile(optimizer="adam", loss="categorical_crossentropy", jit_compile=True)
    starts = []
    timer = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: starts.append(time.perf_counter()),
                                           on_epoch_end=lambda epoch, logs: starts.append(time.perf_counter()))
    x = [rng.random((digits, 28, 28, 1), dtype=np.float32), ns["draw_augmentation"](digits, ns["RECIPES"]["fast"], rng)]
    trainer.fit(x, np.eye(10, dtype="float32")[rng.integers(0, 10, digits)], batch_size=ns["BATCH_SIZE"], epochs=epochs,
                callbacks=[timer], verbose=0)
    seconds = [end - start for start, end in zip(starts[2::2], starts[3::2])]
    return 1000 * sum(seconds) / (len(seconds) * -(-digits // ns["BATCH_SIZE"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="auto", choices=["auto", "tensorflow", "jax"])
    parser.add_argument("--digits", type=int, default=37_800, help="training digits per epoch (default: 90%% of train.csv)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs; the first, which compiles, is not timed")
    parser.add_argument("--steps-per-execution", default="1,8", help="values to time the notebook's path at")
    args = parser.parse_args()
    ns = loop_namespace(args.backend)
    backend = f"{ns['keras'].backend.backend()} {ns['BACKEND_VERSION'].split()[-1]}"
    reference = keras_step(ns, args.digits, args.epochs)
    print(json.dumps({"backend": backend, "path": "keras fit on arrays", "steps_per_execution": 1,
                      "ms_per_step": round(reference, 2)}))
    for value in map(int, args.steps_per_execution.split(",")):
        mine = notebook_step(ns, args.digits, args.epochs, value)
        print(json.dumps({"backend": backend, "path": "notebook", "steps_per_execution": value, "ms_per_step": round(mine, 2),
                          "times_keras": round(mine / reference, 2)}))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
