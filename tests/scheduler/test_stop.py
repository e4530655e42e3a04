"""Stopping the scheduler daemon during a run: the stop ends the daemon within its timeout without
SIGKILL, a run that outlives the grace is recorded interrupted, and the next start catches it up."""

from __future__ import annotations

import datetime as dt
import fcntl

import pytest

from jupyter_mlops import SchedulerError

from .conftest import pid_gone, wait_for


def _runs(ws, schedule, statuses=("succeeded", "failed", "violation", "skipped", "running")):
    df = ws.runs(schedule)
    return df[df["status"].isin(statuses)].sort_values("started")


def _running(ws, schedule):
    return len(_runs(ws, schedule, ("running",))) == 1


def _lock_is_free(ws) -> bool:
    with open(ws.home / "scheduler" / "scheduler.lock", "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return True


def _due_now(ws, schedule, ago: dt.timedelta) -> dt.datetime:
    """Store the schedule's next run ``ago`` in the past, as if the daemon had been down since."""
    from jupyter_mlops._core.store import orm

    when = dt.datetime.now(dt.timezone.utc) - ago
    with ws.store.write() as s:
        s.get(orm.Schedule, schedule).next_run_at = when
    return when


def test_a_run_that_ends_within_the_grace_finishes_and_the_stop_needs_no_sigkill(ws, plugin, daemons):
    """The run ends while the daemon stops: it asks APScheduler for its next run time, which
    deadlocked against APScheduler's shutdown(wait=True) until the stop's SIGKILL."""
    ws.scheduler.add("sleep", "brief", every="1s", options={"seconds": 2})
    first = daemons.start(ws)
    assert wait_for(lambda: _running(ws, "sleep-brief"), 20)
    stopped = ws.stop_scheduler(timeout=20)
    assert "SIGTERM" in stopped.note and "SIGKILL" not in stopped.note
    assert pid_gone(first.pid)
    runs = _runs(ws, "sleep-brief")
    assert runs["status"].tolist() == ["succeeded"]  # finished, and no run started after the stop
    assert ws.audit("scheduler")["details"].iloc[-1]["how"] == "SIGTERM"


def test_a_stop_during_a_long_run_ends_the_daemon_and_records_the_run_interrupted(ws, plugin, daemons):
    """A run of 10 minutes and stop(timeout=6): the daemon gives it the grace that fits the timeout,
    marks it interrupted, releases its lock and pid file and exits on SIGTERM alone."""
    ws.scheduler.add("sleep", "long", every="1h", options={"seconds": 600})
    _due_now(ws, "sleep-long", dt.timedelta(minutes=10))
    first = daemons.start(ws)
    assert wait_for(lambda: _running(ws, "sleep-long"), 20)
    stopped = ws.stop_scheduler(timeout=6)
    assert not stopped.running and "SIGTERM" in stopped.note and "SIGKILL" not in stopped.note
    assert pid_gone(first.pid)
    assert not (ws.home / "scheduler" / "scheduler.pid").exists()
    assert not (ws.home / "scheduler" / "scheduler.stop").exists()
    assert _lock_is_free(ws)
    run = _runs(ws, "sleep-long").iloc[-1]
    assert run["status"] == "failed" and run["finished"] is not None
    assert run["error"].startswith("interrupted by a stop of the scheduler at ")
    assert "after the 4.5 s grace" in run["error"]  # 6 s less a quarter, below the 20 s default
    log = (ws.home / "scheduler" / "scheduler.log").read_text()
    assert "marked run(s)" in log and log.rstrip().endswith("scheduler stopped")


def test_the_next_start_catches_up_the_interrupted_run_once(ws, plugin, daemons, monkeypatch):
    """An hourly run is interrupted by a stop (grace 0.5 s, the setting); the daemon then stays
    down two more hours. The next start makes one catch-up run, on the hourly rhythm."""
    monkeypatch.setenv("MLOPS_SCHEDULER_STOP_GRACE", "0.5")
    ws.scheduler.add("sleep", "hourly", every="1h", options={"seconds": 600})
    due = _due_now(ws, "sleep-hourly", dt.timedelta(minutes=30))
    daemons.start(ws)
    assert wait_for(lambda: _running(ws, "sleep-hourly"), 20)
    stopped = ws.stop_scheduler(timeout=30)
    assert "SIGTERM" in stopped.note
    interrupted = _runs(ws, "sleep-hourly").iloc[-1]
    assert interrupted["status"] == "failed" and "after the 0.5 s grace" in interrupted["error"]
    # the stop moved the next run back to when the interrupted one was due
    assert ws.schedules().loc["sleep-hourly", "next_run"] == due

    ws.scheduler.add("sleep", "hourly", every="1h", options={"seconds": 0})  # same trigger: next run kept
    _due_now(ws, "sleep-hourly", dt.timedelta(hours=2, minutes=30))  # down 2 more hours: 3 runs missed
    now = dt.datetime.now(dt.timezone.utc)
    daemons.start(ws)
    assert wait_for(lambda: len(_runs(ws, "sleep-hourly", ("succeeded",))) >= 1, 20)
    assert wait_for(lambda: ws.schedules().loc["sleep-hourly", "next_run"] > now, 20)
    ws.stop_scheduler()
    assert _runs(ws, "sleep-hourly")["status"].tolist() == ["failed", "succeeded"]
    assert now < ws.schedules().loc["sleep-hourly", "next_run"] <= now + dt.timedelta(minutes=31)


def test_a_bad_grace_setting_fails_the_start_naming_it(ws, daemons, monkeypatch):
    monkeypatch.setenv("MLOPS_SCHEDULER_STOP_GRACE", "soon")
    with pytest.raises(SchedulerError, match="MLOPS_SCHEDULER_STOP_GRACE='soon' is not a number of seconds"):
        daemons.start(ws)  # (a daemon that started anyway is stopped by the fixture)
    assert not ws.scheduler_status().running
