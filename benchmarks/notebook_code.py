"""Load the notebook's own helper definitions, so benchmarks time exactly the notebook's model and pipeline."""

import json
from pathlib import Path

NOTEBOOK = Path(__file__).resolve().parents[1] / "digit_recognizer.ipynb"
WANTED = (
    "RECIPES = ", "def cpu_supports_bfloat16", "def build_model",
    "def random_affine", "def make_dataset", "def build_optimizer",
)


def notebook_namespace(seed=42):
    """Execute the notebook's imports and the cells that define the model, recipes and input pipeline."""
    cells = ["".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"]
    namespace = {"SEED": seed}
    exec(next(c for c in cells if c.startswith("import ")), namespace)
    for cell in cells:
        if cell.startswith(WANTED):
            if cell.startswith("RECIPES = "):  # the cell goes on to pick the run's recipe from its parameters
                cell = cell[:cell.index("\n}\n") + 3]
            exec(cell, namespace)
    return namespace
