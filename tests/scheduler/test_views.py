"""%mlops and mlops: the scheduler verbs are the Workspace calls of the same name."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from jupyter_mlops import InvalidInput
from jupyter_mlops.cli import main

from .conftest import kill_by_pid, pid_gone


@pytest.fixture
def served(ws, clf, numeric_data):
    X, y = numeric_data
    ws.register(clf, "churn", data=X, target=y)
    ep = ws.deploy("churn:1", "churn", capture=100)
    yield ep
    try:
        ws.stop("churn")
    finally:
        kill_by_pid(ep.pid)


def cli(*args, ok=True):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_magics_map_to_the_api(shell, ws, served, plugin, capsys):
    mlops = lambda line: shell.run_line_magic("mlops", line)  # noqa: E731
    sched = mlops('monitor churn --cron "0 3 * * 1-5" --timezone UTC --on-violation retrain '
                  "--webhook http://127.0.0.1:9/hook --since 2h")
    assert sched.id == "monitor-churn" and sched.trigger == "cron 0 3 * * 1-5"
    assert sched.spec["trigger"] == {"cron": "0 3 * * 1-5", "timezone": "UTC"}
    assert sched.options == {"on_violation": "retrain", "webhook": "http://127.0.0.1:9/hook", "since": "2h"}
    assert mlops("monitor churn --every 30m").trigger == "every 30m"
    assert list(mlops("schedules").index) == ["monitor-churn"]

    started = mlops("scheduler start")
    try:
        assert started.running and mlops("scheduler status").pid == started.pid
        assert mlops("scheduler").pid == started.pid  # status is the default action
        ws.scheduler.add("sleep", "tick", every="1s", options={"seconds": 0})
        from .conftest import wait_for

        assert wait_for(lambda: len(mlops("runs sleep-tick")) >= 1, 20)
        assert set(mlops("runs --limit 1").columns) >= {"schedule", "status", "started", "finished", "result"}
        capsys.readouterr()
        assert mlops("scheduler log -n 3") is None
        printed = capsys.readouterr().out.strip().splitlines()
        assert len(printed) == 3 and all(f"[pid {started.pid}]" in line for line in printed)
    finally:
        stopped = mlops("scheduler stop --timeout 10")
        kill_by_pid(started.pid)
    assert not stopped.running and pid_gone(started.pid)

    assert mlops("unschedule monitor-churn") is None
    assert list(mlops("schedules").index) == ["sleep-tick"]
    with pytest.raises(InvalidInput, match="every='soon' is not an interval"):
        mlops("monitor churn --every soon")


def test_cli_maps_to_the_api(ws, served, home):
    out = cli("--json", "monitor", "churn", "--every", "5m", "--webhook", "http://127.0.0.1:9/hook")
    doc = json.loads(out.output)
    assert doc["id"] == "monitor-churn" and doc["trigger"] == "every 5m" and doc["spec"]["on_violation"] == "alert"
    assert "monitor-churn" in cli("schedules").output

    started = json.loads(cli("--json", "scheduler", "start").output)
    try:
        assert started["running"] and started["pid"] == ws.scheduler_status().pid
        status = json.loads(cli("--json", "scheduler", "status").output)
        assert status["pid"] == started["pid"] and status["schedules"] == 1
        assert f"pid {started['pid']}" in cli("scheduler").output
        assert "scheduler started with 1 schedule(s)" in cli("scheduler", "log").output
        refused = cli("scheduler", "start", ok=False)
        assert refused.exit_code == 1 and "SchedulerError: The scheduler" in refused.output
    finally:
        stopped = json.loads(cli("--json", "scheduler", "stop").output)
        kill_by_pid(started["pid"])
    assert not stopped["running"] and pid_gone(started["pid"])

    assert cli("runs").output.strip() == "(none)"
    cli("unschedule", "monitor-churn")
    bad = cli("unschedule", "monitor-churn", ok=False)
    assert bad.exit_code == 1 and "ScheduleNotFound" in bad.output
    with pytest.raises(InvalidInput, match="lines must be"):
        ws.scheduler_log(0)
    bad = cli("monitor", "churn", "--cron", "0 3 * *", ok=False)
    assert bad.exit_code == 1 and "has 4 fields" in bad.output
