"""The committed notebook: saved clean, parameterised for papermill and Colab's forms, its machinery folded."""

import ast
import json

from conftest import NOTEBOOK

REQUIRED_PARAMETERS = {
    "DATASET", "DATA_DIR", "OUTPUT_DIR", "MODEL", "EPOCHS", "ENSEMBLE", "SUBMIT", "USE_DRIVE",
    "RECIPE", "BATCH_SIZE", "WIDTH", "VALIDATION_RATIO", "SEED", "PRECISION", "XLA", "BACKEND",
}


def cells():
    return json.loads(NOTEBOOK.read_text())["cells"]


def source(cell):
    return "".join(cell["source"])


def is_helper(cell):
    return cell["cell_type"] == "code" and source(cell).startswith("#@title") and "parameters" not in cell["metadata"].get("tags", [])


def test_saved_without_outputs():
    code = [cell for cell in cells() if cell["cell_type"] == "code"]
    assert code and all(not cell["outputs"] and cell["execution_count"] is None for cell in code)


def test_one_short_parameters_cell_with_colab_forms():
    tagged = [cell for cell in cells() if "parameters" in cell.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    text = source(tagged[0])
    body = ast.parse(text).body
    assert {node.targets[0].id for node in body} == REQUIRED_PARAMETERS  # testing aids stay out of the reader's form
    assert all("#@param" in line for line in text.splitlines() if "=" in line and not line.startswith("#"))
    defaults = {n.targets[0].id: ast.literal_eval(n.value) for n in body}
    assert defaults["DATASET"] == "competition" and defaults["VALIDATION_RATIO"] == 0.1
    # the article's network, one model, a number of epochs as it trains, Keras's own choices of precision and XLA
    assert defaults["MODEL"] == "reference" and defaults["RECIPE"] == "auto" and defaults["EPOCHS"] == 20
    assert defaults["BATCH_SIZE"] == 64 and defaults["PRECISION"] == "auto" and defaults["XLA"] == "auto"
    assert defaults["ENSEMBLE"] == 1 and defaults["SUBMIT"] is False and defaults["BACKEND"] == "auto"
    # the settings a learner changes first come before the advanced ones
    lines = text.splitlines()
    advanced = next(i for i, line in enumerate(lines) if "Advanced" in line)
    first = "\n".join(lines[:advanced])
    assert all(name in first for name in ("DATASET", "MODEL", "EPOCHS", "ENSEMBLE", "SUBMIT", "USE_DRIVE"))
    assert all(name not in first for name in ("PRECISION", "XLA", "BATCH_SIZE", "WIDTH", "BACKEND", "RECIPE", "SEED"))


def test_helper_cells_fold_in_colab_and_jupyter():
    helpers = [cell for cell in cells() if is_helper(cell)]
    assert len(helpers) >= 8
    for cell in helpers:
        assert cell["metadata"].get("cellView") == "form"
        assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True
