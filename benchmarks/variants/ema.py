# Variant: weight averaging, recorded beside the notebook's own training. After every training step a callback
# updates an exponential moving average of the trainable weights (as Adam's use_ema does, momentum 0.999: about the
# last 1,000 steps, under two epochs of 590). After the last epoch it saves the averaged network as digit_cnn-ema.keras
# in the network's folder, with BatchNormalization's moving statistics computed again for the averaged weights over
# augmented training batches (the raw weights' statistics do not fit them). The network itself trains and is saved
# as the notebook's, in the notebook's own run folder (a plain run with the same settings reuses it), so
#   paired_comparison.py --a RUN --b RUN --model-b digit_cnn-ema.keras --data-dir ...
# compares the average with the raw weights of the same training. The average lives in memory: a network resumed
# after an interruption averages from the resume on.
EMA_MOMENTUM = 0.999
STATISTICS_BATCHES = 100  # augmented training batches of 256 for the averaged network's batch statistics


def recompute_batch_statistics(network, images, batches, size=256):
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


class WeightAverage(keras.callbacks.Callback):
    """Average the trainable weights after every step; after the last epoch, save the averaged network to `path`."""

    def __init__(self, path, images):
        super().__init__()
        self.path, self.images, self.average = path, images, None

    def on_train_batch_end(self, batch, logs=None):
        weights = [keras.ops.convert_to_numpy(w) for w in self.model.trainable_weights]
        if self.average is None:
            self.average = weights
        for average, weight in zip(self.average, weights):
            average += (1 - EMA_MOMENTUM) * (weight - average)

    def on_epoch_end(self, epoch, logs=None):
        if epoch == EPOCHS - 1 and self.average is not None:
            averaged = BUILDERS[MODEL]()
            averaged.set_weights(self.model.get_weights())
            for variable, average in zip(averaged.trainable_weights, self.average):
                variable.assign(average)
            recompute_batch_statistics(averaged, self.images, STATISTICS_BATCHES)
            averaged.save(self.path)


notebook_callbacks = TrainingRun.callbacks


def callbacks_with_average(self):
    """The notebook's callbacks for this network, with the weight average first."""
    return [WeightAverage(self.folder / "digit_cnn-ema.keras", x_all[self.train_rows]), *notebook_callbacks(self)]


TrainingRun.callbacks = callbacks_with_average
print(f"Variant: a moving average of the weights (momentum {EMA_MOMENTUM}) is saved beside each network")
