# Variant: Deotte's schedule. Adam from 1e-3, times 0.95 after every epoch, no warm-up (instead of the cosine).
recipe = dict(recipe, learning_rate=1e-3, warmup=0.0, schedule="exponential")


def learning_rate_schedule(recipe, total_steps):
    """1e-3 x 0.95^epoch: the rate drops by 5% at the end of each epoch."""
    return keras.optimizers.schedules.ExponentialDecay(recipe["learning_rate"], decay_steps=total_steps // EPOCHS,
                                                       decay_rate=0.95, staircase=True)


compile_model(model, train_rows)  # network 1 was compiled with the notebook's schedule: compile it again
print("Variant: the learning rate is 1e-3 x 0.95^epoch")
