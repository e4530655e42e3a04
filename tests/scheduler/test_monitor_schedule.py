"""Scheduled monitoring: ``ws.monitor(endpoint, every, on_violation, webhook)`` run by the daemon
against a real endpoint's captured traffic. A violation writes an alert: an ``alert`` audit entry,
the report saved under <home>/reports/<schedule>/, and a JSON POST to the webhook."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from jupyter_mlops import EndpointNotFound, InvalidInput

from .conftest import kill_by_pid, pid_gone, wait_for


class Webhook:
    """A tiny receiver on 127.0.0.1 (ephemeral port) keeping every JSON body POSTed to it."""

    def __init__(self):
        bodies = self.bodies = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                bodies.append({"path": self.path, "content_type": self.headers.get("Content-Type"),
                               "json": json.loads(self.rfile.read(length))})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/mlops"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def webhook():
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture
def endpoint(ws, numeric_data, clf):
    """churn:1 (with a baseline) served at endpoint "churn" with every request captured; stopped
    by pid at the end."""
    X, y = numeric_data
    ws.register(clf, "churn", data=X, target=y)
    ws.baseline("churn:1", data=X)
    ep = ws.deploy("churn:1", "churn", capture=100)
    yield ep
    try:
        ws.stop("churn")
    finally:
        kill_by_pid(ep.pid)


def _send(ep, ws, frame, expected_total):
    httpx.post(f"{ep.url}/invocations", json={"instances": frame.to_numpy().tolist()}, timeout=30).raise_for_status()
    assert wait_for(lambda: len(ws.captured("churn")) >= expected_total, 30)


def _finished(ws, status=None):
    runs = ws.runs("monitor-churn")
    runs = runs[runs["status"] != "running"].sort_values("started")
    return runs if status is None else runs[runs["status"] == status]


def test_a_monitor_schedule_alerts_on_drifted_traffic(ws, endpoint, numeric_data, webhook, daemons, plugin):
    X, _ = numeric_data
    normal = X.iloc[:200]
    shifted = X.iloc[200:400].assign(monthly=lambda d: d.monthly + 60, support_calls=lambda d: d.support_calls * 4)

    # traffic like the training data: the first run checks it and finds nothing
    _send(endpoint, ws, normal, 200)
    sched = ws.monitor("churn", every="1s", webhook=webhook.url, since="1h")
    assert sched.id == "monitor-churn" and sched.kind == "monitor" and sched.target == "churn"
    assert sched.spec["on_violation"] == "alert" and sched.spec["webhook"] == webhook.url
    daemon = daemons.start(ws)
    assert wait_for(lambda: len(_finished(ws)) >= 1, 30)
    first = _finished(ws).iloc[0]
    assert first["status"] == "succeeded", first["error"]
    assert first["result"]["rows"] == 200 and first["result"]["violations"] == 0
    # every completed check keeps its report (ws.reports / ws.report), an alert only on a violation
    assert "alert" not in first["result"] and webhook.bodies == []
    assert Path(first["result"]["report"]["json"]).exists()

    # no new traffic: the next window is empty, so the run is skipped rather than failed
    assert wait_for(lambda: len(_finished(ws, "skipped")) >= 1, 30)

    # drifted, out-of-range traffic: the next run raises an alert
    _send(endpoint, ws, shifted, 400)
    assert wait_for(lambda: len(_finished(ws, "violation")) >= 1, 30)
    run = _finished(ws, "violation").iloc[0]
    result = run["result"]
    assert result["rows"] == 200  # only the window since the previous completed run
    assert result["violations"] > 0 and "monthly" in result["drifted_features"]
    report_html, report_json = Path(result["report"]["html"]), Path(result["report"]["json"])
    assert report_html.parent == ws.home / "reports" / "monitor-churn"
    assert report_html.exists() and "<html" in report_html.read_text().lower()
    saved = json.loads(report_json.read_text())
    assert saved["report"] == "MonitoringReport" and saved["status"] == "alert" and saved["n_rows"] == 200

    alerts = ws.audit("churn")
    alerts = alerts[alerts["action"] == "alert"]
    assert len(alerts) == 1
    details = alerts.iloc[0]["details"]
    assert details["schedule"] == "monitor-churn" and details["report"] == str(report_html)
    assert alerts.iloc[0]["actor"].startswith("scheduler:")
    assert details["violations"] and {"feature", "check", "description"} <= set(details["violations"][0])

    assert wait_for(lambda: len(webhook.bodies) == 1, 15)
    body = webhook.bodies[0]
    assert body["path"] == "/hooks/mlops" and body["content_type"] == "application/json"
    sent = body["json"]
    assert sent["endpoint"] == "churn" and sent["schedule"] == "monitor-churn"
    assert sent["report"] == str(report_html) and sent["violations"] == details["violations"]
    assert sent["retrain_requested"] is False
    assert result["webhook"] == {"url": webhook.url, "ok": True, "status": 204}

    # switching to on_violation="retrain" while the daemon runs: the next violation requests it and
    # runs the schedules waiting for drift on this endpoint (a stand-in kind for retraining here)
    ws.scheduler.add("sleep", "retrain-churn", on_event="drift:churn", options={"seconds": 0})
    ws.monitor("churn", every="1s", webhook=webhook.url, on_violation="retrain")
    _send(endpoint, ws, shifted, 600)
    assert wait_for(lambda: len(_finished(ws, "violation")) >= 2, 30)
    second = _finished(ws, "violation").iloc[1]["result"]
    assert second["retrain_requested"] is True
    assert wait_for(lambda: len(webhook.bodies) == 2, 15)
    assert webhook.bodies[1]["json"]["retrain_requested"] is True
    # a run's result (with its cause) is written when it finishes: wait for that, not its start
    done = lambda: ws.runs("sleep-retrain-churn").query("status != 'running'")  # noqa: E731
    assert wait_for(lambda: len(done()) >= 1, 15)
    retrain = done().iloc[-1]  # the first (runs are newest first)
    violation_run = _finished(ws, "violation").index[1]
    assert retrain["result"]["cause"] == f"drift:churn (run {violation_run} of monitor-churn)"

    ws.stop_scheduler()
    assert pid_gone(daemon.pid)
    listed = ws.schedules().loc["monitor-churn"]
    assert listed["kind"] == "monitor" and listed["trigger"] == "every 1s"
    assert listed["options"]["on_violation"] == "retrain"


def test_a_webhook_that_is_down_does_not_fail_the_run(ws, endpoint, numeric_data, daemons):
    X, _ = numeric_data
    _send(endpoint, ws, X.iloc[:100].assign(monthly=lambda d: d.monthly + 80), 100)
    dead = Webhook()
    url = dead.url
    dead.close()  # nothing listens there any more
    ws.monitor("churn", every="1s", webhook=url, since="1h")
    daemons.start(ws)
    assert wait_for(lambda: len(_finished(ws, "violation")) >= 1, 30)
    result = _finished(ws, "violation").iloc[0]["result"]
    assert result["webhook"]["ok"] is False and "Connection refused" in result["webhook"]["error"]
    assert Path(result["report"]["html"]).exists()
    ws.stop_scheduler()


def test_monitor_validates_its_arguments(ws, endpoint):
    with pytest.raises(EndpointNotFound, match="no endpoint named 'chrun'"):
        ws.monitor("chrun", every="1h")
    with pytest.raises(InvalidInput, match="on_violation='page'"):
        ws.monitor("churn", on_violation="page")
    with pytest.raises(InvalidInput, match="not an http"):
        ws.monitor("churn", webhook="ftp://example.com/x")
    with pytest.raises(InvalidInput, match="since='yesterday'"):
        ws.monitor("churn", since="yesterday")
    with pytest.raises(InvalidInput, match="either every= .* or cron="):
        ws.monitor("churn", every="1h", cron="0 3 * * *")
    assert len(ws.schedules()) == 0
    default = ws.monitor("churn")
    assert default.trigger == "every 1h"
    again = ws.monitor("churn", cron="0 3 * * *")  # same endpoint: the schedule is updated, not doubled
    assert again.id == default.id and again.trigger.startswith("cron 0 3 * * *")
    assert len(ws.schedules()) == 1
    actions = ws.audit("churn")["action"].tolist()
    assert actions.count("schedule") == 1 and actions.count("reschedule") == 1
