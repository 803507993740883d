"""Load the notebook's own definitions by their cell tags, so benchmarks and tests use exactly the notebook's code."""

import json
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[1] / "digit_recognizer.ipynb"
# The imports, the device checks, both networks, the recipes, the augmentation, the input pipeline, the optimizer.
MODEL_TAGS = ("imports", "devices", "model", "recipes", "augmentation", "pipeline", "optimizer")
# The settings the tagged cells read, at their defaults, and one device (the story cell that picks devices is not run).
SETTINGS = dict(SEED=42, BACKEND="auto", MODEL="reference", RECIPE="auto", EPOCHS=20, BATCH_SIZE=64, ENSEMBLE=1,
                VALIDATION_RATIO=0.1, PRECISION="auto", XLA="auto", REPLICAS=1)


def tagged_cells(*tags):
    """Source of every code cell carrying one of the tags, in notebook order."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return ["".join(c["source"]) for c in cells
            if c["cell_type"] == "code" and set(c["metadata"].get("tags", [])) & set(tags)]


def notebook_namespace(seed=42, tags=MODEL_TAGS, **settings):
    """Execute the tagged cells (the backend choice and the imports always first) in a fresh namespace and return it."""
    namespace = {**SETTINGS, "SEED": seed, **settings}
    for source in tagged_cells("backend", "imports", *tags):
        exec(source, namespace)
    return namespace
