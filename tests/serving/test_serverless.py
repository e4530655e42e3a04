"""Serverless endpoints: idle workers give back their memory, the next request brings them back
(a counted cold start), past max_concurrency boto3 gets ThrottlingException, provisioned workers
never go cold. Real endpoints on 127.0.0.1, boto3 as the client, every process stopped by pid."""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import numpy as np
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from jupyter_mlops._core.errors import Conflict, InvalidInput
from jupyter_mlops._core.serving.control import processes

SLOW_CALLS = 999.0   # a row with support_calls == 999 makes SlowModel take SLOW_SECONDS
SLOW_SECONDS = 0.6


class SlowModel:
    """churn:1 but slow for marked rows: its smoke test is quick, marked requests overlap."""

    def __init__(self, inner):
        self.inner = inner

    def predict(self, X):
        arr = np.asarray(X, dtype=float)
        if (arr[:, 2] == SLOW_CALLS).any():
            time.sleep(SLOW_SECONDS)
        return self.inner.predict(X)


def until(predicate, timeout: float = 60.0, what: str = "the condition"):
    """Poll ``predicate`` until it is truthy; its value (no timing is asserted, only reached)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} was not reached within {timeout:g} s")


def tree_pids(root: int) -> list[int]:
    """``root`` and every descendant, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += parents.get(pid, [])
    return out


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def tree_rss(root: int) -> int:
    return sum(rss_bytes(p) for p in tree_pids(root))


def client(url: str):
    return boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": 1}, read_timeout=120))


def invoke(smr, X, name: str = "churn") -> list[int]:
    r = smr.invoke_endpoint(EndpointName=name, Body=X.to_csv(index=False, header=False),
                            ContentType="text/csv")
    return [int(float(v)) for v in r["Body"].read().decode().split()]


def workers_of(ws, name: str) -> list[int]:
    return ws._serving._server_info(name).get("worker_pids") or []


def state_of(ws, name: str) -> dict:
    return ws.endpoint(name).info().serverless or {}


@pytest.fixture
def leftovers(sws):
    """Pids a test saw: once the workspace's endpoints are stopped (by their supervisors' pids),
    none of them may be left; any that is gets stopped by its pid and fails the test."""
    from .conftest import _stop_all

    seen: set[int] = set()
    yield seen
    _stop_all(sws)
    alive = [p for p in seen if processes.is_endpoint_process(p)]
    for p in alive:
        processes.stop_pid(p, timeout=10)
    assert not alive, f"processes left running: {alive}"


def test_idle_endpoint_gives_back_its_memory_and_the_next_request_cold_starts(sws, leftovers):
    X, _ = sws._test_data
    ep = sws.deploy("churn:1", "churn", serverless=True, idle=1.5)
    leftovers.update([ep.pid, *workers_of(sws, "churn")])
    smr = client(ep.url)
    expected = sws.load("churn:1").predict(X.head(3)).tolist()
    assert invoke(smr, X.head(3)) == expected
    warm_workers = workers_of(sws, "churn")
    assert warm_workers and state_of(sws, "churn")["state"] == "warm"
    warm = tree_rss(ep.pid)
    listener = rss_bytes(ep.pid)

    until(lambda: state_of(sws, "churn").get("state") == "cold", what="going cold")
    until(lambda: not any(processes._alive(p) for p in warm_workers), what="the workers' exit")
    cold = tree_rss(ep.pid)
    print(f"tree RSS warm {warm / 2**20:.1f} MB, cold {cold / 2**20:.1f} MB, "
          f"listener {listener / 2**20:.1f} MB")
    assert tree_pids(ep.pid) == [ep.pid]          # only the listener is left
    assert cold < warm / 2                        # the workers' memory came back
    assert cold < listener * 1.5                  # ... down to about the listener's own
    assert sws.endpoint("churn").info().status == "running"

    assert invoke(smr, X.head(3)) == expected     # waits for the cold start, then answers
    state = state_of(sws, "churn")
    assert state["state"] == "warm" and state["cold_starts"] == 1
    assert state["last_cold_start_s"] > 0
    leftovers.update(workers_of(sws, "churn"))
    row = sws.endpoints().to_frame().set_index("name").loc["churn"]
    assert row["serverless"] == "warm" and row["cold_starts"] == 1 and row["last_cold_start_s"] > 0
    assert "cold starts" in sws.endpoint("churn").info()._repr_html_()

    sws.stop("churn")
    assert not any(processes._alive(p) for p in leftovers)


def test_a_traffic_change_while_cold_is_applied_when_the_workers_return(sws, leftovers):
    X, _ = sws._test_data
    ep = sws.deploy("churn:1", "churn", serverless=True, idle=1)
    sws.deploy("churn:2", "churn", strategy="ab", percent=50)
    leftovers.update([ep.pid, *workers_of(sws, "churn")])
    until(lambda: state_of(sws, "churn").get("state") == "cold", what="going cold")
    sws.traffic("churn", {"churn-v1": 0, "churn-v2": 100}, timeout=10)   # does not wait for workers
    r = client(ep.url).invoke_endpoint(EndpointName="churn", Body=X.head(1).to_csv(index=False),
                                       ContentType="text/csv")
    assert r["InvokedProductionVariant"] == "churn-v2"
    leftovers.update(workers_of(sws, "churn"))


def register_slow(ws):
    import cloudpickle

    this = sys.modules[__name__]
    cloudpickle.register_pickle_by_value(this)
    try:
        X, y = ws._test_data
        return ws.register(SlowModel(ws.load("churn:1")), "slow", data=X, target=y)
    finally:
        cloudpickle.unregister_pickle_by_value(this)


def test_past_max_concurrency_boto3_raises_throttling_exception(sws, leftovers):
    X, _ = sws._test_data
    register_slow(sws)
    ep = sws.deploy("slow:1", "slow", serverless=True, idle=60, max_concurrency=2, workers=2)
    leftovers.update([ep.pid, *workers_of(sws, "slow")])
    slow = X.head(1).copy()
    slow["support_calls"] = SLOW_CALLS
    smr = client(ep.url)
    invoke(smr, slow, "slow")  # the model now counts as slow: it runs off the event loop

    def one(_):
        try:
            invoke(client(ep.url), slow, "slow")
            return "ok"
        except ClientError as e:
            return (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"],
                    e.response["Error"]["Message"])

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(one, range(8)))
    throttled = [o for o in outcomes if o != "ok"]
    assert 1 <= outcomes.count("ok") and throttled, outcomes
    assert {o[:2] for o in throttled} == {("ThrottlingException", 400)}
    assert "max_concurrency" in throttled[0][2]
    until(lambda: state_of(sws, "slow").get("throttled") == len(throttled), timeout=10,
          what="the workers' reports counting the throttled requests")
    assert invoke(smr, X.head(2), "slow") == sws.load("churn:1").predict(X.head(2)).tolist()


def test_provisioned_workers_never_go_cold(sws, leftovers):
    X, _ = sws._test_data
    ep = sws.deploy("churn:1", "churn", serverless=True, idle=1, provisioned=1)
    first = workers_of(sws, "churn")
    leftovers.update([ep.pid, *first])
    smr = client(ep.url)
    invoke(smr, X.head(1))
    # idle well past the 1 s: the report keeps being written by the same, live worker
    seen = sws._serving._reports("churn")[0]["t"]
    until(lambda: sws._serving._reports("churn")[0]["t"] > seen + 3, what="three seconds of idle reports")
    assert workers_of(sws, "churn") == first and all(processes._alive(p) for p in first)
    assert state_of(sws, "churn")["state"] == "warm"
    assert invoke(smr, X.head(1)) == sws.load("churn:1").predict(X.head(1)).tolist()
    assert state_of(sws, "churn")["cold_starts"] == 0


def test_provisioned_keeps_some_warm_and_wakes_the_released_ones(sws, leftovers):
    X, _ = sws._test_data
    ep = sws.deploy("churn:1", "churn", serverless=True, idle=1, provisioned=1, workers=2)
    leftovers.update([ep.pid, *workers_of(sws, "churn")])
    until(lambda: len(workers_of(sws, "churn")) == 1, what="the unprovisioned worker's release")
    invoke(client(ep.url), X.head(1))
    until(lambda: len(workers_of(sws, "churn")) == 2, what="the released worker's return")
    leftovers.update(workers_of(sws, "churn"))
    assert state_of(sws, "churn")["state"] == "warm"


def test_serverless_settings_are_checked(sws):
    with pytest.raises(InvalidInput, match="serverless=True"):
        sws.deploy("churn:1", "churn", idle=5)
    with pytest.raises(InvalidInput, match="max_concurrency"):
        sws.deploy("churn:1", "churn", serverless=True, max_concurrency=0)
    with pytest.raises(InvalidInput, match="idle"):
        sws.deploy("churn:1", "churn", serverless=True, idle=-1)


def test_serverless_settings_of_a_running_endpoint_need_a_new_process(sws, leftovers):
    ep = sws.deploy("churn:1", "churn")
    leftovers.add(ep.pid)
    with pytest.raises(Conflict, match="serverless"):
        sws.deploy("churn:2", "churn", serverless=True, idle=5)


def test_an_async_request_keeps_it_warm_until_done_and_a_cold_endpoint_wakes_for_one(sws, leftovers, tmp_path):
    from .test_async_inference import Pipe, csv_of, finished

    X, _ = sws._test_data
    ep = sws.deploy("churn:1", "churn", serverless=True, idle=1)
    leftovers.update([ep.pid, *workers_of(sws, "churn")])
    smr = client(ep.url)
    held = Pipe(tmp_path / "held.csv", csv_of(X.head(5)))
    r = smr.invoke_endpoint_async(EndpointName="churn", InputLocation=str(held.path), ContentType="text/csv")
    seen = sws._serving._reports("churn")[0]["t"]
    until(lambda: sws._serving._reports("churn")[0]["t"] > seen + 3, what="three seconds with the job held")
    assert state_of(sws, "churn")["state"] == "warm"     # idle 1 s, but the job is not done
    held.release()
    assert finished(sws, "churn", r["InferenceId"]).status == "succeeded"
    until(lambda: state_of(sws, "churn").get("state") == "cold", what="going cold after the job")

    path = tmp_path / "rows.csv"
    path.write_text(csv_of(X.head(5)))
    r = smr.invoke_endpoint_async(EndpointName="churn", InputLocation=str(path), ContentType="text/csv")
    assert finished(sws, "churn", r["InferenceId"]).status == "succeeded"
    assert state_of(sws, "churn")["cold_starts"] == 1
    leftovers.update(workers_of(sws, "churn"))


def test_a_cold_endpoint_stops_by_its_pid(sws, leftovers):
    ep = sws.deploy("churn:1", "churn", serverless=True, idle=1)
    leftovers.update([ep.pid, *workers_of(sws, "churn")])
    until(lambda: state_of(sws, "churn").get("state") == "cold", what="going cold")
    sws.stop("churn")
    assert not processes._alive(ep.pid)
    info = sws.endpoint("churn").info()
    assert info.status == "stopped" and info.serverless["state"] == "stopped"
