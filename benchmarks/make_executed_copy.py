"""Regenerate assets/digit_recognizer_executed.ipynb: the notebook run with its default settings on the competition
data, outputs kept, so GitHub shows a reader every figure and number; the README's figures come from the same run.

    python benchmarks/make_executed_copy.py --data-dir ../shared/data/digit-recognizer

The run happens in a temporary folder (data/ links to the CSVs, output/ collects what it writes), so the copy names no
path of this machine; TensorFlow's log lines on stderr are left out. With -p NAME VALUE it runs other settings, for a
quick try (-p DATASET demo -p EPOCHS 1); the copy then shows them in papermill's injected-parameters cell.
"""

import argparse
import ast
import json
import shutil
import sys
import tempfile
from pathlib import Path

import papermill

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "digit_recognizer.ipynb"
COPY = ROOT / "assets" / "digit_recognizer_executed.ipynb"
FIGURES = ("samples.png", "augmentation.png", "training.png", "validation.png", "confusion_matrix.png", "mistakes.png")


def clean(notebook, folder):
    """Drop stderr streams and papermill's timing metadata; write paths relative to the run's folder."""
    prefix = str(folder) + "/"
    for cell in notebook["cells"]:
        cell["metadata"].pop("papermill", None)
        outputs = [o for o in cell.get("outputs", []) if not (o["output_type"] == "stream" and o["name"] == "stderr")]
        for output in outputs:
            if "text" in output:
                output["text"] = "".join(output["text"]).replace(prefix, "")
            for key, value in output.get("data", {}).items():
                if key.startswith("text/") and not key.endswith("svg"):
                    output["data"][key] = "".join(value).replace(prefix, "")
        if cell["cell_type"] == "code":
            cell["outputs"] = outputs
    notebook["metadata"].pop("papermill", None)
    return notebook


def value(text):
    """A -p value as papermill's command line reads it: a number or a boolean where it is one, else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="folder with the competition's train.csv and test.csv")
    parser.add_argument("--copy", type=Path, default=COPY, help="where to write the executed notebook")
    parser.add_argument("--figures", type=Path, default=ROOT / "assets", help="where to copy the run's figures")
    parser.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"), help="notebook parameter")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary).resolve()
        (folder / "data").mkdir()
        for name in ("train.csv", "test.csv"):
            (folder / "data" / name).symlink_to((args.data_dir / name).resolve())
        executed = folder / "executed.ipynb"
        parameters = {name: value(text) for name, text in args.p}
        papermill.execute_notebook(str(NOTEBOOK), str(executed), parameters=parameters, cwd=str(folder), progress_bar=False)
        notebook = clean(json.loads(executed.read_text()), folder)
        args.copy.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
        args.figures.mkdir(parents=True, exist_ok=True)
        for name in FIGURES:
            shutil.copyfile(folder / "output" / name, args.figures / name)
    print(f"Wrote {args.copy} ({args.copy.stat().st_size / 1e6:.2f} MB) and {len(FIGURES)} figures in {args.figures}")


if __name__ == "__main__":
    sys.exit(main())
