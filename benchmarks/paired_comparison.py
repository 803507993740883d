"""Compare two cross-validated runs network by network, each on the fold it held out: the paired comparison of two
recipes, over up to all 42,000 labelled digits.

    python benchmarks/paired_comparison.py --a ~/runs/modern-cv --b ~/runs/modern-e30-cv \
        --data-dir ../shared/data/digit-recognizer --save-a benchmarks/out_of_fold/modern-e20.csv.gz
    python benchmarks/paired_comparison.py --a benchmarks/out_of_fold/modern-e20.csv.gz \
        --b benchmarks/out_of_fold/modern-e30.csv.gz
    python benchmarks/paired_comparison.py --a benchmarks/out_of_fold/residual-w64-e12.csv.gz \
        benchmarks/out_of_fold/residual-w64-e12-amd.csv.gz --b benchmarks/out_of_fold/modern-e30-arrays.csv.gz \
        benchmarks/out_of_fold/residual-w64-e12-amd.csv.gz

Each side is a run's OUTPUT_DIR (then --data-dir names its train.csv, for the labels and folds; each network's
held_out.npy holds its answers for the fold it held out), or an out-of-fold table saved earlier with --save-a/--save-b:
one row per held-out digit (network, its row in train.csv, label, predicted digit, probability given to the label, and,
in tables saved since the residual network, all ten probabilities p0-p9). The tables are small, so they are kept under
benchmarks/out_of_fold/ and a later comparison needs neither the models nor the run folders. The two sides are
compared on the digits both held out. A side of several sources is their ensemble: for each digit, the ten
probabilities of its networks averaged (tables that keep all ten), as the notebook averages an ensemble's.

For each network it prints one markdown row (accuracy on its fold, the log loss without label smoothing, and the
digits only one of the two gets right), then the out-of-fold accuracy of each run over all those folds together and
their difference with its paired standard error. When both sides keep all ten probabilities, it also prints the
accuracy of their average: for each digit, the two networks that held it out, as a two-network ensemble.

Runs with the same SEED and VALIDATION_RATIO hold out the same folds and start network n from the same seed, so
only the settings that differ set them apart. Two recipes scored on the same digits differ only on the few digits
that one gets right and the other wrong, so the paired difference is measured far more finely than either accuracy
alone. Pure evaluation: it trains nothing and chooses nothing.
"""

import argparse
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold


def out_of_fold_table(run, data_dir):
    """One row per digit a network of the run held out: network, row of train.csv, label, predicted, probabilities."""
    metrics = json.loads((run / "metrics.json").read_text())
    if not metrics["validation_ratio"]:
        raise SystemExit(f"{run} held nothing out (VALIDATION_RATIO 0): it has no out-of-fold digits.")
    labels = pd.read_csv(data_dir / "train.csv", usecols=["label"])["label"].to_numpy()
    folds = list(StratifiedKFold(round(1 / metrics["validation_ratio"]), shuffle=True, random_state=metrics["seed"])
                 .split(np.zeros(len(labels)), labels))
    return pd.concat([network_table(member["number"], folds[member["number"] - 1][1], labels,
                                    np.load(run / member["folder"] / "held_out.npy"))  # its answers, saved as it finished
                      for member in metrics["members"]], ignore_index=True)


def network_table(network, rows, labels, probabilities):
    """The out-of-fold rows of one network: its held-out rows of train.csv and its ten probabilities for each."""
    return pd.DataFrame({"network": network, "row": rows, "label": labels[rows], "predicted": probabilities.argmax(axis=1),
                         "probability": probabilities[np.arange(len(rows)), labels[rows]].round(6),
                         **{f"p{digit}": probabilities[:, digit].round(5) for digit in range(10)}})


def averaged(tables):
    """One out-of-fold table for several: on the digits all held out, each digit's ten probabilities averaged."""
    if len(tables) == 1:
        return tables[0]
    if not all("p0" in table for table in tables):
        raise SystemExit("To average several runs, each must keep all ten probabilities (p0-p9).")
    keys, columns = ["network", "row", "label"], [f"p{d}" for d in range(10)]
    both = pd.concat([table.set_index(keys)[columns] for table in tables], axis=1, join="inner")
    mean = pd.DataFrame(both.to_numpy().reshape(len(both), len(tables), 10).mean(axis=1), index=both.index, columns=columns)
    mean = mean.reset_index()
    mean.insert(3, "predicted", mean[columns].to_numpy().argmax(axis=1))
    mean.insert(4, "probability", mean[columns].to_numpy()[np.arange(len(mean)), mean.label])
    return mean


def paired_rows(a, b):
    """Markdown rows comparing two out-of-fold tables on the digits both held out, network by network."""
    both = a.merge(b, on=["row", "network", "label"], suffixes=("_a", "_b"))
    if both.empty:
        raise SystemExit("The two runs have no held-out digit in common: compare runs with the same SEED and VALIDATION_RATIO.")
    both["right_a"], both["right_b"] = both.predicted_a == both.label, both.predicted_b == both.label
    both["loss_a"], both["loss_b"] = (-np.log(np.clip(both[f"probability_{s}"], 1e-7, 1)) for s in "ab")
    lines = ["| network | accuracy A | accuracy B | log loss A | log loss B | only A right | only B right |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for number, fold in both.groupby("network"):
        lines.append(f"| {number} | {fold.right_a.mean():.4f} | {fold.right_b.mean():.4f} | {fold.loss_a.mean():.4f} | "
                     f"{fold.loss_b.mean():.4f} | {int((fold.right_a & ~fold.right_b).sum())} | "
                     f"{int((fold.right_b & ~fold.right_a).sum())} |")
    only_a, only_b = int((both.right_a & ~both.right_b).sum()), int((both.right_b & ~both.right_a).sum())
    digits = len(both)
    error = math.sqrt(only_a + only_b - (only_b - only_a) ** 2 / digits) / digits  # paired: from the digits they disagree on
    lines += ["", f"Out of fold over {both.network.nunique()} folds ({digits:,} digits): A {both.right_a.mean():.4f}, "
                  f"B {both.right_b.mean():.4f}; B - A {both.right_b.mean() - both.right_a.mean():+.4f} +- {error:.4f} "
                  f"(paired standard error; {only_a} digits only A gets right, {only_b} only B)"]
    if "p0_a" in both and "p0_b" in both:  # both tables keep all ten probabilities: the two networks of a digit, averaged
        average = sum(both[[f"p{d}_{s}" for d in range(10)]].to_numpy() for s in "ab").argmax(axis=1) == both.label
        lines.append(f"A and B averaged, digit by digit: {average.mean():.4f} ({int((~average).sum())} wrong)")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for side in "ab":
        parser.add_argument(f"--{side}", type=Path, nargs="+", required=True,
                            help="a run's OUTPUT_DIR or a saved out-of-fold table; several: their average")
        parser.add_argument(f"--save-{side}", type=Path, help="write that side's out-of-fold table here (.csv.gz)")
    parser.add_argument("--data-dir", type=Path, help="folder with the train.csv the runs used (for run folders)")
    args = parser.parse_args()
    tables = []
    for side in "ab":
        sources, save = getattr(args, side), getattr(args, f"save_{side}")
        if any(source.is_dir() for source in sources) and not args.data_dir:
            parser.error(f"--{side} names a run folder: name its train.csv's folder with --data-dir")
        table = averaged([out_of_fold_table(s, args.data_dir) if s.is_dir() else pd.read_csv(s) for s in sources])
        if save:
            save.parent.mkdir(parents=True, exist_ok=True)
            table.to_csv(save, index=False, compression={"method": "gzip", "mtime": 0})  # the same table, the same bytes
        print(f"{side.upper()}: {' + '.join(map(str, sources))}")
        tables.append(table)
    print(paired_rows(*tables))


if __name__ == "__main__":
    main()
