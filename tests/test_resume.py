"""Surviving a disconnect: kill a run after its first epoch, rerun with the same OUTPUT_DIR, and check it resumed."""

import json
import subprocess
import sys
import time

import pandas as pd
import papermill
import psutil
import pytest

from conftest import NOTEBOOK, run_notebook


def start_notebook(output_dir, **parameters):
    """Start papermill in the background, as a Colab session that will be cut off."""
    command = [sys.executable, "-m", "papermill", str(NOTEBOOK), str(output_dir.parent / "killed.ipynb"),
               "-p", "OUTPUT_DIR", str(output_dir), "--cwd", str(output_dir.parent)]
    for name, value in parameters.items():
        command += ["-p", name, str(value)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_after_first_backup(process, backup_dir, timeout=600):
    """Kill papermill and its kernel as soon as the backup records a finished epoch; return that epoch count."""
    state = backup_dir / "training_metadata.json"
    deadline = time.time() + timeout
    while time.time() < deadline and process.poll() is None:
        if state.is_file():
            try:
                done = json.loads(state.read_text())["epoch"]
            except ValueError:  # caught mid-write
                done = 0
            if done >= 1:
                for child in psutil.Process(process.pid).children(recursive=True):
                    child.kill()
                process.kill()
                process.wait()
                return done
        time.sleep(0.2)
    process.kill()
    pytest.fail("the run did not back up an epoch in time")


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("resume") / "output"
    process = start_notebook(output_dir, DATASET="demo", EPOCHS=3, BATCH_SIZE=32)
    done = kill_after_first_backup(process, output_dir / "backup")
    return output_dir, done


def test_interrupted_run_left_a_backup_and_no_results(interrupted):
    output_dir, done = interrupted
    assert 1 <= done < 3
    assert (output_dir / "backup" / "latest.weights.h5").is_file()
    assert not (output_dir / "metrics.json").exists() and not (output_dir / "submission.csv").exists()
    assert json.loads((output_dir / "run.json").read_text())["status"] == "training"


def test_rerun_with_other_settings_is_refused(interrupted, tmp_path):
    output_dir, done = interrupted
    with pytest.raises(papermill.PapermillExecutionError) as error:
        run_notebook(output_dir, workdir=tmp_path, DATASET="demo", EPOCHS=4, BATCH_SIZE=32)
    assert error.value.ename == "InputError"
    assert f"holds an interrupted run ({done} of 3 epochs done) made with other settings or data: epochs (3 then, 4 now)" in error.value.evalue
    assert "delete" in error.value.evalue
    assert (output_dir / "backup" / "latest.weights.h5").is_file()  # the backup is kept


def test_rerun_resumes_without_repeating_epochs(interrupted, tmp_path):
    output_dir, done = interrupted
    executed = run_notebook(output_dir, workdir=tmp_path, DATASET="demo", EPOCHS=3, BATCH_SIZE=32)
    assert f"epochs 1-{done} of 3 were done by an earlier run" in executed.read_text()
    metrics = json.loads((output_dir / "metrics.json").read_text())
    assert metrics["resumed_after_epochs"] == done
    assert len(metrics["epoch_seconds"]) == 3 - done  # only the missing epochs were trained
    assert pd.read_csv(output_dir / "training_log.csv")["epoch"].tolist() == [0, 1, 2]
    assert metrics["validation_accuracy"] > 0.5
    assert not (output_dir / "backup").exists()  # deleted once training completed
    assert json.loads((output_dir / "run.json").read_text())["status"] == "finished"
    assert len(pd.read_csv(output_dir / "submission.csv")) == metrics["test_rows"]
