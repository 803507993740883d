"""A held-out simulation of pseudo-labels: would training again with test.csv labelled by the ensemble help?

    B=benchmarks/out_of_fold
    python benchmarks/pseudo_label_screen.py --data-dir ../shared/data/digit-recognizer --output-dir ~/runs/pseudo \
        --labels $B/residual-w64-e12.csv.gz $B/residual-w64-e12-amd.csv.gz $B/residual-w128-e12.csv.gz \
        $B/modern-e30-arrays.csv.gz $B/modern-e30-loop.csv.gz \
        --folds 1 2 3 --train-folds 5 6 7 8 9 10 --seeds 42 43 -p MODEL residual -p EPOCHS 12

The --folds (of the notebook's ten) play test.csv, and --train-folds play train.csv: 12,600 and 25,200 digits
above, where the competition's test.csv has two thirds as many digits as its train.csv. Their pseudo-labels are the
argmax of the averaged out-of-fold probabilities in --labels: networks that never trained on those digits, as an
ensemble never trains on test.csv. For each seed, two networks train through the notebook's own `train`: one on the
train.csv digits alone, one on them plus the test.csv digits with their pseudo-labels. Both are scored on the test.csv
digits with their true labels, and the two are compared digit by digit (paired_comparison.py). Run folders under
--output-dir are reused and resumed.
"""

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_executed_copy import value  # noqa: E402
from notebook_code import notebook_namespace  # noqa: E402
from paired_comparison import averaged, network_table, paired_rows  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--labels", type=Path, nargs="+", required=True, help="out-of-fold tables with p0-p9")
    parser.add_argument("--folds", type=int, nargs="+", default=[1, 2, 3], help="the folds that play test.csv")
    parser.add_argument("--train-folds", type=int, nargs="+", help="the folds that play train.csv (default: the others)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("-p", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"), help="a notebook setting")
    args = parser.parse_args()

    nb = notebook_namespace(**{name: value(text) for name, text in args.p})
    frame = pd.read_csv(args.data_dir / "train.csv")
    labels = frame["label"].to_numpy()
    x = frame.drop(columns="label").to_numpy("float32").reshape(-1, 28, 28, 1) / 255.0
    onehot = np.eye(10, dtype="float32")[labels]
    folds = list(StratifiedKFold(10, shuffle=True, random_state=nb["SEED"]).split(x, labels))
    test_rows = np.concatenate([folds[n - 1][1] for n in args.folds])
    train_rows = np.sort(np.concatenate([folds[n - 1][1] for n in args.train_folds or set(range(1, 11)) - set(args.folds)]))

    labeller = averaged([pd.read_csv(path) for path in args.labels]).set_index("row").loc[test_rows]
    pseudo = labeller["predicted"].to_numpy()
    print(f"{len(train_rows):,} digits play train.csv, {len(test_rows):,} (folds {args.folds}) play test.csv; "
          f"their pseudo-labels are right for {np.mean(pseudo == labels[test_rows]):.4f}", flush=True)

    sides = {"a": [], "b": []}
    with_pseudo = (np.concatenate([train_rows, test_rows]),
                   np.concatenate([onehot[train_rows], np.eye(10, dtype="float32")[pseudo]]))
    for seed in args.seeds:
        for side, (rows, y) in (("a", (train_rows, onehot[train_rows])), ("b", with_pseudo)):
            print(f"seed {seed}, {'without' if side == 'a' else 'with'} pseudo-labels: {len(rows):,} training digits", flush=True)
            run = nb["train"](x[rows], y, x[test_rows], onehot[test_rows], nb["BUILDERS"][nb["MODEL"]], nb["recipe"],
                              nb["EPOCHS"], seed=seed, devices=nb["devices"], folder=args.output_dir / "models")
            sides[side].append(network_table(seed, test_rows, labels, run.held_out))
            print(f"  accuracy on the {len(test_rows):,}: {np.mean(run.held_out.argmax(axis=1) == labels[test_rows]):.4f}; "
                  f"{run.result['train_seconds']:.0f} s of training", flush=True)
        a, b = (pd.concat(tables, ignore_index=True) for tables in (sides["a"], sides["b"]))
        a.to_csv(args.output_dir / "without.csv.gz", index=False)
        b.to_csv(args.output_dir / "with.csv.gz", index=False)
        print("A: without pseudo-labels, B: with them")
        print(paired_rows(a, b), flush=True)


if __name__ == "__main__":
    main()
