"""The committed notebook: clean, parameterised for papermill, on current Keras APIs, and a story a reader can follow."""

import ast
import json

from conftest import NOTEBOOK

REQUIRED_PARAMETERS = {
    "DATASET", "DATA_DIR", "OUTPUT_DIR", "MODEL", "EPOCHS", "ENSEMBLE", "TTA", "SUBMIT", "USE_DRIVE",
    "RECIPE", "BATCH_SIZE", "VALIDATION_RATIO", "SEED", "PRECISION", "XLA", "CPU_DEVICES", "BACKEND",
}


def cells():
    return json.loads(NOTEBOOK.read_text())["cells"]


def is_helper(cell):
    return cell["cell_type"] == "code" and "".join(cell["source"]).startswith("#@title") and "parameters" not in cell["metadata"].get("tags", [])


def story_cells():
    return [cell for cell in cells() if cell["cell_type"] == "code" and not is_helper(cell)]


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
    # the article's network, one model, Keras's own choices of precision and XLA: the plain run stays the default
    assert defaults["MODEL"] == "reference" and defaults["RECIPE"] == "auto"
    assert defaults["PRECISION"] == "auto" and defaults["XLA"] == "auto"
    assert defaults["ENSEMBLE"] == 1 and defaults["SUBMIT"] is False and defaults["CPU_DEVICES"] == 1
    # the everyday settings come first, the advanced ones after their heading
    lines = source.splitlines()
    advanced = next(i for i, line in enumerate(lines) if "Advanced" in line)
    assert all(name not in "\n".join(lines[:advanced]) for name in ("PRECISION", "XLA", "CPU_DEVICES", "BATCH_SIZE", "BACKEND"))
    assert defaults["BACKEND"] == "auto"


def test_helper_cells_fold_in_colab_and_jupyter():
    helpers = [cell for cell in cells() if is_helper(cell)]
    assert len(helpers) >= 8
    for cell in helpers:
        assert cell["metadata"].get("cellView") == "form"
        assert cell["metadata"].get("jupyter", {}).get("source_hidden") is True


def test_story_is_short_and_shows_the_training_call():
    story = story_cells()
    assert len(story) <= 36
    for cell in story:
        if "parameters" not in cell["metadata"].get("tags", []):
            assert len(cell["source"]) <= 16, "".join(cell["source"])[:80]
    sources = ["".join(cell["source"]) for cell in story]
    # the reader sees the network, the pipeline and model.fit itself, not a helper that hides them
    assert any("history = model.fit(" in source for source in sources)
    assert any("def build_reference_model" in source for source in sources)
    assert any("class Batches" in source for source in sources)
    # every story cell follows a sentence of prose
    all_cells = cells()
    for index, cell in enumerate(all_cells):
        if cell in story and "parameters" not in cell["metadata"].get("tags", []):
            before = [c for c in all_cells[:index] if not is_helper(c)][-1]
            assert before["cell_type"] == "markdown", "".join(cell["source"])[:80]


def test_no_removed_keras_apis():
    source = "\n".join("".join(cell["source"]) for cell in cells() if cell["cell_type"] == "code")
    for gone in ["fit_generator", "predict_classes", "np_utils", "ImageDataGenerator", "lr=", "'acc'", '"acc"']:
        assert gone not in source
