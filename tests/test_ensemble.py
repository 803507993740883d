"""ENSEMBLE and TTA on the demo data: members on the same training digits with their own seeds, scored on the held-out digits."""

import json

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from conftest import PIXELS, ensemble_probabilities, run_notebook


@pytest.fixture(scope="module")
def ensemble_run(tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("ensemble") / "output"
    run_notebook(output_dir, DATASET="demo", MODEL="modern", EPOCHS=2, BATCH_SIZE=32, ENSEMBLE=2, TTA=2)
    return output_dir


def test_each_member_has_its_own_model_log_and_record(ensemble_run):
    metrics = json.loads((ensemble_run / "metrics.json").read_text())
    assert metrics["ensemble"] == 2 and metrics["tta"] == 2
    seeds = []
    for number in (1, 2):
        folder = ensemble_run / f"member_{number}"
        run = json.loads((folder / "run.json").read_text())
        assert run["status"] == "finished" and run["record"]["model"] == "modern"
        assert pd.read_csv(folder / "training_log.csv")["epoch"].tolist() == [0, 1]
        member = metrics["members"][number - 1]
        # every member trains on all the training digits of the split, none of the held-out validation digits
        assert member["train_rows"] == run["result"]["train_rows"] == metrics["train_rows"]
        assert run["record"]["kept_epoch"] == "last" and run["record"]["validation_ratio"] == 0.1
        seeds.append(run["record"]["seed"])
        assert not (folder / "backup").exists()
    assert seeds == [42, 43]  # SEED, then SEED + 1
    weights = [keras.models.load_model(ensemble_run / f"member_{n}" / "digit_cnn.keras").get_weights()[0] for n in (1, 2)]
    assert not np.allclose(weights[0], weights[1])


def test_ensemble_csv_scores_members_and_ensemble_on_the_held_out_digits(ensemble_run):
    table = pd.read_csv(ensemble_run / "ensemble.csv")
    assert table["member"].astype(str).tolist() == ["1", "2", "ensemble"]
    train = pd.read_csv(ensemble_run / "demo_data" / "train.csv")
    images = (train[PIXELS].to_numpy(np.float32) / 255).reshape(-1, 28, 28, 1)
    _, x_val, _, y_val = train_test_split(images, train["label"].to_numpy(), test_size=0.1,
                                          stratify=train["label"], random_state=42)
    accuracy = float((ensemble_probabilities(ensemble_run, x_val).argmax(axis=1) == y_val).mean())
    assert table["validation_accuracy"].iloc[-1] == pytest.approx(accuracy, abs=2 / len(y_val))
    assert json.loads((ensemble_run / "metrics.json").read_text())["validation_accuracy"] == table["validation_accuracy"].iloc[-1]
    assert table["validation_accuracy"].iloc[-1] > 0.5


def test_submission_averages_the_members_over_tta_views(ensemble_run):
    test = pd.read_csv(ensemble_run / "demo_data" / "test.csv")
    images = (test.to_numpy(np.float32) / 255).reshape(-1, 28, 28, 1)
    expected = ensemble_probabilities(ensemble_run, images).argmax(axis=1)
    submitted = pd.read_csv(ensemble_run / "submission.csv")["Label"].to_numpy()
    assert (expected == submitted).mean() >= 0.99  # bfloat16 near-ties may flip a digit or two
