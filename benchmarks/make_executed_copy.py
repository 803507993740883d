"""Regenerate assets/digit_recognizer_executed.ipynb: the notebook run with its default settings on the competition
data, outputs kept, so GitHub shows a reader every figure and number; the README's figures come from the same run.

    python benchmarks/make_executed_copy.py --data-dir ../shared/data/digit-recognizer --submission reference-fold1

The run appends its row to benchmarks/results.csv, as benchmarks/run_benchmark.py does, and with --submission NAME
keeps its submission.csv and metrics.json under benchmarks/submissions/NAME/. After an edit to the notebook's text
alone, --text-only copies the markdown cells into the executed copy without a run (its code cells must still match).

The run happens in a temporary folder (data/ links to the CSVs, output/ collects what it writes), and the notebook
prints its paths relative to it, so the copy names no path of this machine; with --workdir DIR it happens in DIR, which
is kept, so the same command resumes a run that was cut off (the notebook resumes its training after the last finished
epoch). TensorFlow's C++ log is silenced (TF_CPP_MIN_LOG_LEVEL=3); every output is kept as the run printed it.
With -p NAME VALUE it runs other settings, for a quick try (-p DATASET demo -p EPOCHS 1); the copy then shows
them in papermill's injected-parameters cell.
"""

import argparse
import ast
import contextlib
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

import papermill

from run_benchmark import append_row, benchmark_row, notebook_commit

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "digit_recognizer.ipynb"
COPY = ROOT / "assets" / "digit_recognizer_executed.ipynb"
FIGURES = ("samples.png", "augmentation.png", "learning_curves.png", "confusion_matrix.png", "mistakes.png", "first_layer.png")


def clean(notebook):
    """Drop papermill's timing metadata; the outputs stay as the run printed them."""
    for cell in notebook["cells"]:
        cell["metadata"].pop("papermill", None)
    notebook["metadata"].pop("papermill", None)
    return notebook


def value(text):
    """A -p value as papermill's command line reads it: a number or a boolean where it is one, else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def refresh_text(copy):
    """Copy the notebook's markdown cells into the executed copy; refused where a code cell differs."""
    source, executed = json.loads(NOTEBOOK.read_text()), json.loads(copy.read_text())
    injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    executed_code = [c for c in executed["cells"] if c["cell_type"] == "code" and c not in injected]
    code = [c for c in source["cells"] if c["cell_type"] == "code"]
    if ["".join(c["source"]) for c in code] != ["".join(c["source"]) for c in executed_code]:
        sys.exit("The notebook's code differs from the executed copy's: run this script without --text-only.")
    outputs, cells = iter(executed_code), []
    for cell in source["cells"]:
        cells.append(next(outputs) if cell["cell_type"] == "code" else cell)
        if "parameters" in cell["metadata"].get("tags", []):
            cells += injected
    executed["cells"] = cells
    copy.write_text(json.dumps(executed, indent=1, ensure_ascii=False) + "\n")
    print(f"Copied the notebook's text into {copy}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, help="folder with the competition's train.csv and test.csv")
    parser.add_argument("--copy", type=Path, default=COPY, help="where to write the executed notebook")
    parser.add_argument("--figures", type=Path, default=ROOT / "assets", help="where to copy the run's figures")
    parser.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"), help="notebook parameter")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results.csv", help="results file to append to")
    parser.add_argument("--submission", metavar="NAME",
                        help="copy submission.csv and metrics.json to benchmarks/submissions/NAME/")
    parser.add_argument("--text-only", action="store_true", help="copy the notebook's markdown cells, run nothing")
    parser.add_argument("--workdir", type=Path, help="run in this folder and keep it, so the same command resumes an "
                        "interrupted run (default: a temporary folder)")
    args = parser.parse_args()
    if args.text_only:
        return refresh_text(args.copy)
    if not args.data_dir:
        parser.error("--data-dir is required unless --text-only")
    commit = notebook_commit()
    with contextlib.nullcontext(args.workdir) if args.workdir else tempfile.TemporaryDirectory() as workdir:
        folder = Path(workdir).expanduser().resolve()
        (folder / "data").mkdir(parents=True, exist_ok=True)
        for name in ("train.csv", "test.csv"):
            if not (folder / "data" / name).exists():
                (folder / "data" / name).symlink_to((args.data_dir / name).resolve())
        executed = folder / "executed.ipynb"
        parameters = {name: value(text) for name, text in args.p}
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # no C++ log lines (such as a missing CUDA driver) in the copy
        started = time.perf_counter()
        papermill.execute_notebook(str(NOTEBOOK), str(executed), parameters=parameters, cwd=str(folder), progress_bar=False)
        seconds = time.perf_counter() - started
        metrics = json.loads((folder / "output" / "metrics.json").read_text())
        command = shlex.join(["python", "benchmarks/make_executed_copy.py", *sys.argv[1:]])
        append_row(args.results, benchmark_row(metrics, seconds, commit, command))
        if args.submission:
            saved = ROOT / "benchmarks" / "submissions" / args.submission
            saved.mkdir(parents=True, exist_ok=True)
            for name in ("submission.csv", "metrics.json"):
                shutil.copyfile(folder / "output" / name, saved / name)
        notebook = clean(json.loads(executed.read_text()))
        args.copy.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
        args.figures.mkdir(parents=True, exist_ok=True)
        for name in FIGURES:
            shutil.copyfile(folder / "output" / name, args.figures / name)
    print(f"Wrote {args.copy} ({args.copy.stat().st_size / 1e6:.2f} MB) and {len(FIGURES)} figures in {args.figures}")


if __name__ == "__main__":
    sys.exit(main())
