"""The daemon on a PostgreSQL metadata database: the workspace's MLOPS_DB_URL reaches the detached
process, and runs are recorded there."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile

import pytest

from .conftest import kill_by_pid, wait_for


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def postgres_url():
    initdb, postgres = _pg_bin("initdb"), _pg_bin("postgres")
    if not initdb or not postgres:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; .ci/run does it)")
    root = tempfile.mkdtemp(prefix="mlops-sched-pg-")
    as_user = {}
    if os.geteuid() == 0:  # postgres refuses to run as root
        shutil.chown(root, "postgres", "postgres")
        as_user = {"user": "postgres", "group": "postgres"}
    data = os.path.join(root, "data")
    subprocess.run([initdb, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"], check=True,
                   capture_output=True, **as_user)
    port = _free_port()
    proc = subprocess.Popen([postgres, "-D", data, "-p", str(port), "-k", root, "-c", "listen_addresses=127.0.0.1",
                             "-c", "fsync=off"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **as_user)
    try:
        assert wait_for(lambda: _listening(port) or proc.poll() is not None, 30) and proc.poll() is None
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        kill_by_pid(proc.pid, timeout=30)
        proc.wait(5)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.postgres
def test_the_daemon_runs_schedules_stored_in_postgresql(postgres_url, home, plugin, daemons):
    from jupyter_mlops import Workspace

    ws = Workspace(home, db=postgres_url)  # given as an argument, not in this process's environment
    assert "MLOPS_DB_URL" not in os.environ
    ws.scheduler.add("sleep", "pg", every="1s", options={"seconds": 0})
    daemons.start(ws)
    try:
        assert wait_for(lambda: (ws.runs("sleep-pg")["status"] == "succeeded").sum() >= 2, 30)
        assert not (home / "mlops.db").exists()  # nothing went to a SQLite file by mistake
    finally:
        ws.stop_scheduler()
        ws.store.dispose()
