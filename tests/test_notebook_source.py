"""The committed notebook: clean, parameterised for papermill, and on current Keras APIs."""

import ast
import json

from conftest import NOTEBOOK

REQUIRED_PARAMETERS = {
    "DATASET", "DATA_DIR", "OUTPUT_DIR", "EPOCHS", "BATCH_SIZE", "VALIDATION_RATIO", "SEED", "RECIPE",
    "ENSEMBLE", "TTA", "USE_DRIVE", "SUBMIT", "CPU_DEVICES",
}


def cells():
    return json.loads(NOTEBOOK.read_text())["cells"]


def test_saved_without_outputs():
    code = [cell for cell in cells() if cell["cell_type"] == "code"]
    assert code and all(not cell["outputs"] and cell["execution_count"] is None for cell in code)


def test_one_parameters_cell_with_colab_forms():
    tagged = [cell for cell in cells() if "parameters" in cell.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1
    source = "".join(tagged[0]["source"])
    names = {node.targets[0].id for node in ast.parse(source).body if isinstance(node, ast.Assign)}
    assert REQUIRED_PARAMETERS <= names
    assert all("#@param" in line for line in source.splitlines() if "=" in line)
    defaults = {n.targets[0].id: ast.literal_eval(n.value) for n in ast.parse(source).body}
    assert defaults["DATASET"] == "competition" and defaults["VALIDATION_RATIO"] == 0.1
    # the plain single-model run stays the default path
    assert defaults["ENSEMBLE"] == 1 and defaults["TTA"] == 0 and defaults["SUBMIT"] is False and defaults["CPU_DEVICES"] == 1


def test_no_removed_keras_apis():
    source = "\n".join("".join(cell["source"]) for cell in cells() if cell["cell_type"] == "code")
    for gone in ["fit_generator", "predict_classes", "np_utils", "ImageDataGenerator", "lr=", "'acc'", '"acc"']:
        assert gone not in source
