"""``ws.schedule``: retraining on a cron string, an interval or drift of an endpoint, run by the real
scheduler daemon (started and stopped by the tests, by pid) through the ``retrain`` job kind."""

from __future__ import annotations

import httpx
import pytest

from jupyter_mlops import EndpointNotFound, InvalidInput

from .notebooks import TRAIN, TRAIN_PARAMETERS, write_notebook


def finished(ws, schedule: str):
    runs = ws.runs(schedule)
    return runs[runs["status"] != "running"].sort_values("started")


def wait_for(condition, timeout: float = 60.0):
    from scheduler.conftest import wait_for as poll

    return poll(condition, timeout)


@pytest.fixture
def train_nb(tmp_path):
    return write_notebook(tmp_path / "train.ipynb", TRAIN_PARAMETERS, TRAIN)


def test_a_schedule_is_checked_before_it_is_stored(ws, train_nb):
    with pytest.raises(InvalidInput, match="exactly one of cron=.*; got cron and every"):
        ws.schedule("churn", str(train_nb), cron="0 3 * * *", every="1d")
    with pytest.raises(InvalidInput, match="exactly one of cron="):
        ws.schedule("churn", str(train_nb))
    with pytest.raises(InvalidInput, match="'rowz' is not declared"):
        ws.schedule("churn", str(train_nb), every="1d", parameters={"rowz": 5})
    with pytest.raises(EndpointNotFound, match="no endpoint named 'churn' whose drift could start a run"):
        ws.schedule("churn", str(train_nb), on_drift="churn")
    with pytest.raises(InvalidInput, match="cron=.at three. has 2 fields; a cron string has 5"):
        ws.schedule("churn", str(train_nb), cron="at three")
    assert ws.schedules().empty

    nightly = ws.schedule("churn", str(train_nb), cron="0 3 * * *", timezone="UTC", parameters={"rows": 500},
                          deploy="canary:10")
    assert nightly.id == "retrain-churn" and nightly.kind == "retrain" and nightly.target == "churn"
    assert nightly.trigger == "cron 0 3 * * *" and nightly.options["notebooks"] == [str(train_nb)]
    assert nightly.options["parameters"] == {"rows": 500}
    assert nightly.options["deploy"] == {"strategy": "canary", "percent": 10.0}
    assert list(ws.schedules().index) == ["retrain-churn"]


def test_a_retrain_schedule_fires_in_the_daemon(ws, train_nb, daemons):
    sched = ws.schedule("churn", str(train_nb), every="2s", parameters={"rows": 120})
    daemon = daemons.start(ws)
    assert wait_for(lambda: len(finished(ws, sched.id)) >= 1), ws.scheduler_log(80)
    ws.unschedule(sched.id)
    ws.stop_scheduler()
    run_id = finished(ws, sched.id).index[0]
    row = ws.runs(sched.id).loc[run_id]
    assert row["kind"] == "retrain" and row["target"] == "churn" and row["status"] == "succeeded", row["error"]
    result = row["result"]
    assert result["id"] == run_id and result["schedule"] == sched.id and result["parameters"] == {"rows": 120}
    assert result["trigger"] == {"kind": "schedule", "schedule": sched.id, "when": "every 2s"}
    ref = result["versions"][0]
    assert ws.get(ref).lineage["run"]["id"] == run_id  # the version is linked to the scheduled run
    assert result["steps"][0]["outputs"]["seen"]["value"]["trigger"] == "schedule"
    from scheduler.conftest import pid_gone

    assert pid_gone(daemon.pid)


DRIFT_PARAMETERS = """
    drift_report = None
    window_start = None
    window_end = None
    release_file = ""
"""
RETRAIN_ON_DRIFT = """
    import json
    import time
    from pathlib import Path
    import jupyter_mlops as mlops

    deadline = time.monotonic() + 120
    while release_file and not Path(release_file).exists() and time.monotonic() < deadline:
        time.sleep(0.1)  # held until the test has seen a second drift come while this run goes on
    report = json.loads(Path(drift_report).read_text())
    mlops.output("report_seen", drift_report)
    mlops.output("window_seen", [window_start, window_end])
    mlops.output("report_status", report["status"])
    mlops.output("context_report_rows", mlops.context().report()["n_rows"])
"""


def _send(endpoint, ws, frame, expected_total):
    httpx.post(f"{endpoint.url}/invocations", json={"instances": frame.to_numpy().tolist()},
               timeout=30).raise_for_status()
    assert wait_for(lambda: len(ws.captured("churn")) >= expected_total, 30)


def test_drift_on_an_endpoint_starts_one_retraining_run_at_a_time_with_the_report(
        ws, clf, numeric_data, tmp_path, daemons):
    from scheduler.conftest import kill_by_pid

    X, y = numeric_data
    ws.register(clf, "churn", data=X, target=y)  # its baseline is what monitoring compares with
    endpoint = ws.deploy("churn:1", "churn", capture=100)
    try:
        shifted = X.assign(monthly=X.monthly + 60, support_calls=X.support_calls * 4)
        release = tmp_path / "release"
        notebook = write_notebook(tmp_path / "retrain.ipynb", TRAIN_PARAMETERS + DRIFT_PARAMETERS, RETRAIN_ON_DRIFT,
                                  TRAIN)
        _send(endpoint, ws, shifted.iloc[:200], 200)
        ws.monitor("churn", every="1s", on_violation="retrain", since="1h")
        sched = ws.schedule("churn", str(notebook), on_drift="churn", parameters={"release_file": str(release)})
        assert sched.id == "retrain-churn-on-drift-churn" and sched.trigger == "on drift:churn"
        daemons.start(ws)

        # the first violation starts the retraining run, which waits for the release file
        assert wait_for(lambda: len(ws.runs(sched.id)) == 1), ws.scheduler_log(80)
        violations = lambda: finished(ws, "monitor-churn").query("status == 'violation'")  # noqa: E731
        assert len(violations()) == 1
        # more drift while it runs: a second violation fires the event again, and no second run starts
        _send(endpoint, ws, shifted.iloc[200:400], 400)
        fired = lambda: ws.scheduler_log(400).count("event drift:churn: running retrain-churn-on-drift-churn")  # noqa: E731
        assert wait_for(lambda: fired() >= 2), ws.scheduler_log(80)
        assert len(ws.runs(sched.id)) == 1 and len(violations()) == 2
        release.touch()
        assert wait_for(lambda: len(finished(ws, sched.id)) == 1), ws.scheduler_log(80)
        ws.stop_scheduler()

        assert len(ws.runs(sched.id)) == 1  # one drift-triggered run for the two violations
        assert "maximum number of running instances reached" in ws.scheduler_log(400)
        first = violations().iloc[0]
        run = ws.runs(sched.id).iloc[0]
        assert run["status"] == "succeeded", run["error"]
        result = run["result"]
        trigger = result["trigger"]
        assert trigger["kind"] == "drift" and trigger["endpoint"] == "churn" and trigger["schedule"] == sched.id
        assert trigger["monitor_run"] == violations().index[0]
        assert trigger["report"] == first["result"]["report"]["json"]
        assert [trigger["window_start"], trigger["window_end"]] == [first["result"]["window"]["since"],
                                                                    first["result"]["window"]["until"]]
        assert result["cause"] == f"drift:churn (run {violations().index[0]} of monitor-churn)"
        step = result["steps"][0]
        assert step["parameters"]["drift_report"] == trigger["report"]  # passed in, as declared
        outputs = {k: v["value"] for k, v in step["outputs"].items()}
        assert outputs["report_seen"] == trigger["report"] and outputs["report_status"] == "alert"
        assert outputs["window_seen"] == [trigger["window_start"], trigger["window_end"]]
        assert outputs["context_report_rows"] == 200
        assert result["versions"] == ["churn:2"] and ws.get("churn:2").lineage["run"]["id"] == run.name
    finally:
        try:
            ws.stop("churn")
        finally:
            kill_by_pid(endpoint.pid)


def test_a_drift_run_without_a_report_leaves_the_notebooks_defaults(ws, tmp_path):
    """A drift event that names no monitoring run (fired by hand) gives the run nothing to pass:
    the notebook keeps its defaults instead of receiving None for a declared str."""
    notebook = write_notebook(tmp_path / "retrain.ipynb", 'drift_report: str = "none"',
                              "import jupyter_mlops as mlops\nmlops.output('got', drift_report)")
    ws.scheduler.add("retrain", "churn", on_event="drift:churn", id="retrain-churn-on-drift-churn",
                     options={"notebooks": [str(notebook)], "on_drift": "churn"})
    run = ws._pipelines.run_schedule(ws.scheduler.get("retrain-churn-on-drift-churn"))
    assert run.status == "succeeded" and run.trigger["kind"] == "drift" and run.trigger["report"] is None
    assert run.steps[0].parameters == {} and run.steps[0].outputs["got"]["value"] == "none"
