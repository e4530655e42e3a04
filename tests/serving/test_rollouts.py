"""Variants, weights and rollouts on a running endpoint: A/B split, canary with a guardrail,
blue/green under load, linear, shadow, traffic and rollback — all without a restart."""

from __future__ import annotations

import threading
import time

import httpx
import numpy as np
import pytest
from scipy.stats import chisquare

from jupyter_mlops._core.errors import DeployError, InvalidInput

from .endpoints import wait_until as _wait

ROW = {"instances": [[5, 70, 2]]}


def test_ab_split_of_2000_requests_matches_the_weights(sws):
    ws = sws
    ep = ws.deploy("churn:1", "ab")
    pid = ep.pid
    ep = ws.deploy("churn:2", "ab", strategy="ab", percent=30)
    assert {v["name"]: v["weight"] for v in ep.variants} == {"churn-v1": 70.0, "churn-v2": 30.0}
    assert ep.pid == pid  # no restart
    seen = {"churn-v1": 0, "churn-v2": 0}
    with httpx.Client(base_url=ep.url) as c:
        for _ in range(2000):
            r = c.post("/invocations", json=ROW)
            seen[r.headers["x-amzn-invoked-production-variant"]] += 1
    stat = chisquare([seen["churn-v1"], seen["churn-v2"]], f_exp=[1400, 600])
    assert stat.pvalue > 0.01, seen


def test_sticky_key_keeps_one_user_on_one_variant(sws):
    ws = sws
    ws.deploy("churn:1", "sticky")
    ep = ws.deploy("churn:2", "sticky", strategy="ab", percent=50)
    with httpx.Client(base_url=ep.url) as c:
        for user in ("alice", "bob", "carol", "dave"):
            got = {c.post("/invocations", json=ROW, headers={"x-mlops-route-key": user})
                   .headers["x-amzn-invoked-production-variant"] for _ in range(15)}
            assert len(got) == 1
        users = {c.post("/invocations", json=ROW, headers={"x-mlops-route-key": f"u{i}"})
                 .headers["x-amzn-invoked-production-variant"] for i in range(60)}
        assert users == {"churn-v1", "churn-v2"}


def test_canary_that_raises_errors_is_rolled_back_by_its_guardrail(sws):
    ws = sws
    ws.deploy("churn:1", "canary")
    ep = ws.deploy("churn:3", "canary", strategy="canary", percent=50, bake=120,
                   guardrails={"max_error_rate": 0.05, "min_requests": 10})
    assert ep.status == "updating"
    assert {v["name"]: v["weight"] for v in ep.variants} == {"churn-v1": 50.0, "churn-v3": 50.0}
    failures = 0
    with httpx.Client(base_url=ep.url) as c:
        for _ in range(200):
            r = c.post("/invocations", json={"instances": [[5, 70, 150]]})
            failures += r.status_code != 200
            if ws.endpoint("canary").info().rollout["status"] == "rolled_back":
                break
            time.sleep(0.01)
    assert _wait(lambda: ws.endpoint("canary").info().rollout["status"] == "rolled_back")
    after = ws.endpoint("canary").info()
    assert [(v["name"], v["weight"]) for v in after.variants] == [("churn-v1", 100.0)]
    assert "max_error_rate" in after.status_reason
    assert failures > 0
    # once the workers applied the rollback, only churn-v1 answers
    assert _wait(lambda: httpx.post(f"{ep.url}/invocations", json=ROW)
                 .headers["x-amzn-invoked-production-variant"] == "churn-v1")
    assert _wait(lambda: "endpoint.rollback" in set(ws.audit("canary").action))
    log = ws.audit("canary")
    auto = log[log.action == "endpoint.rollback"]
    assert len(auto) == 1 and auto.iloc[0]["details"]["automatic"] is True
    assert "error rate" in auto.iloc[0]["details"]["reason"]


def test_healthy_canary_goes_to_100_percent_after_its_bake(sws):
    ws = sws
    ws.deploy("churn:1", "promote")
    ep = ws.deploy("churn:2", "promote", strategy="canary", percent=20, bake=1,
                   guardrails={"max_error_rate": 0.05})
    with httpx.Client(base_url=ep.url) as c:
        for _ in range(30):
            c.post("/invocations", json=ROW)
    assert _wait(lambda: ws.endpoint("promote").info().rollout["status"] == "completed")
    done = ws.endpoint("promote").info()
    assert [(v["name"], v["weight"]) for v in done.variants] == [("churn-v2", 100.0)]
    assert done.status == "running"


def test_linear_rollout_moves_in_steps(sws):
    ws = sws
    ws.deploy("churn:1", "linear")
    ep = ws.deploy("churn:2", "linear", strategy="linear", percent=50, bake=0.5)
    assert ep.rollout["steps"] == [50.0, 100.0]
    assert _wait(lambda: ws.endpoint("linear").info().rollout["status"] == "completed")
    steps = [e for e in ws._serving.events("linear") if e["action"] == "rollout_step"]
    assert [e["percent"] for e in steps] == [100.0]


def test_blue_green_swap_under_load_fails_no_request(sws):
    ws = sws
    ep = ws.deploy("churn:1", "bg")
    stop = threading.Event()
    results: list[tuple[int, str]] = []
    errors: list[str] = []

    def load():
        with httpx.Client(base_url=ep.url, timeout=10) as c:
            while not stop.is_set():
                try:
                    r = c.post("/invocations", json=ROW)
                    results.append((r.status_code, r.headers.get("x-amzn-invoked-production-variant")))
                except httpx.HTTPError as exc:
                    errors.append(repr(exc))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        assert _wait(lambda: len(results) > 50)
        ws.deploy("churn:2", "bg", strategy="blue_green")
        n = len(results)
        assert _wait(lambda: len(results) > n + 100)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    assert {s for s, _ in results} == {200}
    variants = [v for _, v in results]
    assert variants[0] == "churn-v1" and variants[-1] == "churn-v2"
    switch = variants.index("churn-v2")
    assert all(v == "churn-v2" for v in variants[switch + 20:])  # a few in flight at the swap


def test_shadow_gets_copies_never_answers_and_is_reported(sws):
    ws = sws
    ws.deploy("churn:1", "shadowed", capture=100)
    ep = ws.deploy("churn:2", "shadowed", strategy="shadow", percent=100)
    assert [v["role"] for v in ep.variants] == ["production", "shadow"]
    X, _ = ws._test_data
    with httpx.Client(base_url=ep.url) as c:
        for i in range(40):
            r = c.post("/invocations", json={"instances": X.iloc[[i]].values.tolist()})
            assert r.headers["x-amzn-invoked-production-variant"] == "churn-v1"
    assert _wait(lambda: (ws.shadow_report("shadowed").shadows or [{}])[0].get("requests") == 40)
    report = ws.shadow_report("shadowed")
    row = report.to_frame().iloc[0]
    v1 = ws.load("churn:1").predict(X.head(40))
    v2 = ws.load("churn:2").predict(X.head(40))
    assert row["variant"] == "churn-v2"
    assert row["agreement"] == pytest.approx(float(np.mean(v1 == v2)))
    assert row["shadow_p99_ms"] > 0
    assert _wait(lambda: set(ws.captured("shadowed")["variant"]) == {"churn-v1", "churn-v2"})


def test_traffic_and_manual_rollback_without_restart(sws):
    ws = sws
    pid = ws.deploy("churn:1", "t").pid
    ws.deploy("churn:2", "t", strategy="ab", percent=10)
    ep = ws.traffic("t", {"churn-v1": 0, "churn-v2": 1})
    assert {v["name"]: v["weight"] for v in ep.variants} == {"churn-v1": 0.0, "churn-v2": 1.0}
    assert httpx.post(f"{ep.url}/invocations", json=ROW) \
        .headers["x-amzn-invoked-production-variant"] == "churn-v2"
    back = ws.rollback("t")
    assert {v["name"]: v["weight"] for v in back.variants} == {"churn-v1": 90.0, "churn-v2": 10.0}
    assert back.pid == pid
    with pytest.raises(InvalidInput, match="no variant 'nope'"):
        ws.traffic("t", {"nope": 1})
    actions = ws.audit("t")["action"].tolist()
    assert actions == ["endpoint.deploy", "endpoint.deploy", "endpoint.traffic",
                       "endpoint.rollback"]


def test_a_version_that_fails_its_smoke_test_is_refused_before_traffic(sws):
    ws = sws
    ws.deploy("churn:1", "guarded")
    with pytest.raises(DeployError, match="smoke test.*this model is broken"):
        ws.deploy("broken:1", "guarded", strategy="canary", percent=50)
    ep = ws.endpoint("guarded").info()
    assert [(v["name"], v["weight"]) for v in ep.variants] == [("churn-v1", 100.0)]
    assert {httpx.post(f"{ep.url}/invocations", json=ROW)
            .headers["x-amzn-invoked-production-variant"] for _ in range(20)} == {"churn-v1"}
    with pytest.raises(DeployError, match="smoke test"):
        ws.deploy("broken:1", "fresh")


class SleepyModel:
    """Right answers, slowly: for the p99 guardrail."""

    def __init__(self, inner):
        self.inner = inner

    def predict(self, X):
        time.sleep(0.06)
        return self.inner.predict(X)


def test_a_slow_canary_is_rolled_back_by_its_p99_guardrail(sws):
    import sys

    import cloudpickle

    ws = sws
    X, y = ws._test_data
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        ws.register(SleepyModel(ws.load("churn:2")), "churn", data=X, target=y)  # churn:4
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    ws.deploy("churn:1", "latency")
    ep = ws.deploy("churn:4", "latency", strategy="canary", percent=50, bake=120,
                   guardrails={"max_p99_ms": 30, "min_requests": 5})
    with httpx.Client(base_url=ep.url) as c:
        for _ in range(100):
            c.post("/invocations", json=ROW)
            if ws.endpoint("latency").info().rollout["status"] == "rolled_back":
                break
    assert _wait(lambda: ws.endpoint("latency").info().rollout["status"] == "rolled_back")
    after = ws.endpoint("latency").info()
    assert [v["name"] for v in after.variants] == ["churn-v1"]
    assert "p99 latency" in after.status_reason and "max_p99_ms=30" in after.status_reason


def test_guardrails_see_the_errors_of_every_worker(sws):
    ws = sws
    ws.deploy("churn:1", "canary2", workers=2)
    ep = ws.deploy("churn:3", "canary2", strategy="canary", percent=50, bake=120,
                   guardrails={"max_error_rate": 0.05, "min_requests": 10})
    for _ in range(300):  # a new connection each time: both workers answer
        httpx.post(f"{ep.url}/invocations", json={"instances": [[5, 70, 150]]})
        if ws.endpoint("canary2").info().rollout["status"] == "rolled_back":
            break
    assert _wait(lambda: ws.endpoint("canary2").info().rollout["status"] == "rolled_back")
    reports = ws._serving._reports("canary2")
    assert all(r["variants"].get("churn-v3", {}).get("errors", 0) > 0 for r in reports)
    assert [v["name"] for v in ws.endpoint("canary2").info().variants] == ["churn-v1"]
