"""Load the notebook's own definitions by their cell tags, so benchmarks and tests use exactly the notebook's code."""

import json
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[1] / "digit_recognizer.ipynb"
# The imports, the device checks, both networks, the recipes, the augmentation, the input pipeline, the optimizer.
MODEL_TAGS = ("imports", "devices", "model", "recipes", "augmentation", "pipeline", "optimizer")


def tagged_cells(*tags):
    """Source of every code cell carrying one of the tags, in notebook order."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return ["".join(c["source"]) for c in cells
            if c["cell_type"] == "code" and set(c["metadata"].get("tags", [])) & set(tags)]


def notebook_namespace(seed=42, tags=MODEL_TAGS, **settings):
    """Execute the tagged cells (the backend choice and the imports always first) in a fresh namespace and return it."""
    namespace = {"SEED": seed, "BACKEND": "auto", "CPU_DEVICES": 1, **settings}  # the settings the cells below read
    for source in tagged_cells("backend", "imports", *tags):
        exec(source, namespace)
    return namespace
