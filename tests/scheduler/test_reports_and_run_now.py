"""``ws.run_now(schedule_id)`` runs one schedule's job once, now, recorded like the daemon's runs
with the trigger "manual", never overlapping a run of it still going (``Conflict``, 409); every
completed monitoring check keeps its report, which ``ws.reports()`` lists (the record form of
``listings.LISTINGS["reports"]``) and ``ws.report(id)`` opens again as a ``MonitoringReport``."""

from __future__ import annotations

import json

import httpx
import pytest

from jupyter_mlops import Conflict, InvalidInput, MonitoringReport, ReportNotFound, ScheduleNotFound, ScheduledRun
from jupyter_mlops._core.errors import http_status
from jupyter_mlops._core.listings import LISTINGS, records

from .conftest import kill_by_pid, wait_for


@pytest.fixture
def endpoint(ws, numeric_data, clf):
    X, y = numeric_data
    ws.register(clf, "churn", data=X, target=y)
    ep = ws.deploy("churn:1", "churn", capture=100)
    yield ep
    try:
        ws.stop("churn")
    finally:
        kill_by_pid(ep.pid)


def _send(ep, ws, frame, expected_total):
    httpx.post(f"{ep.url}/invocations", json={"instances": frame.to_numpy().tolist()}, timeout=30).raise_for_status()
    assert wait_for(lambda: len(ws.captured("churn")) >= expected_total, 30)


def test_run_now_runs_the_job_once_recorded_as_a_manual_run(ws, endpoint, numeric_data):
    X, _ = numeric_data
    _send(endpoint, ws, X.iloc[:200], 200)
    ws.monitor("churn", every="1d", since="1h")

    run = ws.run_now("monitor-churn")

    assert isinstance(run, ScheduledRun)
    assert run.status == "succeeded" and run.trigger == "manual" and run.schedule == "monitor-churn"
    assert run.result["rows"] == 200 and run.finished is not None
    listed = ws.runs("monitor-churn")
    assert list(listed.index) == [run.id] and listed.loc[run.id, "result"]["trigger"] == "manual"
    assert ws.audit("churn").iloc[-1]["action"] == "run_now"
    assert json.loads(json.dumps(run.to_dict(), allow_nan=False))["trigger"] == "manual"


def test_every_check_keeps_its_report_listed_newest_first_and_opened_by_id(ws, endpoint, numeric_data):
    X, _ = numeric_data
    _send(endpoint, ws, X.iloc[:200], 200)
    ws.monitor("churn", every="1d", since="1h")
    first = ws.run_now("monitor-churn")
    shifted = X.iloc[:200].copy()
    shifted[shifted.columns[0]] = shifted[shifted.columns[0]] * 5 + 10  # one feature far from the baseline
    _send(endpoint, ws, shifted, 400)
    second = ws.run_now("monitor-churn")

    frame = ws.reports()
    assert list(frame.index) == [second.id, first.id]
    rows = records("reports", frame)
    assert list(rows[0]) == LISTINGS["reports"].names
    assert rows[1]["status"] == "ok" and rows[1]["violations"] == 0 and rows[1]["drifted_features"] == []
    assert rows[0]["endpoint"] == "churn" and rows[0]["kind"] == "check" and rows[0]["trigger"] == "manual"
    assert X.columns[0] in rows[0]["drifted_features"] and rows[0]["status"] in ("warn", "alert")
    assert list(ws.reports("churn", limit=1).index) == [second.id] and ws.reports("other").empty

    report = ws.report(second.id)
    assert isinstance(report, MonitoringReport) and report.n_rows == 200
    assert report.drift.drifted_columns == rows[0]["drifted_features"]
    assert report.summary() == rows[0]["summary"]
    assert report.to_dict()["report"] == "MonitoringReport" and "<svg" in report._repr_html_()
    assert ws.report(str(first.id)).status() == "ok"


def test_a_report_id_that_names_no_report_is_a_clear_404(ws, endpoint):
    with pytest.raises(ReportNotFound, match="no monitoring report 999") as info:
        ws.report(999)
    assert http_status(info.value) == 404
    for bad in ("../etc/passwd", "1; drop", True, 1.5):
        with pytest.raises(InvalidInput):
            ws.report(bad)
    with pytest.raises(InvalidInput):
        ws.reports(limit=0)


def test_a_report_is_read_only_from_this_workspaces_reports_folder(ws, endpoint, numeric_data, tmp_path):
    """The database may be shared: a run row naming a file elsewhere is not followed."""
    from jupyter_mlops._core.store import orm

    X, _ = numeric_data
    _send(endpoint, ws, X.iloc[:50], 50)
    ws.monitor("churn", every="1d", since="1h")
    run = ws.run_now("monitor-churn")
    outside = tmp_path / "elsewhere.json"
    outside.write_text(json.dumps(ws.report(run.id).to_dict()))
    with ws.store.write() as s:
        row = s.get(orm.JobRun, run.id)
        row.result = {**row.result, "report": {"json": str(outside), "html": str(outside)}}
    with pytest.raises(ReportNotFound, match="outside this workspace"):
        ws.report(run.id)


def test_run_now_refuses_to_overlap_a_run_still_going(ws, plugin):
    ws.scheduler.add("sleep", "nap", every="1d", options={"seconds": 3})

    running = ws.run_now("sleep-nap", wait=False)

    assert running.status == "running" and running.trigger == "manual"
    with pytest.raises(Conflict, match="already running") as info:
        ws.run_now("sleep-nap")
    assert http_status(info.value) == 409
    assert wait_for(lambda: ws.runs("sleep-nap").loc[running.id, "status"] == "succeeded", 30)
    assert ws.run_now("sleep-nap").status == "succeeded"  # once it finished, the next may start
    assert len(ws.runs("sleep-nap")) == 2


def test_run_now_of_an_unknown_schedule_names_the_close_ones(ws, plugin):
    ws.scheduler.add("sleep", "nap", every="1d")
    with pytest.raises(ScheduleNotFound, match="Did you mean: sleep-nap"):
        ws.run_now("sleep-nao")
