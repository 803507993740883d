"""The competition path: CSVs that the test writes, found in DATA_DIR or unpacked from the Kaggle CLI's zip, read and checked."""

import zipfile

import numpy as np
import pandas as pd
import pytest

from conftest import PIXELS, write_competition_csvs
from notebook_code import notebook_namespace


@pytest.fixture(scope="module")
def ns():
    return notebook_namespace(tags=("output", "data", "csv_checks"))


def test_reads_competition_csvs_from_data_dir(ns, tmp_path):
    train, test = write_competition_csvs(tmp_path / "data", train_rows=200, test_rows=30)
    data_dir = ns["find_data_dir"](str(tmp_path / "data"))
    assert data_dir == tmp_path / "data"
    frame = ns["read_checked"](data_dir / "train.csv", ["label", *PIXELS])
    assert frame.equals(train) and ns["read_checked"](data_dir / "test.csv", PIXELS).equals(test)


def test_unpacks_the_kaggle_cli_zip(ns, tmp_path):
    _, test = write_competition_csvs(tmp_path / "csvs", train_rows=200, test_rows=30)
    (tmp_path / "data").mkdir()
    with zipfile.ZipFile(tmp_path / "data" / "digit-recognizer.zip", "w") as archive:
        for name in ("train.csv", "test.csv"):
            archive.write(tmp_path / "csvs" / name, name)
    data_dir = ns["find_data_dir"](str(tmp_path / "data"))
    assert (data_dir / "train.csv").is_file() and pd.read_csv(data_dir / "test.csv").equals(test)


def test_the_demo_digits_are_in_the_competitions_format(ns, tmp_path):
    folder = ns["write_demo_csvs"](tmp_path / "demo")
    train = ns["read_checked"](folder / "train.csv", ["label", *PIXELS])
    test = ns["read_checked"](folder / "test.csv", PIXELS)
    assert len(train) + len(test) == 1797 and len(pd.read_csv(folder / "test_labels.csv")) == len(test)  # scikit-learn's digits
    pixels = train[PIXELS].to_numpy().reshape(-1, 28, 28)
    assert pixels.max() == 255 and pixels[:, [0, 1, 2, 3, 24, 25, 26, 27], :].max() == 0  # in the central 20x20, as in MNIST
    assert np.bincount(train["label"], minlength=10).min() > 100
