"""Out-of-fold screen of test-time shifts: each saved network of a cross-validated run predicts the fold it held out
as it is, and averaged with four copies shifted by one pixel (up, down, left, right), or with all eight neighbours.
Saves one out-of-fold table per kind, for paired_comparison.py. Inference only; it trains nothing.

    python benchmarks/shift_screen.py ~/runs/residual-w64-e12-amd --data-dir ../shared/data/digit-recognizer \
        --out ~/runs/shifts/residual-w64-e12-amd
"""
import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from notebook_code import notebook_namespace
from sklearn.model_selection import StratifiedKFold

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("run", type=Path)
parser.add_argument("--data-dir", type=Path, required=True)
parser.add_argument("--out", type=Path, required=True)
args = parser.parse_args()
keras = notebook_namespace()["keras"]
data = pd.read_csv(args.data_dir / "train.csv")
labels = data.label.to_numpy()
images = (data.drop(columns="label").to_numpy("float32") / 255).reshape(-1, 28, 28, 1)
metrics = json.loads((args.run / "metrics.json").read_text())
folds = list(StratifiedKFold(round(1 / metrics["validation_ratio"]), shuffle=True, random_state=metrics["seed"])
             .split(np.zeros(len(labels)), labels))
tables = {"plain": [], "shifts4": [], "shifts8": []}
for member in metrics["members"]:
    rows = folds[member["number"] - 1][1]
    network = keras.saving.load_model(args.run / member["folder"] / "digit_cnn.keras")
    p = {(dy, dx): network.predict(np.roll(images[rows], (dy, dx), axis=(1, 2)), batch_size=256, verbose=0)
         for dy in (-1, 0, 1) for dx in (-1, 0, 1)}  # the digits' borders are blank, so a roll is a shift
    assert np.allclose(p[0, 0], np.load(args.run / member["folder"] / "held_out.npy"), atol=1e-4)
    kinds = {"plain": p[0, 0], "shifts4": sum(p[k] for k in [(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)]) / 5,
             "shifts8": sum(p.values()) / 9}
    for kind, probs in kinds.items():
        tables[kind].append(pd.DataFrame({"network": member["number"], "row": rows, "label": labels[rows],
                                          "predicted": probs.argmax(1), "probability": probs[np.arange(len(rows)), labels[rows]],
                                          **{f"p{d}": probs[:, d].round(5) for d in range(10)}}))
        print(member["number"], kind, f"{(probs.argmax(1) == labels[rows]).mean():.4f}")
args.out.mkdir(parents=True, exist_ok=True)
for kind, parts in tables.items():
    pd.concat(parts).to_csv(args.out / f"{kind}.csv.gz", index=False)
