"""Each POST action of the REST API is one Workspace call: it changes the workspace and writes an
audit entry; bad input is a 400 that changes nothing, an unknown model a 404, a conflicting action
a 409 (``errors.http_status``), with ``{"error": {"type", "message"}}``."""

from __future__ import annotations

import time

import pytest


def _last_audit(ws, model=None):
    return ws.audit(model).iloc[-1]


def _audit_size(ws) -> int:
    return len(ws.audit())


def test_approve_reject_promote_and_archive_change_the_version_and_are_audited(world):
    api, ws, _ = world
    approved = api.post("versions/fraud:1/approve", {"comment": "looks right"}).json()
    assert approved["approval"] == "Approved" == ws.get("fraud:1").approval
    assert approved["approval_history"][-1]["comment"] == "looks right"
    assert _last_audit(ws, "fraud")["action"] == "approve"

    promoted = api.post("versions/fraud:1/promote", {"alias": "production"}).json()
    assert "production" in promoted["aliases"] and ws.get("fraud@production").version == 1
    assert _last_audit(ws, "fraud")["action"] == "promote"

    rejected = api.post("versions/ranker:1/reject", {}).json()
    assert rejected["approval"] == "Rejected" == ws.get("ranker:1").approval
    assert _last_audit(ws, "ranker")["action"] == "reject"

    archived = api.post("versions/ranker%3A1/archive").json()  # no body at all is an empty object
    assert archived["status"] == "archived" == ws.get("ranker:1").status
    assert _last_audit(ws, "ranker")["action"] == "archive"


def test_traffic_and_rollback_change_the_running_endpoints_weights(world):
    api, ws, _ = world
    ws.deploy("churn:2", "churn", strategy="ab", percent=50)
    before = _audit_size(ws)
    body = api.post("endpoints/churn/traffic", {"weights": {"churn-v1": 3, "churn-v2": 1}}).json()
    weights = {v["name"]: v["weight"] for v in body["variants"]}
    assert weights == {"churn-v1": 3, "churn-v2": 1}
    assert {v["name"]: v["weight"] for v in ws.endpoint("churn").variants} == weights
    assert _audit_size(ws) > before and _last_audit(ws)["target"] == "churn"

    rolled = api.post("endpoints/churn/rollback", {}).json()
    assert {v["name"]: v["weight"] for v in rolled["variants"]} != weights
    assert _last_audit(ws)["target"] == "churn" and "rollback" in _last_audit(ws)["action"]


def test_stop_stops_the_endpoint(world):
    api, ws, _ = world
    ws.deploy("spare:1", "scratch")
    assert api.post("endpoints/scratch/stop", {}).json() == {"name": "scratch", "status": "stopped"}
    assert ws.endpoint("scratch").status == "stopped"
    assert api.get("endpoints/scratch").json()["status"] == "stopped"
    assert api.post("endpoints/scratch/stop", {}).status_code in (200, 409)  # again: no harm, no 500
    # acting on a stopped endpoint conflicts with its state
    assert api.post("endpoints/scratch/traffic", {"weights": {"spare-v1": 1}}).status_code == 409
    assert api.post("endpoints/scratch/rollback", {}).status_code == 409
    # a stopped endpoint is listed only when asked for; the sidebar's summary still shows it
    assert "scratch" not in [e["name"] for e in api.get("endpoints").json()["endpoints"]]
    assert "scratch" not in [e["name"] for e in api.get("endpoints?all=false").json()["endpoints"]]
    listed = api.get("endpoints?all=true").json()["endpoints"]
    assert next(e for e in listed if e["name"] == "scratch")["status"] == "stopped"
    assert next(e for e in api.get("summary").json()["endpoints"] if e["name"] == "scratch")["status"] == "stopped"
    assert api.get("endpoints?all=yes").status_code == 400
    assert _last_audit(ws)["action"] == "endpoint.stop" and _last_audit(ws)["target"] == "scratch"


def test_run_now_answers_202_at_once_and_a_second_run_while_it_goes_is_a_409(world):
    api, ws, _ = world
    started = api.post("schedules/sleep-nap/run", {})
    assert started.status_code == 202
    run = started.json()["run"]
    assert run["status"] == "running" and run["trigger"] == "manual" and run["schedule"] == "sleep-nap"
    assert _last_audit(ws)["action"] == "run_now"

    again = api.post("schedules/sleep-nap/run", {})
    assert again.status_code == 409 and again.json()["error"]["type"] == "Conflict"

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listed = api.get("runs?name=sleep-nap").json()["runs"]
        if listed[0]["status"] != "running":
            break
        time.sleep(0.2)
    assert listed[0]["id"] == run["id"] and listed[0]["status"] == "succeeded"
    assert listed[0]["result"]["trigger"] == "manual"


@pytest.mark.parametrize("method, path", [
    ("GET", "versions/nosuch:1"), ("GET", "versions/churn:99"), ("GET", "versions/churn@nowhere"),
    ("GET", "models/nosuch/versions"), ("POST", "versions/nosuch:1/approve"), ("POST", "versions/nosuch/archive"),
    ("GET", "endpoints/nosuch"), ("POST", "endpoints/nosuch/rollback"), ("POST", "endpoints/nosuch/stop"),
    ("GET", "reports/99999"), ("GET", "reports/99999/html"), ("POST", "schedules/nosuch/run"),
    ("GET", "no/such/route"),
])
def test_what_does_not_exist_is_a_404(world, method, path):
    api, ws, _ = world
    before = _audit_size(ws)
    r = api.request(method, path, json={} if method == "POST" else None)
    assert r.status_code == 404, r.text
    assert r.json()["error"]["message"]
    assert _audit_size(ws) == before


def test_an_unknown_model_names_the_close_matches(world):
    api, _, _ = world
    r = api.get("versions/chrun:1")
    assert r.status_code == 404 and r.json()["error"]["type"] == "ModelNotFound"
    assert "churn" in r.json()["error"]["message"]


@pytest.mark.parametrize("path, content", [
    ("versions/churn:1/approve", b"{not json"),
    ("versions/churn:1/approve", b"[1, 2]"),
    ("versions/churn:1/approve", b'"approve"'),
    ("versions/churn:1/approve", b'{"comment": 3}'),
    ("versions/churn:1/approve", b'{"comment": "ok", "by": "someone else"}'),
    ("versions/churn:1/approve", b'{"comment": "a\\u0000b"}'),
    ("versions/churn:1/promote", b"{}"),
    ("versions/churn:1/promote", b'{"alias": ""}'),
    ("versions/churn:1/promote", b'{"alias": "../../x"}'),
    ("versions/churn:1/promote", b'{"alias": null}'),
    ("endpoints/churn/traffic", b"{}"),
    ("endpoints/churn/traffic", b'{"weights": "heavy"}'),
    ("endpoints/churn/traffic", b'{"weights": {}}'),
    ("endpoints/churn/traffic", b'{"weights": {"churn-v1": -1}}'),
    ("endpoints/churn/traffic", b'{"weights": {"churn-v1": true}}'),
    ("endpoints/churn/traffic", b'{"weights": {"churn-v1": NaN}}'),
    ("endpoints/churn/traffic", b'{"weights": {"churn-v1": Infinity}}'),
    ("endpoints/churn/traffic", b'{"weights": {"churn-v1": "1"}}'),
    ("endpoints/churn/traffic", b'{"weights": {"no-such-variant": 1}}'),
    ("endpoints/churn/traffic", b'{"weights": {"churn-v1": 0, "churn-v2": 0}}'),
    ("endpoints/churn/rollback", b'{"force": true}'),
    ("schedules/sleep-nap/run", b'{"wait": true}'),
    ("versions/churn:1/archive", b"x" * 70_000),
])
def test_bad_bodies_are_a_400_that_changes_nothing(world, path, content):
    api, ws, _ = world
    before = _audit_size(ws)
    r = api.post(path, content=content, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["type"] in ("InvalidInput", "InvalidName")
    assert _audit_size(ws) == before


@pytest.mark.parametrize("query", ["runs?limit=0", "runs?limit=abc", "runs?limit=100000", "audit?limit=-1",
                                   "reports?limit=1.5", "models?page=2", "runs?name=a%00b"])
def test_bad_query_values_are_a_400(world, query):
    api, _, _ = world
    assert api.get(query).status_code == 400
