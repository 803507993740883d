"""Draw a digit: the preprocessing that turns a drawing into an MNIST-style digit, read by a trained network."""


import numpy as np
import pandas as pd
import pytest
from scipy import ndimage

from conftest import loop_namespace
from notebook_code import notebook_namespace

CANVAS = 140  # the drawing pad sends its ink at 140 x 140
VARIANTS = {  # how a reader might draw: the ink's longer side in canvas pixels, where it starts, and the stroke
    "large": (110, (15, 15), None), "off-centre": (70, (4, 60), None), "small in a corner": (36, (98, 98), None),
    "thicker": (100, (20, 20), ndimage.grey_dilation), "thinner": (100, (20, 20), ndimage.grey_erosion),
}


@pytest.fixture(scope="module")
def to_mnist():
    return notebook_namespace(tags=("draw",))["to_mnist"]


def drawn(image, variant):
    """A 28x28 digit drawn on the canvas: its ink box scaled, placed and stroked as the variant says."""
    longer, (top, left), stroke = VARIANTS[variant]
    rows, columns = np.nonzero(image > 0.1)
    ink = image[rows.min():rows.max() + 1, columns.min():columns.max() + 1]
    ink = np.clip(ndimage.zoom(ink, longer / max(ink.shape), order=1), 0, 1)
    if stroke is not None:
        ink = stroke(ink, size=5)
    canvas = np.zeros((CANVAS, CANVAS), "float32")
    canvas[top:top + ink.shape[0], left:left + ink.shape[1]] = ink
    return canvas


def test_a_drawing_becomes_an_mnist_style_digit(to_mnist):
    bar = np.zeros((CANVAS, CANVAS), "float32")
    bar[10:40, 100:104] = 1.0  # a short upright stroke near the top right
    digit = to_mnist(bar)[..., 0]
    rows, columns = np.nonzero(digit > 0)
    assert digit.shape == (28, 28) and digit.dtype == np.float32 and digit.max() == 1.0 and digit.min() == 0.0
    assert rows.max() - rows.min() + 1 == 20  # its longer side fitted to 20 pixels
    assert np.allclose(ndimage.center_of_mass(digit), 13.5, atol=0.5)  # its centre of mass in the middle
    assert not to_mnist(np.zeros((CANVAS, CANVAS))).any()  # a blank canvas stays blank


@pytest.mark.slow
def test_the_network_reads_drawings_as_it_reads_the_originals(tmp_path_factory, to_mnist):
    # the held-out digits of a modern network trained by the notebook's loop on the demo digits, each drawn five ways
    folder = tmp_path_factory.mktemp("draw")
    demo = notebook_namespace(tags=("output", "data"))["write_demo_csvs"](folder / "demo_data")
    ns = loop_namespace(folder, MODEL="modern", EPOCHS=6, BATCH_SIZE=32, train_frame=pd.read_csv(demo / "train.csv"))
    exec(ns["train_loop"], ns)
    originals = ns["x_all"][ns["val_rows"], ..., 0]
    expected = ns["model"].predict(originals[..., None], verbose=0).argmax(axis=1)
    agreement = {}
    for variant in VARIANTS:
        redrawn = np.stack([to_mnist(drawn(image, variant)) for image in originals])
        agreement[variant] = float((ns["model"].predict(redrawn, verbose=0).argmax(axis=1) == expected).mean())
    print("agreement with the originals:", {k: round(v, 3) for k, v in agreement.items()})
    assert (expected == ns["y_all"][ns["val_rows"]]).mean() > 0.8 and min(agreement.values()) >= 0.9, agreement
