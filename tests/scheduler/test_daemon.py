"""The scheduler daemon: one detached process per workspace, started and stopped through the public
API, running schedules with APScheduler and recording every run."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys

import pandas as pd
import pytest

from jupyter_mlops import SchedulerError

from .conftest import pid_gone, wait_for


def _runs(ws, schedule, statuses=("succeeded", "failed", "violation", "skipped")):
    df = ws.runs(schedule)
    return df[df["status"].isin(statuses)].sort_values("started")


def test_start_status_stop_by_pid(ws, daemons):
    assert not ws.scheduler_status().running
    started = daemons.start(ws)
    pid = started.pid
    info = json.loads((ws.home / "scheduler" / "scheduler.pid").read_text())
    assert info["pid"] == pid
    status = ws.scheduler_status()
    assert status.running and status.pid == pid and status.log.endswith("scheduler.log")
    assert status.to_dict()["pid"] == pid and "running" in status._repr_html_()

    stopped = ws.stop_scheduler()
    assert not stopped.running and "SIGTERM" in stopped.note
    assert pid_gone(pid)
    assert not (ws.home / "scheduler" / "scheduler.pid").exists()
    assert "scheduler stopped" in (ws.home / "scheduler" / "scheduler.log").read_text()
    entries = ws.audit("scheduler")
    assert entries["action"].tolist() == ["scheduler-start", "scheduler-stop"]
    assert [d["pid"] for d in entries["details"]] == [pid, pid] and entries["details"].iloc[1]["how"] == "SIGTERM"


def test_the_daemon_survives_the_process_that_started_it(ws, daemons):
    """Started from a short-lived Python process (like a kernel that exits): still running after."""
    code = "from jupyter_mlops import Workspace; print(Workspace().start_scheduler().pid)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "MLOPS_HOME": str(ws.home)})
    pid = int(out.stdout.strip().splitlines()[-1])
    daemons.pids.append(pid)
    status = ws.scheduler_status()
    assert status.running and status.pid == pid
    ws.stop_scheduler()
    assert wait_for(lambda: pid_gone(pid), 10)


def test_a_second_start_is_refused(ws, daemons):
    first = daemons.start(ws)
    with pytest.raises(SchedulerError, match=f"already running \\(pid {first.pid}\\)"):
        ws.start_scheduler()
    assert ws.scheduler_status().pid == first.pid


def test_a_second_daemon_started_behind_the_api_exits_on_the_lock(ws, daemons):
    """Even bypassing the pid-file check, the lock keeps one daemon per workspace."""
    first = daemons.start(ws)
    proc = subprocess.run([sys.executable, "-m", "jupyter_mlops._core.scheduler"], capture_output=True, text=True,
                          env={**os.environ, "MLOPS_HOME": str(ws.home)}, timeout=60)
    assert proc.returncode == 3
    assert f"another scheduler (pid {first.pid}) already runs" in proc.stderr
    assert ws.scheduler_status().pid == first.pid


def test_a_stale_pid_file_is_detected_and_replaced(ws, daemons):
    folder = ws.home / "scheduler"
    folder.mkdir(parents=True)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (folder / "scheduler.pid").write_text(json.dumps({"pid": gone.pid, "create_time": 1.0,
                                                      "started_at": "2026-01-01T00:00:00+00:00"}))
    status = ws.scheduler_status()
    assert not status.running and "stale pid file" in status.note
    assert not (folder / "scheduler.pid").exists()

    # a live pid that is not the scheduler (this test process: another start time) is stale too
    (folder / "scheduler.pid").write_text(json.dumps({"pid": os.getpid(), "create_time": 1.0}))
    started = daemons.start(ws)
    assert started.pid != os.getpid()
    ws.stop_scheduler()


def test_stop_when_not_running_says_so(ws):
    status = ws.stop_scheduler()
    assert not status.running and "not running" in status.note


def test_an_interval_schedule_runs_and_each_run_is_recorded(ws, plugin, daemons):
    sched = ws.scheduler.add("sleep", "quick", every="1s", options={"seconds": 0})
    assert sched.id == "sleep-quick" and sched.trigger == "every 1s" and sched.next_run_at is not None
    assert sched.scheduler_running is False and "scheduler is not running" in repr(sched)
    assert "%mlops scheduler start" in sched._repr_html_()
    daemons.start(ws)
    assert wait_for(lambda: len(_runs(ws, "sleep-quick")) >= 3, 30)
    runs = _runs(ws, "sleep-quick")
    assert set(runs["status"]) == {"succeeded"}
    assert (runs["finished"] >= runs["started"]).all()
    assert runs["result"].iloc[0]["slept"] == 0
    listed = ws.schedules().loc["sleep-quick"]
    assert listed["last_status"] == "succeeded" and listed["trigger"] == "every 1s"
    assert listed["last_run"] is not None and listed["next_run"] > listed["last_run"]


def test_a_failing_job_is_recorded_as_failed_and_the_daemon_carries_on(ws, plugin, daemons):
    ws.scheduler.add("fail", "broken", every="1s")
    ws.scheduler.add("sleep", "healthy", every="1s", options={"seconds": 0})
    daemons.start(ws)
    assert wait_for(lambda: len(_runs(ws, "fail-broken")) >= 2 and len(_runs(ws, "sleep-healthy")) >= 2, 30)
    failed = _runs(ws, "fail-broken")
    assert set(failed["status"]) == {"failed"}
    assert failed["error"].iloc[0].startswith("RuntimeError: this job always fails (fail-broken)")
    assert set(_runs(ws, "sleep-healthy")["status"]) == {"succeeded"}


def test_a_schedule_row_broken_by_hand_is_reported_and_the_others_run(ws, plugin, daemons):
    from jupyter_mlops._core.store import orm

    ws.scheduler.add("sleep", "fine", every="1s", options={"seconds": 0})
    with ws.store.write() as s:
        s.add(orm.Schedule(id="edited", kind="sleep", target="x", spec={"trigger": {"cron": "bogus"}}))
        s.add(orm.Schedule(id="emptied", kind="sleep", target="y", spec=None))
    daemons.start(ws)
    assert wait_for(lambda: len(_runs(ws, "sleep-fine")) >= 2, 30)
    log = (ws.home / "scheduler" / "scheduler.log").read_text()
    assert "schedule edited has an unusable trigger {'cron': 'bogus'}" in log
    assert "schedule emptied has an unusable trigger None" in log
    assert log.count("schedule edited has an unusable trigger") == 1  # said once, not every sync
    assert len(_runs(ws, "edited")) == 0 and len(_runs(ws, "emptied")) == 0
    assert ws.schedules().loc["emptied", "trigger"] == "no trigger"
    ws.unschedule("emptied")


def test_runs_of_one_schedule_never_overlap(ws, plugin, daemons):
    """A job taking 1.5 s on a 1 s interval: each run starts after the previous one finished."""
    ws.scheduler.add("sleep", "slow", every="1s", options={"seconds": 1.5})
    daemons.start(ws)
    assert wait_for(lambda: len(_runs(ws, "sleep-slow", ("succeeded",))) >= 3, 40)
    ws.stop_scheduler()
    runs = _runs(ws, "sleep-slow", ("succeeded",))
    spans = list(zip(runs["started"], runs["finished"]))
    for (_, previous_end), (next_start, _) in zip(spans, spans[1:]):
        assert next_start >= previous_end


def test_schedules_added_and_removed_while_running_are_picked_up(ws, plugin, daemons):
    daemons.start(ws)
    late = ws.scheduler.add("sleep", "late", every="1s", options={"seconds": 0})
    assert late.scheduler_running is True and "scheduler is running" in late._repr_html_()
    assert wait_for(lambda: len(_runs(ws, "sleep-late")) >= 1, 20)
    ws.unschedule("sleep-late")
    assert "sleep-late" not in ws.schedules().index
    log = ws.home / "scheduler" / "scheduler.log"
    assert wait_for(lambda: "dropped schedule sleep-late" in log.read_text(), 20)
    count = len(_runs(ws, "sleep-late", ("succeeded", "running")))
    status = ws.stop_scheduler()  # any run after the drop would show here
    assert not status.running
    assert len(_runs(ws, "sleep-late", ("succeeded", "running"))) == count


def test_a_run_can_emit_an_event_that_runs_the_schedules_waiting_for_it(ws, plugin, daemons):
    waiting = ws.scheduler.add("sleep", "on-ping", on_event="ping:x", options={"seconds": 0})
    assert waiting.trigger == "on ping:x" and waiting.next_run_at is None
    ws.scheduler.add("sleep", "pinger", every="1s", options={"seconds": 0, "emit": "ping:x"})
    ws.scheduler.add("sleep", "bystander", on_event="ping:y", options={"seconds": 0})
    daemons.start(ws)
    assert wait_for(lambda: len(_runs(ws, "sleep-on-ping")) >= 2, 30)
    ws.stop_scheduler()
    pinger_runs = set(_runs(ws, "sleep-pinger").index)
    for cause in _runs(ws, "sleep-on-ping")["result"].map(lambda r: r["cause"]):
        prefix, _, which = cause.partition(" (run ")
        assert prefix == "ping:x" and int(which.split()[0]) in pinger_runs and which.endswith("of sleep-pinger)")
    assert len(_runs(ws, "sleep-bystander")) == 0
    listed = ws.schedules()
    assert listed.loc["sleep-on-ping", "trigger"] == "on ping:x" and pd.isna(listed.loc["sleep-on-ping", "next_run"])


def test_missed_runs_are_coalesced_into_one_catch_up_run_after_a_restart(ws, plugin, daemons):
    """An hourly schedule whose daemon was down for 3.5 hours runs once on restart, not 3 times."""
    from jupyter_mlops._core.store import orm

    ws.scheduler.add("sleep", "hourly", every="1h", options={"seconds": 0})
    daemons.start(ws)
    ws.stop_scheduler()
    assert len(_runs(ws, "sleep-hourly")) == 0
    # The daemon was stopped; move the stored next run 3.5 hours back, as if that much time had
    # passed while it was down (runs due -3.5h, -2.5h, -1.5h and -0.5h were missed).
    now = dt.datetime.now(dt.timezone.utc)
    with ws.store.write() as s:
        s.get(orm.Schedule, "sleep-hourly").next_run_at = now - dt.timedelta(hours=3.5)
    daemons.start(ws)
    assert wait_for(lambda: len(_runs(ws, "sleep-hourly")) >= 1, 20)
    log = ws.home / "scheduler" / "scheduler.log"
    # wait until the daemon has written the following run time, then stop: nothing else is due
    assert wait_for(lambda: ws.schedules().loc["sleep-hourly", "next_run"] > now, 20)
    ws.stop_scheduler()
    runs = _runs(ws, "sleep-hourly", ("succeeded", "failed", "running"))
    assert len(runs) == 1 and runs["status"].iloc[0] == "succeeded"
    next_run = ws.schedules().loc["sleep-hourly", "next_run"]
    # the next run keeps the hourly rhythm: 0.5 h after the catch-up, not 1 h after "now"
    assert now < next_run <= now + dt.timedelta(minutes=31)
    assert "was missed by" not in log.read_text()  # APScheduler's warning for a dropped run


def test_a_run_cut_off_by_a_killed_daemon_is_marked_failed_at_the_next_start(ws, plugin, daemons):
    ws.scheduler.add("sleep", "long", every="1s", options={"seconds": 60})
    first = daemons.start(ws)
    assert wait_for(lambda: len(_runs(ws, "sleep-long", ("running",))) == 1, 20)
    os.kill(first.pid, signal.SIGKILL)  # killed outright (a stop would mark the run itself)
    assert wait_for(lambda: pid_gone(first.pid), 10)
    assert len(_runs(ws, "sleep-long", ("running",))) == 1
    ws.unschedule("sleep-long")
    daemons.start(ws)
    assert wait_for(lambda: len(_runs(ws, "sleep-long", ("failed",))) == 1, 20)
    run = _runs(ws, "sleep-long", ("failed",)).iloc[0]
    assert run["error"].startswith("interrupted")


def test_foreground_mode_for_systemd_and_containers(ws, plugin):
    """`mlops scheduler start --foreground` runs the daemon in that process; stop ends it cleanly."""
    from .conftest import kill_by_pid

    ws.scheduler.add("sleep", "fg", every="1s", options={"seconds": 0})
    proc = subprocess.Popen([sys.executable, "-m", "jupyter_mlops", "-w", str(ws.home), "scheduler", "start",
                             "--foreground"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: ws.scheduler_status().pid == proc.pid, 30)
        assert ws.scheduler_status().log == "stderr"  # in the foreground the log is the process's stderr
        assert wait_for(lambda: len(_runs(ws, "sleep-fg")) >= 1, 20)
        stopped = ws.stop_scheduler()
        assert "SIGTERM" in stopped.note
        _, err = proc.communicate(timeout=15)
        assert proc.returncode == 0 and "scheduler stopped" in err
    finally:
        kill_by_pid(proc.pid)
