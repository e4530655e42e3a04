"""Fixtures for the scheduler tests: job kinds installed as a plugin (an entry point on a folder
on the path, seen by the test and by the daemon), and daemons that are always stopped by pid."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import psutil
import pytest

HERE = Path(__file__).parent


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """Kinds ``sleep`` and ``fail`` from sample_kinds.py, registered through the entry-point group
    ``jupyter_mlops.job_kinds`` like a third-party package would."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(HERE / "sample_kinds.py", site / "mlops_test_kinds.py")
    info = site / "mlops_test_kinds-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mlops-test-kinds\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[jupyter_mlops.job_kinds]\nsleep = mlops_test_kinds:sleep_job\n"
                                           "fail = mlops_test_kinds:failing_job\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p))
    return site


class Daemons:
    """Starts daemons through the public API and remembers their pids, so that teardown can stop
    any the test left running: SIGTERM, wait, SIGKILL."""

    def __init__(self):
        self.pids: list[int] = []

    def start(self, ws):
        status = ws.start_scheduler()
        assert status.running and status.pid
        self.pids.append(status.pid)
        return status

    def stop_all(self):
        for pid in self.pids:
            kill_by_pid(pid)


def kill_by_pid(pid: int, timeout: float = 15) -> None:
    try:
        proc = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    try:
        os.kill(pid, signal.SIGTERM)
        proc.wait(timeout)
    except psutil.TimeoutExpired:
        os.kill(pid, signal.SIGKILL)
        proc.wait(timeout)
    except (ProcessLookupError, psutil.NoSuchProcess):
        pass


def pid_gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.fixture
def daemons():
    d = Daemons()
    yield d
    d.stop_all()


def wait_for(condition, timeout: float = 30.0, interval: float = 0.1):
    """Poll ``condition`` until it returns something truthy; returns it (None on timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return None
