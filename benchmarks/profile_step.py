"""Where a training step's time goes: fixed per-step cost, the optimizer update, and forward plus backward.

    python benchmarks/profile_step.py

Uses the notebook's model, recipe and optimizer in mixed bfloat16 (the notebook's choice on a CPU with BF16).
"""

import json
import time

from notebook_code import notebook_namespace


def mean_ms(function, repeats=10):
    """Mean milliseconds of a call, after two warm-up calls."""
    function()
    function()
    start = time.perf_counter()
    for _ in range(repeats):
        function()
    return round((time.perf_counter() - start) / repeats * 1000, 1)


def main():
    ns = notebook_namespace()
    np, keras, tf = ns["np"], ns["keras"], ns["tf"]
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    recipe = dict(ns["RECIPES"]["fast"])
    model = ns["build_reference_model"]()
    optimizer = ns["build_optimizer"](recipe, 1000)
    model.compile(optimizer=optimizer, loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1))
    result = {}
    for batch in (1, 32, 64, 256):
        x = np.random.rand(batch, 28, 28, 1).astype(np.float32)
        y = np.eye(10, dtype=np.float32)[np.random.randint(0, 10, batch)]
        result[f"train_step_ms_batch_{batch}"] = mean_ms(lambda x=x, y=y: model.train_on_batch(x, y))
    gradients = [tf.random.normal(v.shape) * 1e-3 for v in model.trainable_variables]
    update = tf.function(lambda: optimizer.apply_gradients(zip(gradients, model.trainable_variables)))
    result["optimizer_update_ms"] = mean_ms(update)
    x = tf.random.uniform((64, 28, 28, 1))
    y = tf.one_hot(tf.random.uniform((64,), 0, 10, tf.int32), 10)

    @tf.function
    def forward_backward():
        with tf.GradientTape() as tape:
            loss = keras.losses.categorical_crossentropy(y, model(x, training=True))
        return tape.gradient(loss, model.trainable_variables)

    result["forward_backward_ms_batch_64"] = mean_ms(forward_backward)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
