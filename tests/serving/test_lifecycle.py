"""Endpoint processes: healthy on return, outlive the caller, dead ones show as failed, stop
drains in-flight requests, start failures show the log, --workers N aggregates and routes alike."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time

import cloudpickle
import httpx
import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families

from jupyter_mlops import Workspace
from jupyter_mlops._core.errors import DeployError, EndpointNotFound, InvalidName

ROW = {"instances": [[5, 70, 2]]}


class SlowModel:
    def predict(self, X):
        time.sleep(1.0)
        return [0] * len(X)


def test_deploy_returns_healthy_and_another_process_sees_it(sws):
    ep = sws.deploy("churn:1", "life")
    assert ep.status == "running" and ep.url.startswith("http://127.0.0.1:")
    assert httpx.get(f"{ep.url}/ping").status_code == 200
    other = Workspace(sws.home)  # a second kernel
    df = other.endpoints()
    row = df.set_index("name").loc["life"]
    assert row["status"] == "running" and row["pid"] == ep.pid
    assert row["rss_mb"] > 0
    row = pd.DataFrame([[5.0, 70.0, 2.0]], columns=["tenure", "monthly", "support_calls"])
    assert other.endpoint("life").predict(row).tolist() == sws.load("churn:1").predict(row).tolist()


def test_a_killed_endpoint_shows_failed_never_running(sws):
    ep = sws.deploy("churn:1", "dies")
    os.kill(ep.pid, signal.SIGKILL)
    deadline = time.time() + 10
    while time.time() < deadline and sws.endpoints().set_index("name").loc["dies", "status"] \
            == "running":
        time.sleep(0.1)
    row = sws.endpoints().set_index("name").loc["dies"]
    assert row["status"] == "failed"
    assert "status -9" in row["reason"]


def test_stop_drains_the_request_in_flight(sws):
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        X, y = sws._test_data
        sws.register(SlowModel(), "slow", data=X, target=y)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    ep = sws.deploy("slow:1", "slow")
    answers = []
    t = threading.Thread(target=lambda: answers.append(
        httpx.post(f"{ep.url}/invocations", json=ROW, timeout=30)))
    t.start()
    time.sleep(0.3)
    sws.stop("slow")
    t.join()
    assert answers[0].status_code == 200
    assert sws.endpoints(all=True).set_index("name").loc["slow", "status"] == "stopped"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{ep.url}/ping")
    assert "serving on" in sws.endpoint("slow").logs()


def test_a_changed_artifact_is_refused_at_start_with_the_log(sws):
    mv = sws.get("churn:1")
    path = sws.artifacts.local_path(mv.artifact_sha256)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(DeployError, match="sha256"):
        sws.deploy("churn:1", "tampered")
    assert sws.endpoints().set_index("name").loc["tampered", "status"] == "failed"


def test_names_are_validated(sws):
    with pytest.raises(InvalidName):
        sws.deploy("churn:1", "../evil")
    with pytest.raises(EndpointNotFound, match="no endpoint named 'nope'"):
        sws.stop("nope")


def test_two_workers_aggregate_metrics_and_route_alike(sws):
    ws = sws
    ws.deploy("churn:1", "multi", workers=2)
    ep = ws.deploy("churn:2", "multi", strategy="ab", percent=50)
    server = ws._serving._server_info("multi")
    assert len(server["worker_pids"]) == 2
    by_user: dict[str, set] = {}
    for i in range(120):  # a new connection each time: both workers answer
        user = f"user-{i % 6}"
        r = httpx.post(f"{ep.url}/invocations", json=ROW, headers={"x-mlops-route-key": user})
        assert r.status_code == 200
        by_user.setdefault(user, set()).add(r.headers["x-amzn-invoked-production-variant"])
    assert all(len(v) == 1 for v in by_user.values())

    def total():
        text = httpx.get(f"{ep.url}/metrics").text
        fam = {f.name: f for f in text_string_to_metric_families(text)}
        workers = {s.labels["worker"] for s in fam["process_resident_memory_bytes"].samples}
        return sum(s.value for s in fam["mlops_requests"].samples), workers

    deadline = time.time() + 30
    while time.time() < deadline and total()[0] < 120:
        time.sleep(0.2)
    count, workers = total()
    reports = {p.name: {k: v["requests"] for k, v in json.loads(p.read_text())["variants"].items()}
               for p in (ws.home / "endpoints" / "multi" / "workers").glob("*.json")}
    assert (count, workers) == (120, {"0", "1"}), reports
    ws.stop("multi")
    for pid in [server["pid"], *server["worker_pids"]]:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_request_over_the_timeout_gets_504_and_model_error(sws):
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        X, y = sws._test_data
        sws.register(SlowModel(), "slow", data=X, target=y)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    ep = sws.deploy("slow:1", "timeout", request_timeout=0.3)
    r = httpx.post(f"{ep.url}/invocations", json=ROW, timeout=30)
    assert r.status_code == 504 and "exceeded limit (0.3 s)" in r.json()["message"]
    assert httpx.get(f"{ep.url}/ping", timeout=2).status_code == 200  # the loop was never blocked
    import boto3
    from botocore.config import Config

    smr = boto3.client("sagemaker-runtime", endpoint_url=ep.url, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x",
                       config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(smr.exceptions.ModelError) as e:
        smr.invoke_endpoint(EndpointName="timeout", Body="1,70,3", ContentType="text/csv")
    assert e.value.response["OriginalStatusCode"] == 504


def test_process_settings_of_a_running_endpoint_cannot_change_silently(sws):
    sws.deploy("churn:1", "fixed")
    with pytest.raises(Exception, match="workers=2 .*needs a new process"):
        sws.deploy("churn:2", "fixed", workers=2, strategy="ab", percent=10)
    with pytest.raises(Exception, match="different token"):
        sws.deploy("churn:2", "fixed", token="t", strategy="ab", percent=10)


def test_an_endpoint_outlives_the_kernel_that_deployed_it(sws):
    import subprocess

    code = ("import jupyter_mlops as m; ep = m.Workspace(%r).deploy('churn:1', 'orphan'); "
            "print(ep.pid)" % str(sws.home))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         timeout=120)
    pid = int(out.stdout.strip().splitlines()[-1])  # that "kernel" has exited now
    row = sws.endpoints().set_index("name").loc["orphan"]
    assert row["status"] == "running" and row["pid"] == pid
    assert httpx.post(f"{row['url']}/invocations", json=ROW).status_code == 200
    sws.stop("orphan")  # stopped by pid from another process
    import psutil

    try:  # gone, or a zombie waiting for a container's pid 1 to reap it
        assert psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        pass
    assert sws.endpoints(all=True).set_index("name").loc["orphan", "status"] == "stopped"


def test_a_port_in_use_is_refused_with_a_clear_error(sws):
    ep = sws.deploy("churn:1", "first")
    with pytest.raises(DeployError, match=f"port {ep.port} on 127.0.0.1 is in use"):
        sws.deploy("churn:1", "second", port=ep.port)
    with pytest.raises(DeployError, match="is in use"):
        sws.deploy("churn:1", "third", port=ep.port, workers=2)
    assert {httpx.post(f"{ep.url}/invocations", json=ROW).headers[
        "x-amzn-invoked-production-variant"] for _ in range(10)} == {"churn-v1"}


def test_the_endpoint_loads_the_verified_companion_and_refuses_a_changed_one(sws):
    mv = sws.get("churn:2")
    assert mv.format["fast_load"]["format"] == "pickle"
    path = sws.artifacts.local_path(mv.format["fast_load"]["sha256"])
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(DeployError, match="sha256"):
        sws.deploy("churn:2", "tampered-companion")
    assert sws.endpoints().set_index("name").loc["tampered-companion", "status"] == "failed"
