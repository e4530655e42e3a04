"""The daemon on a PostgreSQL metadata database: the workspace's MLOPS_DB_URL reaches the detached
process, and runs are recorded there."""

from __future__ import annotations

import os

import pytest

from .conftest import wait_for


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
