"""The committed notebook: clean, parameterised for papermill, on current Keras APIs, and a story a reader can follow."""

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


def story_cells():
    return [cell for cell in cells() if cell["cell_type"] == "code" and not is_helper(cell)]


def code_lines(cell):
    return len([line for line in source(cell).splitlines() if line.strip()])


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


def test_the_articles_steps_are_story_cells():
    story = [source(cell) for cell in story_cells()]
    for step in ["pd.read_csv(", "/ 255.0", ".reshape(-1, 28, 28, 1)", "keras.utils.to_categorical(", "StratifiedKFold(",
                 "def build_reference_model", "model.summary()", "trainer.compile(", "class Batches", "trainer.fit(",
                 "predict(network, x_test", "write_submission(test_probabilities"]:
        assert any(step in text for text in story), step


def test_one_training_loop_trains_every_network():
    code = "\n".join(source(cell) for cell in cells() if cell["cell_type"] == "code")
    assert code.count(".fit(") == 1 and code.count(".compile(") == 1  # network 1 is simply the first of the loop
    (loop,) = [source(cell) for cell in story_cells() if ".fit(" in source(cell)]
    assert "for number, (rows, held_out) in enumerate(folds[:ENSEMBLE], start=1):" in loop
    assert "BackupAndRestore" not in loop and "on_train_batch_end" not in code  # no hook makes Keras wait for every step


def test_cells_are_short_and_the_story_comes_first():
    story = story_cells()
    assert len(story) <= 45
    for cell in story:
        if "parameters" not in cell["metadata"].get("tags", []):
            assert code_lines(cell) <= 30, source(cell)[:80]
    assert all(code_lines(cell) <= 40 for cell in cells() if cell["cell_type"] == "code")
    # every story cell follows a sentence of prose
    all_cells = cells()
    for index, cell in enumerate(all_cells):
        if cell in story and "parameters" not in cell["metadata"].get("tags", []):
            before = [c for c in all_cells[:index] if not is_helper(c)][-1]
            assert before["cell_type"] == "markdown", source(cell)[:80]
    # the first digit picture and model.fit come early, as in the notebooks a learner compares this one with
    code = [cell for cell in all_cells if cell["cell_type"] == "code"]
    first_picture = next(i for i, cell in enumerate(code) if "samples.png" in source(cell))
    first_fit = next(i for i, cell in enumerate(code) if ".fit(" in source(cell))
    assert sum(map(code_lines, code[:first_picture])) <= 270
    assert sum(map(code_lines, code[:first_fit])) <= 560 and sum(map(code_lines, code)) <= 830  # with three networks
    # the optional parts come after the submission
    submission = next(i for i, cell in enumerate(code) if "write_submission(test_probabilities" in source(cell))
    assert all(i > submission for i, cell in enumerate(code) if "api.competition_submit" in source(cell) or "anywidget" in source(cell))


def test_no_removed_keras_apis():
    text = "\n".join(source(cell) for cell in cells() if cell["cell_type"] == "code")
    for gone in ["fit_generator", "predict_classes", "np_utils", "ImageDataGenerator", "lr=", "'acc'", '"acc"']:
        assert gone not in text
