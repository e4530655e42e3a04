"""Progress bars (tqdm) on the long verbs: shown on stderr when asked for, silent with
progress=False, never on a worker thread (the REST routes') unless asked."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import jupyter_mlops
from jupyter_mlops._core import progress

ROOT = Path(jupyter_mlops.__file__).resolve().parent.parent


@pytest.fixture
def registered(ws, clf, numeric_data, tmp_path):
    X, y = numeric_data
    ws.register(clf, "churn", data=X, target=y)
    X.to_csv(tmp_path / "in.csv", index=False)
    X.to_parquet(tmp_path / "in.parquet", index=False)
    return ws, X


def test_a_forced_batch_shows_the_rows_scored_on_stderr(registered, tmp_path, capsys):
    ws, X = registered
    ws.batch("churn:1", str(tmp_path / "in.parquet"), str(tmp_path / "out.csv"), chunk_rows=100, progress=True)
    err = capsys.readouterr().err
    assert "batch churn:1" in err and f"{len(X)}/{len(X)}" in err and "rows" in err


def test_progress_false_is_silent(registered, tmp_path, capsys):
    ws, X = registered
    ws.batch("churn:1", str(tmp_path / "in.csv"), str(tmp_path / "out.csv"), chunk_rows=100, progress=False)
    ws.drift(X, X, progress=False)
    ws.baseline("churn:1", X, progress=False)
    assert capsys.readouterr().err == ""


def test_forced_drift_and_baseline_count_their_features(registered, capsys):
    ws, X = registered
    ws.drift(X, X, progress=True)
    ws.baseline("churn:1", X, progress=True)
    err = capsys.readouterr().err
    assert "drift" in err and f"{X.shape[1]}/{X.shape[1]} [" in err
    assert "baseline" in err and "columns" in err


def test_auto_draws_nothing_for_quick_work_or_off_the_main_thread(registered, capsys):
    ws, X = registered
    ws.drift(X, X)  # well under a second: tqdm's delay never elapses
    assert capsys.readouterr().err == ""
    seen = []
    worker = threading.Thread(target=lambda: seen.append(progress.wanted(None)))
    worker.start()
    worker.join()
    assert seen == [False]  # the REST routes' worker threads: never a bar


def test_the_daemon_switch_wins_over_a_forced_bar(monkeypatch):
    monkeypatch.setenv("MLOPS_NO_PROGRESS", "1")
    assert progress.wanted(True) is False


def test_the_cli_shows_progress_on_stderr_and_not_with_no_progress(registered, tmp_path, home):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MLOPS_HOME": str(home)}

    def batch(flag):
        return subprocess.run([sys.executable, "-m", "jupyter_mlops", flag, "batch", "churn:1", "--input",
                               str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.csv"), "--chunk-rows", "50"],
                              capture_output=True, text=True, env=env, timeout=120)

    shown = batch("--progress")
    assert shown.returncode == 0, shown.stderr
    assert "400/400" in shown.stderr  # a CSV: its lines counted when the chunks are planned
    quiet = batch("--no-progress")
    assert quiet.returncode == 0 and "batch churn:1" not in quiet.stderr
