"""SUBMIT: with credentials the notebook submits through Kaggle's API (a local stand-in here), never showing them."""

import json
import sys
from pathlib import Path

import pytest

from notebook_code import notebook_namespace

FAKE_KAGGLE = Path(__file__).parent / "fake_kaggle"
SECRET_KEY = "0123456789abcdef-not-a-real-key"
METRICS = {"validation_accuracy": 0.9876, "model": "reference", "recipe": "fast", "epochs": 1, "batch_size": 64, "ensemble": 1, "seed": 42}


@pytest.fixture
def submit(tmp_path, monkeypatch):
    """The notebook's submit cell with Kaggle's package replaced by a stand-in that logs its calls; a submission.csv."""
    monkeypatch.syspath_prepend(str(FAKE_KAGGLE))
    monkeypatch.setenv("FAKE_KAGGLE_LOG", str(tmp_path / "kaggle_calls.jsonl"))
    for name in [module for module in sys.modules if module.split(".")[0] == "kaggle"]:
        monkeypatch.delitem(sys.modules, name)
    ns = notebook_namespace(tags=("output", "data", "kaggle"), SUBMIT=True)
    (tmp_path / "submission.csv").write_text("ImageId,Label\n" + "".join(f"{i},7\n" for i in range(1, 31)))
    return ns, tmp_path


def test_submits_with_a_message_naming_the_settings(submit, monkeypatch, capsys):
    ns, folder = submit
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    monkeypatch.setenv("KAGGLE_KEY", SECRET_KEY)
    ns["submit_or_explain"](folder / "submission.csv", METRICS)
    calls = [json.loads(line) for line in (folder / "kaggle_calls.jsonl").read_text().splitlines()]
    submits = [call for call in calls if call["call"] == "competition_submit"]
    assert len(submits) == 1 and submits[0]["competition"] == "digit-recognizer"
    assert Path(submits[0]["file_name"]) == folder / "submission.csv" and submits[0]["rows"] == 31  # header and 30 predictions
    for part in ["recipe fast", "1 epochs", "batch 64", "ensemble 1", "seed 42", "validation accuracy 0.9876"]:
        assert part in submits[0]["message"]
    shown = capsys.readouterr().out
    assert "Status: complete, public score: 0.98765" in shown and SECRET_KEY not in shown


def test_without_credentials_says_how_to_submit_by_hand(submit, capsys):
    ns, folder = submit
    ns["submit_or_explain"](folder / "submission.csv", METRICS)
    shown = capsys.readouterr().out
    assert "SUBMIT is on but no Kaggle credentials were found" in shown and "kaggle competitions submit -c digit-recognizer" in shown
    assert not (folder / "kaggle_calls.jsonl").exists()  # Kaggle's API was never called


def test_the_demo_is_never_submitted(submit, monkeypatch, capsys):
    ns, folder = submit
    monkeypatch.setenv("KAGGLE_USERNAME", "someone")
    monkeypatch.setenv("KAGGLE_KEY", SECRET_KEY)
    ns["DATASET"] = "demo"
    ns["submit_or_explain"](folder / "submission.csv", METRICS)
    assert "SUBMIT is ignored for the demo data" in capsys.readouterr().out and not (folder / "kaggle_calls.jsonl").exists()
