# Variant: weight averaging. Adam keeps an exponential moving average of the weights (use_ema), and model.fit puts
# the average in place of the weights at its end. BatchNormalization's moving statistics still belong to the raw
# weights, so they are computed again for the averaged ones, over training batches. The raw weights of the last
# epoch are saved too (digit_cnn-raw.keras beside each network's model): the same run, without the average, so
# benchmarks/paired_comparison.py --model-a digit_cnn-raw.keras compares the two on the same training.
recipe = dict(recipe, ema_momentum=0.999)  # averages about the last 1,000 steps, under two epochs of 590


def build_optimizer(recipe, total_steps):
    """Adam with the recipe's schedule, keeping a moving average of the weights."""
    return keras.optimizers.Adam(learning_rate_schedule(recipe, total_steps), use_ema=True,
                                 ema_momentum=recipe["ema_momentum"])


def recompute_batch_statistics(network, images, batches=100, size=256):
    """Set every BatchNormalization layer's moving mean and variance to their mean over augmented training batches."""
    layers = [layer for layer in network.layers if isinstance(layer, keras.layers.BatchNormalization)]
    rng = np.random.default_rng(SEED)
    for step in range(batches):
        for layer in layers:
            layer.momentum = step / (step + 1)  # the running mean of the batch statistics so far
        rows = rng.choice(len(images), size, replace=False)
        network(random_affine(images[rows], recipe, rng), training=True)
    for layer in layers:
        layer.momentum = 0.99


class SaveRawWeights(keras.callbacks.Callback):
    """After the last epoch, before fit swaps the average in: save the raw weights as a model of their own."""

    def __init__(self, path):
        super().__init__()
        self.path = path

    def on_epoch_end(self, epoch, logs=None):
        if epoch == EPOCHS - 1:
            copy = BUILDERS[MODEL]()
            copy.set_weights(self.model.get_weights())
            copy.save(self.path)


def train(model, run):
    """Fit as the notebook does, then recompute the batch statistics for the averaged weights."""
    history = model.fit(
        Batches(x_all[run.train_rows], y_onehot[run.train_rows], recipe, seed=run.seed, first_epoch=run.done),
        validation_data=validation_data(run.val_rows),
        epochs=EPOCHS, callbacks=[SaveRawWeights(run.folder / "digit_cnn-raw.keras"), *run.callbacks()], verbose=2,
        shuffle=False,
    )
    recompute_batch_statistics(model, x_all[run.train_rows])
    return history


compile_model(model, train_rows)  # network 1 was compiled without the average: compile it again
print("Variant: Adam keeps a moving average of the weights (momentum 0.999); batch statistics recomputed after fit")
