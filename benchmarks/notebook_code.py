"""Load the notebook's own definitions by their cell tags, so benchmarks and tests call exactly the notebook's code."""

import json
import linecache
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[1] / "digit_recognizer.ipynb"
# The imports, the device checks, the networks, the recipes, the augmentation, the input pipeline, the optimizer.
MODEL_TAGS = ("imports", "devices", "model", "recipes", "augmentation", "pipeline", "optimizer")


def tagged_cells(*tags):
    """Source of every code cell carrying one of the tags, in notebook order."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return ["".join(c["source"]) for c in cells
            if c["cell_type"] == "code" and set(c["metadata"].get("tags", [])) & set(tags)]


def notebook_namespace(tags=MODEL_TAGS, **settings):
    """Run the settings cell (then apply `settings`), the backend choice, the imports and the tagged cells in a fresh
    namespace, and return it. One device, as the story cell that picks devices is not run."""
    namespace = {"REPLICAS": 1}
    exec(tagged_cells("parameters")[0], namespace)
    namespace.update(settings)
    for number, source in enumerate(tagged_cells("backend", "imports", *tags)):
        name = f"<notebook cell {number}>"
        linecache.cache[name] = (len(source), None, source.splitlines(True), name)  # so inspect finds the source, as in IPython
        exec(compile(source, name, "exec"), namespace)
    return namespace


def cell_with(text):
    """Source of the one code cell that contains `text`."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    (source,) = ["".join(c["source"]) for c in cells if c["cell_type"] == "code" and text in "".join(c["source"])]
    return source
