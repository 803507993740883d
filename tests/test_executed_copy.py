"""The executed copy under assets/: the notebook's own code, run on the competition data, with every figure kept.

When a code cell of digit_recognizer.ipynb changes, regenerate the copy (about half an hour on a 2-core CPU):

    python benchmarks/make_executed_copy.py --data-dir <folder with the CSVs> --submission reference-fold1

and after an edit to the text alone: python benchmarks/make_executed_copy.py --text-only
"""

import json
import re

from conftest import NOTEBOOK, ROOT

COPY = ROOT / "assets" / "digit_recognizer_executed.ipynb"
FIGURE_CALLS = re.compile(r"^\s*(save_figure|plot_digits|plot_learning_curves)\(", re.MULTILINE)


def code_cells(path):
    cells = json.loads(path.read_text())["cells"]
    return [c for c in cells if c["cell_type"] == "code" and "injected-parameters" not in c["metadata"].get("tags", [])]


def text_outputs(cell):
    """Every text the cell showed: streams, results and the plain-text form of displays."""
    for output in cell.get("outputs", []):
        if "text" in output:
            yield "".join(output["text"])
        if "text/plain" in output.get("data", {}):
            yield "".join(output["data"]["text/plain"])


def test_code_is_the_notebooks():
    executed, source = code_cells(COPY), code_cells(NOTEBOOK)
    assert len(executed) == len(source)
    for mine, theirs in zip(executed, source, strict=True):
        assert "".join(mine["source"]) == "".join(theirs["source"]), (
            "assets/digit_recognizer_executed.ipynb is stale: run benchmarks/make_executed_copy.py (see this file's docstring)"
        )


def test_ran_on_the_competition_data_with_default_settings():
    notebook = json.loads(COPY.read_text())
    assert not [c for c in notebook["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    shown = "\n".join(text for cell in code_cells(COPY) for text in text_outputs(cell))
    assert "train.csv: 42,000 labelled digits; test.csv: 28,000 digits to predict" in shown
    assert "training: 37,800 images, validation: 4,200 images, test: 28,000 images" in shown
    assert re.search(r"Validation accuracy: 0\.99\d\d ± 0\.00\d\d \(\d+ of 4,200 wrong\)", shown)
    assert "Wrote output/submission.csv" in shown
    assert all(c["execution_count"] for c in code_cells(COPY))


def test_every_figure_cell_shows_its_figure():
    figure_cells = [  # cells that draw a figure, not the helper cells that define the plotting functions
        c for c in code_cells(COPY) if FIGURE_CALLS.search(s := "".join(c["source"])) and not s.startswith("#@title")
    ]
    assert len(figure_cells) >= 11
    for cell in figure_cells:
        assert any("image/png" in o.get("data", {}) for o in cell["outputs"]), "".join(cell["source"])[:200]


def test_small_and_free_of_this_machines_paths():
    text = COPY.read_text()
    assert COPY.stat().st_size < 5_000_000
    assert not re.search(r"/(tmp|root|home|work|Users)/", text)
    shown = [text for cell in code_cells(COPY) for text in text_outputs(cell)]
    assert not any("\r" in text or "\b" in text for text in shown)  # no progress bars redrawn in place
    steps = [m.groups() for text in shown for m in re.finditer(r"^(\d+)/(\d+) - \d+s", text, re.MULTILINE)]
    assert len(steps) >= 10 and all(done == total for done, total in steps)  # one line per epoch, none per step
