"""An endpoint keeps its request history per variant at a fixed resolution for the last hour
(``serving/history.py``): ``ws.endpoint_history(name, last=…)`` reads it, ``GET /metrics/history``
serves it (token required like the other routes), and the endpoint's own view charts it."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from jupyter_mlops._core.serving.history import History, merge_workers, settings
from jupyter_mlops._core.serving.metrics import Metrics


def _poll(get, done, timeout: float = 15.0):
    """``get()`` until ``done(value)``; the last value either way (the workers report every 0.5 s)."""
    deadline = time.monotonic() + timeout
    value = get()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.2)
        value = get()
    return value

ROW = {"instances": [[5, 70, 2]]}


def _send(url: str, variant: str, n: int, token: str | None = None) -> None:
    headers = {"x-amzn-sagemaker-target-variant": variant}
    if token:
        headers["authorization"] = f"Bearer {token}"
    with httpx.Client(base_url=url, headers=headers) as c:
        for _ in range(n):
            c.post("/invocations", json=ROW).raise_for_status()


def _totals(history) -> dict[str, int]:
    frame = history.to_frame()
    return {k: int(v) for k, v in frame.groupby("variant")["requests"].sum().items()}


@pytest.fixture
def two_variants(sws, monkeypatch):
    """churn-v1 and churn-v2 on one endpoint with two workers, 1 s intervals (the endpoint
    process reads MLOPS_ENDPOINT_HISTORY from the environment it inherits)."""
    monkeypatch.setenv("MLOPS_ENDPOINT_HISTORY", "resolution=1,retention=3600")
    sws.deploy("churn:1", "hist", workers=2)
    return sws.deploy("churn:2", "hist", strategy="ab", percent=50)


def test_history_counts_every_request_per_variant_with_per_interval_latency(sws, two_variants):
    ep = two_variants
    _send(ep.url, "churn-v1", 60)
    time.sleep(1.2)  # requests in more than one interval
    _send(ep.url, "churn-v2", 40)
    _send(ep.url, "churn-v1", 30)

    expected = {"churn-v1": 90, "churn-v2": 40}
    history = _poll(lambda: sws.endpoint_history("hist", last="15 min"), lambda h: _totals(h) == expected)
    assert _totals(history) == expected
    frame = history.to_frame()
    assert list(frame.columns) == ["time", "variant", "requests", "errors", "req_per_s", "error_rate",
                                   "p50_ms", "p99_ms"]
    assert frame["time"].nunique() >= 2 and history.resolution == 1.0
    assert (frame["p99_ms"] >= frame["p50_ms"]).all() and (frame["p50_ms"] > 0).all()
    assert (frame["errors"] == 0).all() and (frame["req_per_s"] == frame["requests"] / 1.0).all()
    # the deploy of churn-v2 as an A/B variant is a weight change, marked on the charts
    assert any("deploy churn:2" in m["label"] for m in history.marks)
    page = history._repr_html_()
    assert page.count("<svg") == 2 and "churn-v2" in page and "req/s" in page
    assert "churn-v1" in history.to_text()
    # the endpoint's own view shows the same two charts
    assert sws.endpoint("hist")._repr_html_().count("<svg") == 2


def test_a_canary_shows_its_steps_on_the_charts_and_both_variants_in_the_frame(sws, monkeypatch):
    monkeypatch.setenv("MLOPS_ENDPOINT_HISTORY", "resolution=1")
    sws.deploy("churn:1", "canary")
    ep = sws.deploy("churn:2", "canary", strategy="linear", percent=50, bake=0.5)
    deadline = time.monotonic() + 60
    with httpx.Client(base_url=ep.url) as c:
        while sws.endpoint("canary").info().rollout["status"] != "completed" and time.monotonic() < deadline:
            c.post("/invocations", json=ROW).raise_for_status()
        assert sws.endpoint("canary").info().rollout["status"] == "completed"
        for _ in range(20):
            c.post("/invocations", json=ROW).raise_for_status()
    history = _poll(lambda: sws.endpoint_history("canary"), lambda h: _totals(h).get("churn-v2", 0) >= 20)
    labels = [m["label"] for m in history.marks]
    assert any(label.startswith("deploy churn:2 (linear)") for label in labels)
    assert "rollout step churn-v2 100%" in labels and "rollout completed churn-v2" in labels
    assert set(_totals(history)) == {"churn-v1", "churn-v2"}
    assert history._repr_html_().count("<svg") == 2


def test_metrics_history_route_serves_the_same_rows_and_needs_the_token(sws, monkeypatch):
    monkeypatch.setenv("MLOPS_ENDPOINT_HISTORY", "resolution=1")
    ep = sws.deploy("churn:1", "guarded", token="s3cret")
    _send(ep.url, "churn-v1", 25, token="s3cret")
    assert httpx.get(f"{ep.url}/metrics/history").status_code == 401
    auth = {"authorization": "Bearer s3cret"}
    body = _poll(lambda: httpx.get(f"{ep.url}/metrics/history?last=10min", headers=auth).json(),
                 lambda b: sum(r["requests"] for r in b["rows"]) == 25)
    assert sum(r["requests"] for r in body["rows"]) == 25 and body["resolution"] == 1.0 and body["retention"] == 3600.0
    assert {r["variant"] for r in body["rows"]} == {"churn-v1"}
    assert json.loads(json.dumps(body))  # plain JSON
    assert httpx.get(f"{ep.url}/metrics/history?last=soon", headers=auth).status_code == 400


def test_an_endpoint_without_requests_has_an_empty_history_and_no_charts(sws):
    sws.deploy("churn:1", "idle")
    history = sws.endpoint_history("idle")
    assert history.to_frame().empty and "No requests" in history.summary()
    assert "<svg" not in sws.endpoint("idle")._repr_html_()


def test_intervals_older_than_the_retention_are_dropped():
    history = History(resolution=5, retention=60)
    metrics = Metrics(history=history)
    for i in range(30):
        metrics.observe("a", 0.002, 200)
    history.record(1000.0, metrics.counters())           # interval 1000
    for i in range(10):
        metrics.observe("a", 0.02, 500)
    history.record(1031.0, metrics.counters())           # interval 1030
    assert [b["t"] for b in history.everything()] == [1000.0, 1030.0]
    history.record(1066.0, metrics.counters())           # nothing new; 1000-1005 ended over a minute ago
    assert [b["t"] for b in history.everything()] == [1030.0]
    merged = merge_workers([history.everything()])
    assert merged[1030.0]["a"]["requests"] == 10 and merged[1030.0]["a"]["errors"] == 10


def test_memory_stays_bounded_at_one_interval_per_resolution_step():
    history = History(resolution=5, retention=3600)
    metrics = Metrics(history=history)
    for step in range(2000):  # nearly three hours of 5 s snapshots with traffic
        metrics.observe("a", 0.001, 200)
        history.record(step * 5.0, metrics.counters())
    assert len(history.everything()) == 720


def test_ended_intervals_are_handed_to_the_file_once_and_the_open_one_stays_in_the_report():
    history = History(resolution=5, retention=3600)
    metrics = Metrics(history=history)
    metrics.observe("a", 0.001, 200)
    history.record(1001.0, metrics.counters())
    assert history.take_ended(1002.0) is None and [b["t"] for b in history.pending()] == [1000.0]
    metrics.observe("a", 0.001, 200)
    history.record(1006.0, metrics.counters())
    ended = history.take_ended(1006.0)
    assert [b["t"] for b in ended] == [1000.0] and [b["t"] for b in history.pending()] == [1005.0]
    assert history.take_ended(1007.0) is None
    # a reader that sees an interval both in the file and in a report counts it once
    both = merge_workers([ended + [ended[0]] + history.pending()])
    assert sum(v["a"]["requests"] for v in both.values()) == 2


def test_settings_come_from_the_environment_with_defaults():
    assert settings({}) == (5.0, 3600.0)
    assert settings({"MLOPS_ENDPOINT_HISTORY": "resolution=1, retention=20"}) == (1.0, 20.0)
    assert settings({"MLOPS_ENDPOINT_HISTORY": "retention=oops"}) == (5.0, 3600.0)
