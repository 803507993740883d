"""Load the notebook's own definitions by their cell tags, so benchmarks and tests call exactly the notebook's code."""

import importlib.util  # noqa: F401 (every IPython kernel has it loaded, and the notebook's backend cell uses it)
import json
import linecache
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[1] / "digit_recognizer.ipynb"
# Everything `train` needs: devices, output folder, networks, recipes, augmentation, optimizer, run folders.
TRAINING_TAGS = ("hardware", "output", "model", "recipes", "augmentation", "optimizer", "train", "runs")


def tagged_cells(*tags):
    """Source of every code cell carrying one of the tags, in notebook order."""
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return ["".join(c["source"]) for c in cells
            if c["cell_type"] == "code" and set(c["metadata"].get("tags", [])) & set(tags)]


def notebook_namespace(tags=TRAINING_TAGS, **settings):
    """Run the settings cell (then apply `settings`), the settings check and backend choice, the imports and the tagged
    cells in a fresh namespace, and return it."""
    namespace = {}
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
