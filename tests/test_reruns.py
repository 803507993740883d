"""Reruns never mix work: every run folder carries a record of its settings, data and precision, checked on rerun."""

import json

import papermill
import pytest

from conftest import run_notebook, write_competition_csvs

MEMBER_FILES = ("digit_cnn.keras", "training_log.csv", "run.json")


@pytest.fixture(scope="module")
def ensemble_dir(tmp_path_factory):
    """A finished demo ensemble of two small networks, trained in float32."""
    output_dir = tmp_path_factory.mktemp("reruns") / "output"
    run_notebook(output_dir, DATASET="demo", MODEL="modern", EPOCHS=1, ENSEMBLE=2, PRECISION="float32")
    return output_dir


def member_files(output_dir):
    return {(n, name): (output_dir / f"member_{n}" / name).read_bytes() for n in (1, 2) for name in MEMBER_FILES}


def refusal(output_dir, tmp_path, **parameters):
    """Rerun in the same OUTPUT_DIR; return the InputError's message and check that no member file changed."""
    before = member_files(output_dir)
    with pytest.raises(papermill.PapermillExecutionError) as error:
        run_notebook(output_dir, workdir=tmp_path, **parameters)
    assert error.value.ename == "InputError"
    assert member_files(output_dir) == before
    return error.value.evalue


def test_members_trained_on_the_demo_are_not_reused_for_the_competition_data(ensemble_dir, tmp_path):
    write_competition_csvs(tmp_path / "data", train_rows=200, test_rows=30)
    message = refusal(ensemble_dir, tmp_path, DATA_DIR=str(tmp_path / "data"), MODEL="modern", EPOCHS=1, ENSEMBLE=2,
                      PRECISION="float32")
    assert "member_1 holds a finished model made with other settings or data: train.csv (1,437 rows" in message
    assert "200 rows" in message and "set OUTPUT_DIR to another folder" in message


def test_a_finished_run_in_another_precision_is_refused(ensemble_dir, tmp_path):
    message = refusal(ensemble_dir, tmp_path, DATASET="demo", MODEL="modern", EPOCHS=1, ENSEMBLE=2, PRECISION="mixed_float16")
    assert "precision ('float32' then, 'mixed_float16' now)" in message


def test_more_members_reuse_the_finished_ones(ensemble_dir, tmp_path):
    before = member_files(ensemble_dir)
    executed = run_notebook(ensemble_dir, workdir=tmp_path, DATASET="demo", MODEL="modern", EPOCHS=1, ENSEMBLE=3,
                            PRECISION="float32")
    text = executed.read_text()
    assert "Reusing the finished model in" in text and "Reusing the finished member in" in text
    assert member_files(ensemble_dir) == before  # members 1 and 2 untouched
    metrics = json.loads((ensemble_dir / "metrics.json").read_text())
    assert metrics["reused_models"] == 2 and len(metrics["members"]) == 3
    assert json.loads((ensemble_dir / "member_3" / "run.json").read_text())["status"] == "finished"
