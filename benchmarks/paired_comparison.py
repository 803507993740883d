"""Compare two ensemble runs member by member on the same validation digits: the paired comparison of two recipes.

    python benchmarks/paired_comparison.py --a ~/runs/modern-ensemble10 --b ~/runs/modern-e45-ens3 \
        --data-dir ../shared/data/digit-recognizer

Both runs must share SEED and VALIDATION_RATIO, so member n of each trained on the same digits with the same seed
(SEED + n - 1) and both are scored on the same 4,200 validation digits; only the settings that differ (epochs,
recipe) set them apart. For the members both runs have, it prints one markdown row per seed (accuracy, the
validation log loss without label smoothing, and the digits only one of the two gets right), the mean difference
over seeds with its standard error, and the same for the averaged members. On 4,200 digits one standard error of
an accuracy is about 0.001, but two recipes scored on the same digits differ only on the few digits that one gets
right and the other wrong, so the paired difference is measured more finely. The log loss moves with every digit's
confidence; with label smoothing 0.1 the models aim at 0.9 on the right digit, so it sits near 0.09 and compares
only runs trained with the same smoothing. Pure evaluation: it trains nothing and chooses nothing.
"""

import argparse
import json
import math
from pathlib import Path

import numpy as np
from ensemble_curve import member_probabilities, validation_split


def scores(probabilities, labels):
    """Accuracy and mean log loss (no label smoothing) of predicted probabilities."""
    picked = probabilities[np.arange(len(labels)), labels]
    return float((probabilities.argmax(axis=1) == labels).mean()), float(-np.log(np.clip(picked, 1e-7, 1)).mean())


def paired_rows(a, b, labels, seeds):
    """Markdown rows comparing lists of per-member probabilities a and b (same seeds, same labels)."""
    rows = ["| seed | accuracy A | accuracy B | log loss A | log loss B | only A right | only B right |",
            "| --- | --- | --- | --- | --- | --- | --- |"]

    def row(name, pa, pb):
        (acc_a, loss_a), (acc_b, loss_b) = scores(pa, labels), scores(pb, labels)
        right_a, right_b = pa.argmax(axis=1) == labels, pb.argmax(axis=1) == labels
        rows.append(f"| {name} | {acc_a:.4f} | {acc_b:.4f} | {loss_a:.4f} | {loss_b:.4f} | "
                    f"{int((right_a & ~right_b).sum())} | {int((right_b & ~right_a).sum())} |")
        return acc_b - acc_a, loss_b - loss_a, int((right_a != right_b).sum())

    differences = np.array([row(seed, pa, pb)[:2] for seed, pa, pb in zip(seeds, a, b)])
    together = row(f"average of {len(a)}", np.mean(a, axis=0), np.mean(b, axis=0))
    lines = rows + [""]
    if len(differences) > 1:
        mean, error = differences.mean(axis=0), differences.std(axis=0, ddof=1) / math.sqrt(len(differences))
        lines.append(f"B - A over {len(differences)} seeds: accuracy {mean[0]:+.4f} +- {error[0]:.4f}, "
                     f"log loss {mean[1]:+.4f} +- {error[1]:.4f} (mean +- standard error)")
    discordant = together[2]
    lines.append(f"B - A, averaged members: accuracy {together[0]:+.4f} +- {math.sqrt(discordant) / len(labels):.4f} "
                 f"(standard error from the {discordant} digits they disagree on), log loss {together[1]:+.4f}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a", type=Path, required=True, help="OUTPUT_DIR of the first run")
    parser.add_argument("--b", type=Path, required=True, help="OUTPUT_DIR of the second run")
    parser.add_argument("--data-dir", type=Path, required=True, help="folder with the train.csv both runs used")
    args = parser.parse_args()
    metrics = [json.loads((run / "metrics.json").read_text()) for run in (args.a, args.b)]
    for key in ("seed", "validation_rows", "validation_class_counts"):
        if metrics[0][key] != metrics[1][key]:
            raise SystemExit(f"The runs differ in {key}: they were not scored on the same validation digits.")
    x_val, y_val = validation_split(metrics[0], args.data_dir)
    members = min(m["ensemble"] for m in metrics)
    a, b = (member_probabilities(run, x_val, range(1, members + 1)) for run in (args.a, args.b))
    for name, run, m in (("A", args.a, metrics[0]), ("B", args.b, metrics[1])):
        print(f"{name}: {run} ({m['model']}, recipe {m['recipe']}, {m['epochs']} epochs, batch {m['batch_size']})")
    print(paired_rows(a, b, y_val, [metrics[0]["seed"] + n for n in range(members)]))


if __name__ == "__main__":
    main()
