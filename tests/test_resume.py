"""Surviving a disconnect: kill a run after its first epoch, rerun with the same OUTPUT_DIR, and check it resumed."""

import json
import subprocess
import sys
import time

import pandas as pd
import psutil
import pytest

from conftest import NOTEBOOK, member_folders, metrics_of, run_notebook

SETTINGS = dict(DATASET="demo", EPOCHS=3, BATCH_SIZE=32)


def start_notebook(output_dir, **parameters):
    """Start papermill in the background, as a Colab session that will be cut off."""
    command = [sys.executable, "-m", "papermill", str(NOTEBOOK), str(output_dir.parent / "killed.ipynb"),
               "-p", "OUTPUT_DIR", str(output_dir), "--cwd", str(output_dir.parent)]
    for name, value in parameters.items():
        command += ["-p", name, str(value)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_after_first_backup(process, models_dir, timeout=600):
    """Kill papermill and its kernel as soon as a backup records a finished epoch; return its run folder and epochs."""
    deadline = time.time() + timeout
    while time.time() < deadline and process.poll() is None:
        for state in models_dir.glob("*/backup/training_metadata.json"):
            try:
                done = json.loads(state.read_text())["epoch"]
            except ValueError:  # caught mid-write
                done = 0
            if done >= 1:
                for child in psutil.Process(process.pid).children(recursive=True):
                    child.kill()
                process.kill()
                process.wait()
                return state.parent.parent, done
        time.sleep(0.2)
    process.kill()
    pytest.fail("the run did not back up an epoch in time")


pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("resume") / "output"
    process = start_notebook(output_dir, **SETTINGS)
    folder, done = kill_after_first_backup(process, output_dir / "models")
    return output_dir, folder, done


def test_interrupted_run_left_a_backup_and_no_results(interrupted):
    output_dir, folder, done = interrupted
    assert 1 <= done < 3
    assert (folder / "backup" / "latest.weights.h5").is_file()
    assert not (output_dir / "metrics.json").exists() and not (output_dir / "submission.csv").exists()
    assert json.loads((folder / "run.json").read_text())["status"] == "training"


def test_rerun_resumes_without_repeating_epochs(interrupted, tmp_path):
    output_dir, folder, done = interrupted
    executed = run_notebook(output_dir, workdir=tmp_path, **SETTINGS)
    assert f"epochs 1-{done} of 3 were done by an earlier run" in executed.read_text()
    metrics = metrics_of(output_dir)
    assert member_folders(output_dir)[0] == folder
    assert metrics["members"][0]["resumed_after_epochs"] == done
    assert len(metrics["epoch_seconds"]) == 3 - done  # only the missing epochs were trained
    assert pd.read_csv(folder / "training_log.csv")["epoch"].tolist() == [0, 1, 2]
    assert metrics["validation_accuracy"] > 0.5
    assert not (folder / "backup").exists()  # deleted once training completed
    assert json.loads((folder / "run.json").read_text())["status"] == "finished"
    assert len(pd.read_csv(output_dir / "submission.csv")) == metrics["test_rows"]
