"""The competition path: CSVs that the test writes, found in DATA_DIR or in the Kaggle CLI's zip."""

import zipfile

import pandas as pd

from conftest import run_notebook, write_competition_csvs


def test_runs_on_competition_csvs_in_data_dir(tmp_path):
    _, test = write_competition_csvs(tmp_path / "data", train_rows=200, test_rows=30)
    run_notebook(tmp_path / "output", DATA_DIR=str(tmp_path / "data"), EPOCHS=1, BATCH_SIZE=64)
    submission = pd.read_csv(tmp_path / "output" / "submission.csv")
    assert list(submission.columns) == ["ImageId", "Label"]
    assert submission["ImageId"].tolist() == list(range(1, len(test) + 1))
    assert submission["Label"].between(0, 9).all()


def test_unpacks_the_kaggle_cli_zip(tmp_path):
    write_competition_csvs(tmp_path / "csvs", train_rows=200, test_rows=30)
    (tmp_path / "data").mkdir()
    with zipfile.ZipFile(tmp_path / "data" / "digit-recognizer.zip", "w") as archive:
        for name in ("train.csv", "test.csv"):
            archive.write(tmp_path / "csvs" / name, name)
    run_notebook(tmp_path / "output", DATA_DIR=str(tmp_path / "data"), MODEL="modern", EPOCHS=1, BATCH_SIZE=64)
    assert (tmp_path / "data" / "train.csv").is_file()
    assert len(pd.read_csv(tmp_path / "output" / "submission.csv")) == 30
