"""SUBMIT: with credentials the notebook submits through Kaggle's API (a local stand-in here), never showing them."""

import json
from pathlib import Path

import pytest

from conftest import run_notebook, write_competition_csvs

FAKE_KAGGLE = Path(__file__).parent / "fake_kaggle"
SECRET_KEY = "0123456789abcdef-not-a-real-key"


def notebook_text(executed):
    return Path(executed).read_text()


@pytest.fixture
def competition_data(tmp_path):
    write_competition_csvs(tmp_path / "data", train_rows=200, test_rows=30)
    return tmp_path / "data"


def test_submits_with_a_message_naming_the_settings(tmp_path, competition_data, monkeypatch):
    log = tmp_path / "kaggle_calls.jsonl"
    monkeypatch.setenv("PYTHONPATH", str(FAKE_KAGGLE))
    monkeypatch.setenv("FAKE_KAGGLE_LOG", str(log))
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    monkeypatch.setenv("KAGGLE_KEY", SECRET_KEY)
    executed = run_notebook(tmp_path / "output", DATA_DIR=str(competition_data), EPOCHS=1, BATCH_SIZE=64, SUBMIT=True)

    calls = [json.loads(line) for line in log.read_text().splitlines()]
    submits = [call for call in calls if call["call"] == "competition_submit"]
    assert len(submits) == 1
    assert submits[0]["competition"] == "digit-recognizer"
    assert Path(submits[0]["file_name"]) == tmp_path / "output" / "submission.csv"
    assert submits[0]["rows"] == 31  # header and 30 predictions
    for part in ["recipe fast", "1 epochs", "batch 64", "ensemble 1", "seed 42", "validation accuracy"]:
        assert part in submits[0]["message"]
    text = notebook_text(executed)
    assert "Status: complete, public score: 0.98765" in text
    assert SECRET_KEY not in text
    assert not any(SECRET_KEY in path.read_text(errors="ignore") for path in (tmp_path / "output").rglob("*") if path.is_file())


def test_without_credentials_says_how_to_submit_by_hand(tmp_path, competition_data, monkeypatch):
    log = tmp_path / "kaggle_calls.jsonl"
    monkeypatch.setenv("PYTHONPATH", str(FAKE_KAGGLE))
    monkeypatch.setenv("FAKE_KAGGLE_LOG", str(log))
    executed = run_notebook(tmp_path / "output", DATA_DIR=str(competition_data), MODEL="modern", EPOCHS=1, SUBMIT=True)
    text = notebook_text(executed)
    assert "SUBMIT is on but no Kaggle credentials were found" in text
    assert "kaggle competitions submit -c digit-recognizer" in text
    assert not log.exists()  # Kaggle's API was never called
    assert (tmp_path / "output" / "submission.csv").is_file()
