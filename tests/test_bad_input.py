"""Bad input stops the notebook before training with one clear message, and loses nothing.

Every case runs through the notebook's own check functions; a few also run the whole notebook end to end."""

import zipfile

import pytest
from papermill.exceptions import PapermillExecutionError

from conftest import make_competition_frames, run_notebook
from notebook_code import notebook_namespace

GOOD_SUBMISSION = "ImageId,Label\n1,7\n"


def write(folder, train, test):
    folder.mkdir(parents=True, exist_ok=True)
    if train is not None:
        train.to_csv(folder / "train.csv", index=False)
    if test is not None:
        test.to_csv(folder / "test.csv", index=False)


def case_missing_files(folder):
    folder.mkdir()


def case_only_train(folder):
    train, _ = make_competition_frames(200, 30)
    write(folder, train, None)


def case_empty_train(folder):
    train, test = make_competition_frames(200, 30)
    write(folder, None, test)
    (folder / "train.csv").write_text("")


def case_header_only_test(folder):
    train, test = make_competition_frames(200, 30)
    write(folder, train, test.iloc[:0])


def case_test_with_label(folder):
    train, _ = make_competition_frames(200, 30)
    write(folder, train, train.iloc[:30])


def case_train_without_label(folder):
    train, test = make_competition_frames(200, 30)
    write(folder, train.drop(columns="label"), test)


def case_missing_pixel_column(folder):
    train, test = make_competition_frames(200, 30)
    write(folder, train, test.drop(columns="pixel783"))


def case_ragged_row(folder):
    train, test = make_competition_frames(200, 30)
    write(folder, train, test)
    with open(folder / "train.csv", "a") as handle:
        handle.write(",".join(["1"] * 790) + "\n")


def case_empty_value(folder):
    train, test = make_competition_frames(200, 30)
    train = train.astype(object)
    train.loc[2, "pixel100"] = None
    write(folder, train, test)


def case_fractional_pixel(folder):
    train, test = make_competition_frames(200, 30)
    test = test.astype(float)
    test.loc[4, "pixel10"] = 12.5
    write(folder, train, test)


def case_text_pixel(folder):
    train, test = make_competition_frames(200, 30)
    train = train.astype(object)
    train.loc[0, "pixel5"] = "abc"
    write(folder, train, test)


def case_pixel_out_of_range(folder):
    train, test = make_competition_frames(200, 30)
    test.loc[7, "pixel300"] = 256
    write(folder, train, test)


def case_label_out_of_range(folder):
    train, test = make_competition_frames(200, 30)
    train.loc[9, "label"] = 10
    write(folder, train, test)


def case_too_few_of_a_digit(folder):
    train, test = make_competition_frames(200, 30)
    only_one_three = train[train["label"] != 3].copy()
    only_one_three.iloc[0, 0] = 3
    write(folder, only_one_three, test)


def case_bad_zip(folder):
    folder.mkdir()
    (folder / "digit-recognizer.zip").write_bytes(b"not a zip file")


def case_zip_without_csvs(folder):
    folder.mkdir()
    with zipfile.ZipFile(folder / "digit-recognizer.zip", "w") as archive:
        archive.writestr("readme.txt", "nothing here")


CASES = {
    "missing files": (case_missing_files, ["No train.csv and test.csv", 'DATASET = "demo"', "kaggle.com"]),
    "only train.csv": (case_only_train, ["test.csv is missing"]),
    "empty train.csv": (case_empty_train, ["train.csv is empty"]),
    "header-only test.csv": (case_header_only_test, ["test.csv has a header but no rows"]),
    "test.csv with labels": (case_test_with_label, ["test.csv has a 'label' column", "is this the train.csv?"]),
    "train.csv without labels": (case_train_without_label, ["train.csv has no 'label' column"]),
    "missing pixel column": (case_missing_pixel_column, ["test.csv has 783 columns", "missing ['pixel783']"]),
    "ragged row": (case_ragged_row, ["train.csv is not a readable CSV", "line 202"]),
    "empty value": (case_empty_value, ["train.csv has an empty value at row 3 (line 4), column 'pixel100'"]),
    "fractional pixel": (case_fractional_pixel, ["test.csv has a value that is not a whole number at row 5", "'pixel10'"]),
    "text pixel": (case_text_pixel, ["train.csv has a value that is not a whole number at row 1", "'pixel5'"]),
    "pixel out of range": (case_pixel_out_of_range, ["test.csv has a pixel outside 0-255 at row 8", "'pixel300'"]),
    "label out of range": (case_label_out_of_range, ["train.csv has a label outside 0-9 at row 10"]),
    "too few of a digit": (case_too_few_of_a_digit, ["train.csv has 1 image(s) of digit 3", "into 10 folds needs at least 10 of each"]),
    "corrupt zip": (case_bad_zip, ["digit-recognizer.zip is not the competition's zip"]),
    "zip without the csvs": (case_zip_without_csvs, ["digit-recognizer.zip is not the competition's zip"]),
}


def assert_stopped_cleanly(tmp_path, error, phrases):
    assert error.value.ename == "InputError"
    for phrase in phrases:
        assert phrase in error.value.evalue
    assert (tmp_path / "output" / "submission.csv").read_text() == GOOD_SUBMISSION  # the old one is untouched
    assert not (tmp_path / "output" / "models").exists()  # stopped before training


@pytest.fixture(scope="module")
def ns():
    """The notebook's own data and settings checks, loaded by cell tag (no kernel per case)."""
    return notebook_namespace(tags=("checks", "output", "data", "csv_checks", "split"))


def check_data(ns, folder):
    """What the notebook does with DATA_DIR before training: find, read and check both files, then the folds."""
    data_dir = ns["find_data_dir"](str(folder))
    ns["read_checked"](data_dir / "test.csv", ns["PIXELS"])
    labels = ns["read_checked"](data_dir / "train.csv", ["label", *ns["PIXELS"]])["label"].to_numpy()
    ns["check_fold_count"](labels, 10)


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_each_kind_of_bad_data_gets_its_message(ns, tmp_path, case):
    make, phrases = CASES[case]
    make(tmp_path / "data")
    with pytest.raises(ns["InputError"]) as error:
        check_data(ns, tmp_path / "data")
    for phrase in phrases:
        assert phrase in str(error.value)


@pytest.mark.slow
@pytest.mark.parametrize("case", ["pixel out of range"])
def test_bad_data_stops_the_notebook_before_training(tmp_path, case):
    make, phrases = CASES[case]
    make(tmp_path / "data")
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "submission.csv").write_text(GOOD_SUBMISSION)
    with pytest.raises(PapermillExecutionError) as error:
        run_notebook(tmp_path / "output", DATA_DIR=str(tmp_path / "data"), EPOCHS=1)
    assert_stopped_cleanly(tmp_path, error, phrases)


BAD_SETTINGS = [
    ({"EPOCHS": 0}, "EPOCHS is 0; use a whole number of 1 or more"),
    ({"EPOCHS": 2.5}, "EPOCHS is 2.5"),
    ({"VALIDATION_RATIO": 1.5}, "VALIDATION_RATIO is 1.5"),
    ({"VALIDATION_RATIO": -0.1}, "VALIDATION_RATIO is -0.1"),
    ({"DATASET": "mnist"}, "DATASET is 'mnist'"),
    ({"WIDTH": 0}, "WIDTH is 0; use a whole number of 1 or more"),
    ({"PRECISION": "float8"}, "PRECISION is 'float8'; use one of 'auto', 'float32', 'mixed_float16', 'mixed_bfloat16'"),
    ({"XLA": "yes"}, "XLA is 'yes'; use one of 'auto', 'on', 'off'"),
    ({"BACKEND": "torch"}, "BACKEND is 'torch'; use one of 'auto', 'tensorflow', 'jax'"),
    ({"ENSEMBLE": 0}, "ENSEMBLE is 0"),
    ({"ENSEMBLE": 11}, "ENSEMBLE is 11, but VALIDATION_RATIO 0.1 cuts train.csv into 10 folds"),
    ({"BATCH_SIZE": 0}, "BATCH_SIZE is 0"),
    ({"SEED": -1}, "SEED is -1"),
]
DEFAULTS = dict(DATASET="competition", PRECISION="auto", XLA="auto", BACKEND="auto", EPOCHS=20,
                BATCH_SIZE=64, WIDTH=64, VALIDATION_RATIO=0.1, ENSEMBLE=1, SEED=42)  # as the settings cell has them


@pytest.mark.parametrize("parameters, phrase", BAD_SETTINGS, ids=[phrase.split(";")[0] for _, phrase in BAD_SETTINGS])
def test_each_bad_setting_gets_its_message(ns, parameters, phrase):
    ns["check_settings"](DEFAULTS)  # the defaults pass
    with pytest.raises(ns["InputError"]) as error:
        ns["check_settings"](dict(DEFAULTS, **parameters))
    assert phrase in str(error.value)


def test_unwritable_output_dir_gets_its_message(ns, tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    with pytest.raises(ns["InputError"], match="cannot be written .* Fix: set OUTPUT_DIR"):
        ns["prepare_output_dir"](tmp_path / "a_file" / "output")
