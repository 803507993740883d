"""Compare two cross-validated runs network by network, each on the fold it held out: the paired comparison of two
recipes, over up to all 42,000 labelled digits.

    python benchmarks/paired_comparison.py --a ~/runs/modern-e25-cv --b ~/runs/modern-e35-cv \
        --data-dir ../shared/data/digit-recognizer

Both runs must share SEED and VALIDATION_RATIO: then network n of each held out the same fold and started from the same
seed (SEED + n - 1), and only the settings that differ (epochs, recipe) set them apart. For each network both runs
have, it prints one markdown row (accuracy on its fold, the log loss without label smoothing, and the digits only one
of the two gets right), then the out-of-fold accuracy of each run over all those folds together and their difference
with its paired standard error. Two recipes scored on the same digits differ only on the few digits that one gets
right and the other wrong, so the paired difference is measured far more finely than either accuracy alone.
Pure evaluation: it trains nothing and chooses nothing.
"""

import argparse
import json
import math
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold


def scores(probabilities, labels):
    """Accuracy and mean log loss (no label smoothing) of predicted probabilities."""
    picked = probabilities[np.arange(len(labels)), labels]
    return float((probabilities.argmax(axis=1) == labels).mean()), float(-np.log(np.clip(picked, 1e-7, 1)).mean())


def paired_rows(a, b, labels):
    """Markdown rows comparing per-fold probabilities a[n] and b[n] of the digits labels[n] that network n held out."""
    lines = ["| network | accuracy A | accuracy B | log loss A | log loss B | only A right | only B right |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for number, (pa, pb, truth) in enumerate(zip(a, b, labels), 1):
        (acc_a, loss_a), (acc_b, loss_b) = scores(pa, truth), scores(pb, truth)
        right_a, right_b = pa.argmax(axis=1) == truth, pb.argmax(axis=1) == truth
        lines.append(f"| {number} | {acc_a:.4f} | {acc_b:.4f} | {loss_a:.4f} | {loss_b:.4f} | "
                     f"{int((right_a & ~right_b).sum())} | {int((right_b & ~right_a).sum())} |")
    truth = np.concatenate(labels)
    right_a, right_b = (np.concatenate(p).argmax(axis=1) == truth for p in (a, b))
    only_a, only_b, digits = int((right_a & ~right_b).sum()), int((right_b & ~right_a).sum()), len(truth)
    error = math.sqrt(only_a + only_b - (only_b - only_a) ** 2 / digits) / digits  # paired: from the digits they disagree on
    lines += ["", f"Out of fold over {len(a)} folds ({digits:,} digits): A {right_a.mean():.4f}, B {right_b.mean():.4f}; "
                  f"B - A {right_b.mean() - right_a.mean():+.4f} +- {error:.4f} (paired standard error; {only_a} digits only A "
                  f"gets right, {only_b} only B)"]
    return "\n".join(lines)


def held_out_probabilities(run, metrics, images, labels, networks):
    """Each network's probabilities on the fold it held out, and that fold's labels."""
    folds = list(StratifiedKFold(round(1 / metrics["validation_ratio"]), shuffle=True, random_state=metrics["seed"])
                 .split(np.zeros(len(labels)), labels))
    probabilities, truth = [], []
    for number, member in enumerate(metrics["members"][:networks], 1):
        rows = folds[number - 1][1]
        model = keras.models.load_model(run / member["folder"] / "digit_cnn.keras")
        probabilities.append(model.predict(images[rows], batch_size=1024, verbose=0))
        truth.append(labels[rows])
    return probabilities, truth


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", type=Path, required=True, help="OUTPUT_DIR of the first run")
    parser.add_argument("--b", type=Path, required=True, help="OUTPUT_DIR of the second run")
    parser.add_argument("--data-dir", type=Path, required=True, help="folder with the train.csv both runs used")
    args = parser.parse_args()
    metrics = [json.loads((run / "metrics.json").read_text()) for run in (args.a, args.b)]
    for key in ("seed", "validation_ratio"):
        if metrics[0][key] != metrics[1][key] or not metrics[0]["validation_ratio"]:
            raise SystemExit(f"The runs differ in {key} (or hold nothing out): their networks did not hold out the same folds.")
    train = pd.read_csv(args.data_dir / "train.csv")
    images = train.drop(columns="label").to_numpy("float32").reshape(-1, 28, 28, 1) / 255.0
    labels = train["label"].to_numpy()
    networks = min(len(m["members"]) for m in metrics)
    (a, truth), (b, _) = (held_out_probabilities(run, m, images, labels, networks) for run, m in zip((args.a, args.b), metrics))
    for name, run, m in (("A", args.a, metrics[0]), ("B", args.b, metrics[1])):
        print(f"{name}: {run} ({m['model']}, recipe {m['recipe']}, {m['epochs']} epochs, batch {m['batch_size']})")
    print(paired_rows(a, b, truth))


if __name__ == "__main__":
    main()
