"""Run the notebook headless on a data folder and append one row of measurements to a results file.

    python benchmarks/run_benchmark.py --data-dir ../shared/data/digit-recognizer -p EPOCHS 6
    python benchmarks/run_benchmark.py --data-dir ../shared/data/digit-recognizer -p RECIPE reference -p EPOCHS 6
    python benchmarks/run_benchmark.py --data-dir ../shared/data/digit-recognizer --models reference,modern -p EPOCHS 3
    python benchmarks/run_benchmark.py --data-dir ../shared/data/digit-recognizer --models modern --seeds 42,7,123
    python benchmarks/run_benchmark.py --data-dir ../shared/data/digit-recognizer --output-dir ~/runs/modern-ensemble10 \
        --submission modern-ensemble10 -p MODEL modern -p ENSEMBLE 10

Compare two runs on the same folds and seeds with benchmarks/paired_comparison.py.

With --submission NAME, the run's submission.csv and metrics.json are copied to benchmarks/submissions/NAME/, so
the scores of headline configurations can be checked on Kaggle's test digits. Give long runs an --output-dir
outside the checkout: a rerun with the same folder reuses finished ensemble members and resumes the interrupted one.

    python benchmarks/run_benchmark.py --data-dir ../shared/data/digit-recognizer --backends tensorflow,jax -p MODEL modern

With --models, --seeds and --backends it runs every model with every seed on every backend, one after another in
this one session, appends a row for each, and prints them side by side: seconds per epoch, images per second,
validation accuracy, and each model's (and backend's) mean accuracy over the seeds.
"""

import argparse
import contextlib
import csv
import datetime
import json
import platform
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = [
    "date", "commit", "machine", "backend", "keras", "model", "parameters", "recipe", "epochs", "batch_size", "seed", "ensemble",
    "run_seconds", "train_seconds", "epoch_seconds", "train_images_per_second", "validation_accuracy", "out_of_fold_accuracy",
    "out_of_fold_digits", "predict_seconds", "precision", "command",
]


def cpu_name():
    """The CPU model from /proc/cpuinfo, else the platform's name."""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_name(device):
    """GPU name from the run, else the CPU model and core count."""
    return device if device.startswith("GPU") else f"{cpu_name()} ({device.split('(')[-1].rstrip(')')})"


def run_notebook(data_dir, output_dir, parameters):
    """Run the notebook with papermill; return its metrics and the run's seconds."""
    output_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "papermill", str(ROOT / "digit_recognizer.ipynb"), str(output_dir / "executed.ipynb"),
               "-p", "DATA_DIR", str(data_dir), "-p", "OUTPUT_DIR", str(output_dir)]
    for name, value in parameters:
        command += ["-p", name, value]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    seconds = time.perf_counter() - started
    return json.loads((output_dir / "metrics.json").read_text()), seconds


def steady_epoch_seconds(metrics):
    """Median seconds of training per epoch, the first (graph-building) epoch left out; members pooled."""
    seconds = [s for run in metrics["members"] if not run["reused"] for s in (run["epoch_seconds"][1:] or run["epoch_seconds"])]
    return round(float(np.median(seconds)), 1) if seconds else ""


def notebook_commit():
    """The commit the notebook comes from, marked when the notebook has uncommitted changes."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + ("+changes" if git("status", "--porcelain", "digit_recognizer.ipynb") else "")


def append_row(results, row):
    """Append one row; a file with other columns is rewritten with the current ones first (missing cells empty)."""
    rows = []
    if results.exists():
        with results.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    with results.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, restval="", extrasaction="ignore")
        writer.writeheader()
        writer.writerows([*rows, row])


def rounded(value):
    """An accuracy as four decimals, or empty where the run had none."""
    return "" if value is None else f"{value:.4f}"


def benchmark_row(metrics, seconds, commit, command=None):
    """One results.csv row from a run's metrics.json."""
    return {
        "date": datetime.date.today().isoformat(), "commit": commit, "machine": machine_name(metrics["device"]),
        "backend": metrics["backend"], "keras": metrics["keras"], "model": metrics["model"],
        "parameters": metrics["parameters"], "recipe": metrics["recipe"],
        "epochs": metrics["epochs"], "batch_size": metrics["batch_size"], "seed": metrics["seed"],
        "ensemble": metrics["ensemble"],
        "run_seconds": round(seconds), "train_seconds": metrics["train_seconds"],
        "epoch_seconds": steady_epoch_seconds(metrics),
        "train_images_per_second": metrics["train_images_per_second"],
        "validation_accuracy": rounded(metrics["validation_accuracy"]),
        "out_of_fold_accuracy": rounded(metrics["out_of_fold_accuracy"]), "out_of_fold_digits": metrics["out_of_fold_digits"],
        "predict_seconds": metrics["predict_seconds"], "precision": metrics["precision"],
        "command": command or shlex.join(["python", "benchmarks/run_benchmark.py", *sys.argv[1:]]),
    }


def side_by_side(rows):
    """A markdown table of the runs, then each model's (and backend's) mean accuracy over seeds and seconds per epoch."""
    several_backends = len({r.get("backend", "").split(" ")[0] for r in rows}) > 1

    def group(r):
        return f"{r['model']} on {r['backend'].split(' ')[0]}" if several_backends else r["model"]

    lines = ["| model | seed | epochs | seconds per epoch | training images/s | validation accuracy | whole run, s |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {group(r)} | {r['seed']} | {r['epochs']} | {r['epoch_seconds']} | {r['train_images_per_second']} | "
              f"{r['validation_accuracy'] or 'none'} | {r['run_seconds']} |" for r in rows]
    lines.append("")
    per_epoch = {}
    for model in dict.fromkeys(map(group, rows)):
        scored = [r for r in rows if group(r) == model and r["validation_accuracy"] != ""]  # VALIDATION_RATIO 0: none
        accuracy = np.array([float(r["validation_accuracy"]) for r in scored])
        timed = [r["epoch_seconds"] for r in rows if group(r) == model and r["epoch_seconds"] != ""]  # reused: none
        error = accuracy.std(ddof=1) / np.sqrt(len(accuracy)) if len(accuracy) > 1 else float("nan")
        line = f"{model}: mean validation accuracy {accuracy.mean():.4f} +- {error:.4f} (standard error, {len(accuracy)} seed(s))"
        if timed:
            per_epoch[model] = float(np.median(timed))
            line += f"; median {per_epoch[model]:.1f} s of training per epoch"
        lines.append(line)
    if len(per_epoch) > 1:
        fastest = min(per_epoch, key=per_epoch.get)
        lines += [f"{model}: {seconds / per_epoch[fastest]:.2f} x the training time per epoch of {fastest}"
                  for model, seconds in per_epoch.items() if model != fastest]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="folder with train.csv and test.csv")
    parser.add_argument("--output-dir", type=Path, help="default: benchmarks/runs/<time>")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results.csv")
    parser.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"), help="notebook parameter")
    parser.add_argument("--models", help="comma-separated MODEL values, run one after another and compared side by side")
    parser.add_argument("--seeds", help="comma-separated SEED values; each model runs once with each seed")
    parser.add_argument("--backends", help="comma-separated BACKEND values; each model and seed runs on each")
    parser.add_argument("--submission", metavar="NAME",
                        help="copy submission.csv and metrics.json to benchmarks/submissions/NAME/")
    args = parser.parse_args()
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    output_dir = args.output_dir or ROOT / "benchmarks" / "runs" / stamp
    commit = notebook_commit()  # before the run: the notebook may be edited while it trains
    runs = [([], output_dir)]
    if args.submission and (args.models or args.seeds or args.backends):
        parser.error("--submission saves the submission of one run: leave out --models, --seeds and --backends")
    if args.models or args.seeds or args.backends:
        models, seeds, backends = ((arg.split(",") if arg else [None]) for arg in (args.models, args.seeds, args.backends))
        runs = [([("MODEL", m)] * bool(m) + [("SEED", s)] * bool(s) + [("BACKEND", b)] * bool(b),
                 output_dir / (f"{m or 'model'}-seed{s or 'default'}" + (f"-{b}" if b else "")))
                for m in models for s in seeds for b in backends]
    rows = []
    for extra, folder in runs:
        metrics, seconds = run_notebook(args.data_dir.resolve(), folder.resolve(), [*args.p, *extra])
        rows.append(benchmark_row(metrics, seconds, commit))
        append_row(args.results, rows[-1])
        print(json.dumps(rows[-1], indent=2), flush=True)
    if args.submission:
        saved = ROOT / "benchmarks" / "submissions" / args.submission
        saved.mkdir(parents=True, exist_ok=True)
        for name in ("submission.csv", "metrics.json"):
            shutil.copyfile(runs[0][1] / name, saved / name)
        print("Saved the submission and its metrics in", saved)
    print(side_by_side(rows))


if __name__ == "__main__":
    main()
