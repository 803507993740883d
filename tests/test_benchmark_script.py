"""The benchmark script's side-by-side summary of two networks over several seeds."""


import numpy as np
import pandas as pd
import pytest

from run_benchmark import side_by_side, steady_epoch_seconds


def row(model, seed, epoch_seconds, accuracy):
    return dict(model=model, seed=seed, epochs=20, epoch_seconds=epoch_seconds, train_images_per_second=1000,
                validation_accuracy=f"{accuracy:.4f}", run_seconds=600)  # as benchmark_row writes it


def test_side_by_side_means_over_seeds_and_compares_epoch_times():
    text = side_by_side([row("reference", 42, 120.0, 0.9948), row("modern", 42, 30.0, 0.9960),
                         row("modern", 7, 28.0, 0.9950), row("modern", 123, 29.0, 0.9955)])
    assert "| modern | 7 | 20 | 28.0 | 1000 | 0.9950 | 600 |" in text
    assert "modern: mean validation accuracy 0.9955 +- 0.0003 (standard error, 3 seed(s)); median 29.0 s" in text
    assert "reference: 4.14 x the training time per epoch of modern" in text


def test_side_by_side_of_a_run_whose_networks_were_all_reused_reports_no_epoch_time():
    text = side_by_side([row("modern", 42, "", 0.9960)])  # a rerun that only scores finished networks trains nothing
    assert text.endswith("modern: mean validation accuracy 0.9960 +- nan (standard error, 1 seed(s))")


def test_side_by_side_compares_backends():
    rows = [dict(row("modern", 42, 20.0, 0.9960), backend="tensorflow 2.20.0"), dict(row("modern", 42, 80.0, 0.9955), backend="jax 0.7.2")]
    text = side_by_side(rows)
    assert "| modern on jax | 42 | 20 | 80.0 | 1000 | 0.9955 | 600 |" in text
    assert "modern on jax: 4.00 x the training time per epoch of modern on tensorflow" in text


def test_epoch_seconds_leave_out_the_first_epoch_and_reused_members():
    assert steady_epoch_seconds({"members": [{"epoch_seconds": [50.0, 30.0, 31.0, 29.0], "reused": False}]}) == 30.0
    members = [{"epoch_seconds": [40.0, 20.0, 22.0], "reused": False}, {"epoch_seconds": [90.0, 90.0], "reused": True}]
    assert steady_epoch_seconds({"members": members}) == 21.0


def test_paired_comparison_counts_the_digits_each_recipe_alone_gets_right():
    from paired_comparison import paired_rows

    def table(predicted):  # networks 1 and 2 held out rows 0-3 and 4-7; 0.9 on the label when right, else 0.05
        labels = [0, 1, 2, 3, 3, 2, 1, 0]
        return pd.DataFrame({"network": [1] * 4 + [2] * 4, "row": range(8), "label": labels, "predicted": predicted,
                             "probability": [0.9 if p == t else 0.05 for p, t in zip(predicted, labels)]})

    a = table([0, 1, 2, 0, 3, 2, 0, 0])  # 3 and 3 of 4 right
    b = table([0, 1, 2, 3, 3, 0, 1, 0])  # 4 and 3 of 4 right
    text = paired_rows(a, b.sample(frac=1, random_state=0))  # rows are matched by row and network, not by order
    assert "| 1 | 0.7500 | 1.0000 | " in text and text.splitlines()[2].endswith("| 0 | 1 |")
    assert text.splitlines()[3].startswith("| 2 | 0.7500 | 0.7500 |") and text.splitlines()[3].endswith("| 1 | 1 |")
    assert f"| {-0.75 * np.log(0.9) - 0.25 * np.log(0.05):.4f} | {-np.log(0.9):.4f} |" in text.splitlines()[2]
    # over both folds: A 6 of 8, B 7 of 8; they disagree on 3 digits (1 only A, 2 only B): sqrt(3 - 1/8) / 8
    assert "Out of fold over 2 folds (8 digits): A 0.7500, B 0.8750; B - A +0.1250 +- 0.2119" in text
    # only the digits both held out are compared
    assert "over 1 folds (4 digits)" in paired_rows(a, b[b.network == 2])
    assert "averaged" not in text  # these tables keep only the label's probability
    for frame, sure in ((a, 0.9), (b, 0.6)):  # all ten probabilities: the predicted digit gets `sure`, the rest share what is left
        frame[[f"p{d}" for d in range(10)]] = np.where(np.arange(10) == frame[["predicted"]].to_numpy(), sure, (1 - sure) / 9)
    assert "A and B averaged, digit by digit: 0.7500 (2 wrong)" in paired_rows(a, b)  # A's surer answers win where they differ


def test_a_side_of_several_runs_is_their_average_digit_by_digit():
    from paired_comparison import averaged

    def table(rows, sure):  # each network answers the digit in `sure`, giving it 0.6 and the rest 0.4 / 9 each
        frame = pd.DataFrame({"network": 1, "row": rows, "label": 0, "predicted": sure, "probability": 0.0})
        frame[[f"p{d}" for d in range(10)]] = np.where(np.arange(10) == np.array(sure)[:, None], 0.6, 0.4 / 9)
        return frame

    mean = averaged([table([0, 1, 2], [0, 5, 5]), table([1, 2, 3], [0, 5, 7]), table([2, 1, 9], [0, 0, 2])])
    assert mean.row.tolist() == [1, 2] and mean.predicted.tolist() == [0, 5]  # rows 1 and 2 in all three; 2 votes of 3 win
    assert mean.probability.tolist() == pytest.approx([(0.6 + 0.6 + 0.4 / 9) / 3, (0.6 + 0.4 / 9 + 0.4 / 9) / 3])
    assert mean.loc[0, [f"p{d}" for d in range(10)]].sum() == pytest.approx(1)
    with pytest.raises(SystemExit, match="each must keep all ten probabilities"):
        averaged([table([0], [0]).drop(columns="p0"), table([0], [0])])


def test_step_cost_times_the_notebooks_train_and_kerass_own_fit(tmp_path):
    import step_cost

    ns = step_cost.notebook_namespace(MODEL="reference", PRECISION="float32", OUTPUT_DIR=str(tmp_path))
    mine, reference = step_cost.notebook_step(ns, 256, epochs=2), step_cost.keras_step(ns, 256, epochs=2)
    assert 0 < mine < 1000 and 0 < reference < 1000  # milliseconds per step of 4 batches of 64


def test_the_executed_copy_keeps_every_output_as_printed():
    from make_executed_copy import clean, value

    notebook = {"metadata": {"papermill": {"duration": 1}}, "cells": [
        {"cell_type": "code", "metadata": {"papermill": {}}, "outputs": [{"output_type": "stream", "name": "stdout", "text": "x\n"}]}]}
    assert clean(notebook) == {"metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "outputs": [{"output_type": "stream", "name": "stdout", "text": "x\n"}]}]}
    assert value("30") == 30 and value("True") is True and value("modern") == "modern"
