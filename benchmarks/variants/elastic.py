# Variant: elastic distortion (Simard, Steinkraus and Platt, 2003) on top of the affine transform. Each image is bent
# by its own smooth random displacement field: uniform noise, blurred, scaled; x and y drawn independently.
from scipy.ndimage import gaussian_filter, map_coordinates

recipe = dict(recipe, elastic_alpha=34.0, elastic_sigma=4.0)  # Simard's values: about 1.4 pixels of bend on average


def random_affine(images, recipe, rng):
    """Rotate, zoom and shift each image as the notebook does, bend it elastically, and resample it once."""
    n = len(images)
    angle = rng.uniform(-1.0, 1.0, n) * recipe["rotation_degrees"] * math.pi / 180
    scale = 1.0 + rng.uniform(-recipe["zoom"], recipe["zoom"], n)  # > 1 zooms in
    shift = rng.uniform(-recipe["shift"], recipe["shift"], (n, 2)) * 28
    cos, sin, centre = (v[:, None, None] for v in (np.cos(angle) / scale, np.sin(angle) / scale, np.full(n, 13.5)))
    y, x = np.mgrid[0:28, 0:28].astype("float32")
    sigma, alpha = (0, recipe["elastic_sigma"], recipe["elastic_sigma"]), recipe["elastic_alpha"]
    bend_x, bend_y = (gaussian_filter(rng.uniform(-1, 1, (n, 28, 28)), sigma) * alpha for _ in range(2))
    # The input pixel each output pixel (x, y) reads from: the notebook's affine map, then the bend.
    from_x = cos * x - sin * y + centre - cos * centre + sin * centre - shift[:, 0, None, None] + bend_x
    from_y = sin * x + cos * y + centre - sin * centre - cos * centre - shift[:, 1, None, None] + bend_y
    image = np.broadcast_to(np.arange(n)[:, None, None], (n, 28, 28))
    bent = map_coordinates(images[..., 0], [image, from_y, from_x], order=1, mode="constant", cval=0.0)
    return bent[..., None].astype("float32")


augmented = random_affine(x_all[train_rows[:8]], recipe, np.random.default_rng(SEED))
plot_digits(np.concatenate([x_all[train_rows[:8]], augmented]), ["original"] * 8 + ["bent"] * 8, "Elastic distortion",
            "augmentation_elastic.png")
print("Variant: elastic distortion, alpha 34, sigma 4, on top of the affine transform")
