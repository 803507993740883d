"""ENSEMBLE on the demo data: a cross-validated ensemble, each network holding out its own fold, and reruns of it."""

import json

import keras
import numpy as np
import pandas as pd
import pytest

from conftest import (
    demo_images,
    ensemble_probabilities,
    held_out_rows,
    member_folders,
    metrics_of,
    run_notebook,
)
from paired_comparison import out_of_fold_table

SETTINGS = dict(DATASET="demo", MODEL="modern", EPOCHS=2, BATCH_SIZE=32, ENSEMBLE=2, PRECISION="float32")


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ensemble_run(tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("ensemble") / "output"
    executed = run_notebook(output_dir, **SETTINGS)
    return output_dir, executed.read_text()


def test_each_network_holds_out_its_own_fold_with_its_own_seed(ensemble_run):
    output_dir, _ = ensemble_run
    _, labels = demo_images(output_dir, "train.csv")
    metrics = metrics_of(output_dir)
    records = [json.loads((folder / "run.json").read_text()) for folder in member_folders(output_dir)]
    assert [r["record"]["seed"] for r in records] == [42, 43]
    assert all(r["status"] == "finished" and folder.name.startswith("digit_cnn_modern-") for r, folder in zip(records, member_folders(output_dir)))
    folds = [held_out_rows(labels, n) for n in (1, 2)]
    assert not set(folds[0]) & set(folds[1])  # two different tenths of train.csv
    for record, rows in zip(records, folds):
        assert record["record"]["validation_rows"] == len(rows) and record["record"]["train_rows"] == len(labels) - len(rows)
    weights = [model.get_weights()[0] for model in (keras.models.load_model(f / "digit_cnn.keras") for f in member_folders(output_dir))]
    assert not np.allclose(weights[0], weights[1])
    assert metrics["augmented_images"] == 2 * 2 * (len(labels) - len(folds[0]))  # networks x epochs x training digits


def test_out_of_fold_accuracy_scores_each_network_on_the_fold_it_never_saw(ensemble_run):
    output_dir, text = ensemble_run
    images, labels = demo_images(output_dir, "train.csv")
    right = []
    for number, folder in enumerate(member_folders(output_dir), 1):
        rows = held_out_rows(labels, number)
        model = keras.models.load_model(folder / "digit_cnn.keras")
        right.append(model.predict(images[rows], verbose=0).argmax(axis=1) == labels[rows])
    metrics = metrics_of(output_dir)
    assert metrics["out_of_fold_digits"] == sum(map(len, right))
    assert metrics["out_of_fold_accuracy"] == pytest.approx(np.concatenate(right).mean(), abs=2 / metrics["out_of_fold_digits"])
    assert metrics["out_of_fold_accuracy"] > 0.5 and f"over {metrics['out_of_fold_digits']:,} held-out digits of 2 network(s)" in text
    table = pd.read_csv(output_dir / "ensemble.csv")
    assert table["network"].tolist() == [1, 2] and table["held-out accuracy"].between(0.5, 1).all()


def test_out_of_fold_table_keeps_each_held_out_digit_for_later_comparisons(ensemble_run):
    output_dir, _ = ensemble_run
    _, labels = demo_images(output_dir, "train.csv")
    table = out_of_fold_table(output_dir, output_dir / "demo_data")
    for number in (1, 2):
        assert sorted(table.query("network == @number").row) == sorted(held_out_rows(labels, number))
    assert (table.label == labels[table.row]).all() and table.probability.between(0, 1).all()
    metrics = metrics_of(output_dir)
    assert len(table) == metrics["out_of_fold_digits"]
    assert (table.predicted == table.label).mean() == pytest.approx(metrics["out_of_fold_accuracy"], abs=2 / len(table))


def test_submission_averages_the_networks(ensemble_run):
    output_dir, _ = ensemble_run
    images, _ = demo_images(output_dir, "test.csv")
    expected = ensemble_probabilities(output_dir, images).argmax(axis=1)
    assert (expected == pd.read_csv(output_dir / "submission.csv")["Label"].to_numpy()).all()
