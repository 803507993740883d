"""Validation accuracy of an ensemble run's first k members, for k = 1 .. ENSEMBLE: what each member adds.

    python benchmarks/ensemble_curve.py --run ~/runs/modern-ensemble10 --data-dir ../shared/data/digit-recognizer

It reads the run's metrics.json and member_<n>/digit_cnn.keras, draws the run's validation split again from
train.csv (the notebook's stratified split with the run's SEED and validation ratio), and prints one markdown row
per k: the mean accuracy of those members alone, and the accuracy of their averaged probabilities. Pure evaluation:
it trains nothing and chooses nothing.
"""

import argparse
import json
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split


def validation_split(metrics, data_dir):
    """The run's validation digits and labels, drawn again from train.csv as the notebook drew them."""
    train = pd.read_csv(data_dir / "train.csv")
    images = train.drop(columns="label").to_numpy("float32").reshape(-1, 28, 28, 1) / 255.0
    _, x_val, _, y_val = train_test_split(images, train["label"].to_numpy(), test_size=metrics["validation_rows"],
                                          stratify=train["label"], random_state=metrics["seed"])
    if np.bincount(y_val, minlength=10).tolist() != metrics["validation_class_counts"]:
        raise SystemExit("This train.csv does not give the run's validation split; pass the data folder the run used.")
    return x_val, y_val


def member_probabilities(run, images, numbers):
    """Predicted probabilities of the run's members with these numbers (1 is the first), one array each."""
    return [keras.models.load_model(run / f"member_{n}" / "digit_cnn.keras").predict(images, batch_size=1024, verbose=0)
            for n in numbers]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, required=True, help="OUTPUT_DIR of a finished run with ENSEMBLE > 1")
    parser.add_argument("--data-dir", type=Path, required=True, help="folder with the train.csv the run used")
    args = parser.parse_args()
    metrics = json.loads((args.run / "metrics.json").read_text())
    x_val, y_val = validation_split(metrics, args.data_dir)
    probabilities = []
    print("| members | mean accuracy of each alone | accuracy of their average | wrong |\n| --- | --- | --- | --- |")
    for number in range(1, metrics["ensemble"] + 1):
        probabilities += member_probabilities(args.run, x_val, [number])
        alone = np.mean([(p.argmax(axis=1) == y_val).mean() for p in probabilities])
        together = np.mean(probabilities, axis=0).argmax(axis=1)
        print(f"| {number} | {alone:.4f} | {(together == y_val).mean():.4f} | {int((together != y_val).sum())} |", flush=True)


if __name__ == "__main__":
    main()
