"""Asynchronous inference as boto3's ``invoke_endpoint_async`` uses it: 202 with the locations,
the request in a durable queue in the workspace, the result (or the error) written to its
location, polled with ``ws.async_result`` or pushed to a webhook (SageMaker's SNS messages).

A named pipe (FIFO) as an InputLocation holds a processor until the test writes to it: that is
how these tests keep requests queued without timing assumptions."""

from __future__ import annotations

import json
import os
import signal
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import boto3
import pytest
from botocore.config import Config

from .endpoints import wait_dead, wait_until


def client(url: str, validate: bool = True):
    """``validate=False``: botocore would refuse a RequestTTLSeconds under SageMaker's 60 s."""
    return boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": 1},
                                      parameter_validation=validate))


def finished(ws, endpoint: str, inference_id: str, timeout: float = 60):
    assert wait_until(lambda: ws.async_result(endpoint, inference_id).done, timeout), \
        ws.async_result(endpoint, inference_id)
    return ws.async_result(endpoint, inference_id)


def csv_of(X) -> str:
    return "\n".join(",".join(repr(float(v)) for v in row) for row in X.to_numpy().tolist()) + "\n"


class Pipe:
    """A FIFO input: a processor that opens it waits until ``release`` writes the rows."""

    def __init__(self, path, body: str):
        self.path, self.body = path, body
        os.mkfifo(path)
        self._writer = None

    def release(self) -> None:
        def write():
            with open(self.path, "w") as fh:  # blocks until the endpoint opens it
                fh.write(self.body)
        self._writer = threading.Thread(target=write, daemon=True)
        self._writer.start()

    def join(self) -> None:
        self._writer.join(timeout=60)


def queue_depth(url: str) -> dict[str, int]:
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    depth = {}
    for line in text.splitlines():
        if line.startswith("mlops_async_queue_depth{"):
            state = line.split('state="')[1].split('"')[0]
            depth[state] = int(float(line.rsplit(" ", 1)[1]))
    return depth


# -- results equal a direct invocation -------------------------------------------------------------

def test_async_output_equals_direct_invocation_on_the_same_rows(sws, tmp_path):
    ep = sws.deploy("churn:1", "churn")
    X, _ = sws._test_data
    rows = X.sample(40_000, replace=True, random_state=0)   # about 1.6 MB: several chunks
    path = tmp_path / "rows.csv"
    path.write_text(csv_of(rows))
    smr = client(ep.url)

    r = smr.invoke_endpoint_async(EndpointName="churn", InputLocation=str(path), ContentType="text/csv")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert r["InferenceId"] and r["OutputLocation"].endswith(f"{r['InferenceId']}.out")
    assert r["FailureLocation"].endswith(f"{r['InferenceId']}-error.out")
    direct = smr.invoke_endpoint(EndpointName="churn", Body=path.read_bytes(), ContentType="text/csv")
    result = finished(sws, "churn", r["InferenceId"])
    assert result.status == "succeeded" and result.rows == len(rows)
    assert open(r["OutputLocation"], "rb").read() == direct["Body"].read()

    # JSON answer, file:// input, the client's own InferenceId
    r = smr.invoke_endpoint_async(EndpointName="churn", InputLocation=f"file://{path}",
                                  ContentType="text/csv", Accept="application/json",
                                  InferenceId="job-json-1")
    assert r["InferenceId"] == "job-json-1"
    direct = smr.invoke_endpoint(EndpointName="churn", Body=path.read_bytes(), ContentType="text/csv",
                                 Accept="application/json")
    assert finished(sws, "churn", "job-json-1").status == "succeeded"
    assert json.loads(open(r["OutputLocation"], "rb").read()) == json.loads(direct["Body"].read())
    assert json.loads(open(r["OutputLocation"], "rb").read()) == \
        sws.load("churn:1").predict(rows).tolist()


def test_json_lines_input_is_streamed_and_answered_as_one_json_array(sws, tmp_path):
    ep = sws.deploy("churn:1", "churn")
    X, _ = sws._test_data
    rows = X.sample(30_000, replace=True, random_state=2)    # about 2.4 MB of records
    path = tmp_path / "rows.jsonl"
    path.write_text(rows.to_json(orient="records", lines=True))
    r = client(ep.url).invoke_endpoint_async(EndpointName="churn", InputLocation=str(path),
                                             ContentType="application/jsonlines")
    assert finished(sws, "churn", r["InferenceId"]).status == "succeeded"
    assert json.loads(open(r["OutputLocation"]).read()) == sws.load("churn:1").predict(rows).tolist()


def test_result_shows_itself_and_an_inference_id_is_used_once(sws, tmp_path):
    ep = sws.deploy("churn:1", "churn")
    X, _ = sws._test_data
    path = tmp_path / "few.csv"
    path.write_text(csv_of(X.head(5)))
    smr = client(ep.url)
    smr.invoke_endpoint_async(EndpointName="churn", InputLocation=str(path), InferenceId="once")
    result = finished(sws, "churn", "once")
    assert result.to_dict()["status"] == "succeeded" and result.queued_seconds >= 0
    assert "succeeded" in result._repr_html_() and "once" in result._repr_html_()
    assert json.dumps(result.to_dict(), allow_nan=False)
    with pytest.raises(smr.exceptions.ValidationError, match="already used"):
        smr.invoke_endpoint_async(EndpointName="churn", InputLocation=str(path), InferenceId="once")
    named = smr.invoke_endpoint_async(EndpointName="churn", InputLocation=str(path),
                                      S3OutputPathExtension="daily/2026-11-28", Filename="few.out")
    assert named["OutputLocation"].endswith("/async/output/daily/2026-11-28/few.out")
    assert finished(sws, "churn", named["InferenceId"]).status == "succeeded"
    assert os.path.exists(named["OutputLocation"])
    with pytest.raises(smr.exceptions.ValidationError, match="must not contain"):
        smr.invoke_endpoint_async(EndpointName="churn", InputLocation=str(path),
                                  S3OutputPathExtension="../../elsewhere")
    from jupyter_mlops._core.errors import AsyncRequestNotFound

    with pytest.raises(AsyncRequestNotFound):
        sws.async_result("churn", "never-sent")


# -- failures --------------------------------------------------------------------------------------

def test_a_bad_input_goes_to_the_failure_location_with_a_clear_message(sws, tmp_path):
    ep = sws.deploy("churn:1", "churn")
    X, _ = sws._test_data
    path = tmp_path / "bad.csv"
    path.write_text(csv_of(X.head(3)) + "1.0,lots,2.0\n")
    smr = client(ep.url)
    r = smr.invoke_endpoint_async(EndpointName="churn", InputLocation=str(path), ContentType="text/csv")
    result = finished(sws, "churn", r["InferenceId"])
    assert result.status == "failed"
    message = open(r["FailureLocation"]).read()
    assert str(path) in message and "line 1" in message and "lots" in message, message
    assert result.error in message
    assert not os.path.exists(r["OutputLocation"])  # no half output

    r = smr.invoke_endpoint_async(EndpointName="churn", InputLocation=str(tmp_path / "missing.csv"))
    result = finished(sws, "churn", r["InferenceId"])
    assert result.status == "failed" and "missing.csv does not exist" in result.error


def test_a_request_past_its_ttl_fails_as_expired(sws, tmp_path):
    ep = sws.deploy("churn:1", "churn", async_concurrency=1)
    X, _ = sws._test_data
    blocker = Pipe(tmp_path / "slow.csv", csv_of(X.head(3)))
    path = tmp_path / "rows.csv"
    path.write_text(csv_of(X.head(3)))
    smr = client(ep.url, validate=False)
    try:
        first = smr.invoke_endpoint_async(EndpointName="churn", InputLocation=str(blocker.path))
        assert wait_until(lambda: sws.async_result("churn", first["InferenceId"]).status == "running")
        late = smr.invoke_endpoint_async(EndpointName="churn", InputLocation=str(path),
                                         RequestTTLSeconds=1)
        assert sws.async_result("churn", late["InferenceId"]).status == "pending"
        assert queue_depth(ep.url) == {"pending": 1, "running": 1}
        wait_until(lambda: False, timeout=1.5)   # the TTL passes while it waits
    finally:
        blocker.release()
    blocker.join()
    assert finished(sws, "churn", first["InferenceId"]).status == "succeeded"
    result = finished(sws, "churn", late["InferenceId"])
    assert result.status == "failed" and result.error.startswith("expired")
    assert "RequestTTLSeconds of 1 s" in open(late["FailureLocation"]).read()
    assert queue_depth(ep.url) == {"pending": 0, "running": 0}


def test_a_request_over_its_invocation_timeout_fails_between_chunks(sws, tmp_path):
    ep = sws.deploy("churn:1", "churn")
    X, _ = sws._test_data
    block = csv_of(X)
    first, rest = block * 200, block * 200            # about 2.5 MB each: chunks of 1 MB
    pipe = tmp_path / "trickle.csv"
    os.mkfifo(pipe)

    def trickle():
        try:
            with open(pipe, "w") as fh:
                fh.write(first)
                fh.flush()
                wait_until(lambda: False, timeout=1.5)   # the timeout passes mid-input
                fh.write(rest)
        except BrokenPipeError:   # the endpoint stopped reading: what this test expects
            pass

    writer = threading.Thread(target=trickle, daemon=True)
    writer.start()
    r = client(ep.url).invoke_endpoint_async(EndpointName="churn", InputLocation=str(pipe),
                                             InvocationTimeoutSeconds=1)
    writer.join(timeout=60)
    result = finished(sws, "churn", r["InferenceId"])
    assert result.status == "failed" and result.error.startswith("timed out")
    assert "InvocationTimeoutSeconds of 1 s" in open(r["FailureLocation"]).read()
    assert not os.path.exists(r["OutputLocation"])


# -- durability ------------------------------------------------------------------------------------

def test_queued_requests_survive_a_kill_9_and_run_after_the_restart(sws, tmp_path):
    ep = sws.deploy("churn:1", "churn", async_concurrency=1)
    X, _ = sws._test_data
    blocker = Pipe(tmp_path / "slow.csv", csv_of(X.head(4)))
    smr = client(ep.url)
    first = smr.invoke_endpoint_async(EndpointName="churn", InputLocation=str(blocker.path))
    assert wait_until(lambda: sws.async_result("churn", first["InferenceId"]).status == "running")
    ids = []
    for i in range(3):
        path = tmp_path / f"rows{i}.csv"
        path.write_text(csv_of(X.iloc[i * 10:(i + 1) * 10]))
        ids.append(smr.invoke_endpoint_async(EndpointName="churn", InputLocation=str(path))["InferenceId"])
    assert sws.endpoints().set_index("name").loc["churn", "async_queue"] == 4
    os.kill(ep.pid, signal.SIGKILL)
    assert wait_dead(ep.pid)
    assert all(sws.async_result("churn", i).status == "pending" for i in ids)
    assert sws.endpoints(all=True).set_index("name").loc["churn", "async_queue"] == 4

    # a new process with two at a time: the held request is queued again, the others pass it
    sws.deploy("churn:1", "churn", async_concurrency=2)
    for n, i in enumerate(ids):
        result = finished(sws, "churn", i)
        assert result.status == "succeeded"
        expected = sws.load("churn:1").predict(X.iloc[n * 10:(n + 1) * 10]).tolist()
        assert [int(v) for v in open(result.output_location).read().split()] == expected
    assert sws.async_result("churn", first["InferenceId"]).status == "running"
    blocker.release()
    blocker.join()
    result = finished(sws, "churn", first["InferenceId"])
    assert result.status == "succeeded" and result.attempts == 2


def test_a_stop_mid_request_leaves_it_to_run_after_the_next_start(sws, tmp_path):
    ep = sws.deploy("churn:1", "churn")
    X, _ = sws._test_data
    blocker = Pipe(tmp_path / "slow.csv", csv_of(X.head(4)))
    r = client(ep.url).invoke_endpoint_async(EndpointName="churn", InputLocation=str(blocker.path))
    assert wait_until(lambda: sws.async_result("churn", r["InferenceId"]).status == "running")
    sws.stop("churn")
    assert sws.endpoints(all=True).set_index("name").loc["churn", "status"] == "stopped"
    assert sws.endpoint("churn").status_reason.endswith("(endpoint, SIGTERM)")  # drained, no SIGKILL
    sws.deploy("churn:1", "churn")
    blocker.release()
    blocker.join()
    result = finished(sws, "churn", r["InferenceId"])
    assert result.status == "succeeded" and result.attempts == 2


# -- notifications ---------------------------------------------------------------------------------

class Webhook:
    """A real HTTP server on 127.0.0.1 that keeps what is POSTed to it."""

    def __init__(self):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_success_and_error_notifications_are_posted_to_webhooks(sws, tmp_path):
    hook = Webhook()
    try:
        ep = sws.deploy("churn:1", "churn", async_notify={"success": hook.url + "/ok",
                                                          "error": hook.url + "/failed"})
        X, _ = sws._test_data
        good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
        good.write_text(csv_of(X.head(3)))
        bad.write_text("not,a,number\n")
        smr = client(ep.url)
        ok = smr.invoke_endpoint_async(EndpointName="churn", InputLocation=str(good),
                                       ContentType="text/csv", InferenceId="note-ok")
        smr.invoke_endpoint_async(EndpointName="churn", InputLocation=str(bad), InferenceId="note-bad")
        assert wait_until(lambda: len(hook.received) == 2)
    finally:
        hook.close()
    by_path = dict(hook.received)
    success, error = by_path["/ok"], by_path["/failed"]
    assert success["invocationStatus"] == "Completed" and success["inferenceId"] == "note-ok"
    assert success["responseParameters"] == {"contentType": "text/csv",
                                             "outputLocation": ok["OutputLocation"]}
    assert success["requestParameters"] == {"endpointName": "churn", "inputLocation": str(good),
                                            "contentType": "text/csv"}
    assert success["eventName"] == "InferenceResult" and success["eventSource"] == "aws:sagemaker"
    assert {"awsRegion", "eventTime", "receivedTime", "eventVersion"} <= set(success)
    assert error["invocationStatus"] == "Failed" and error["inferenceId"] == "note-bad"
    assert "number" in error["failureReason"] or "not" in error["failureReason"]


# -- any fsspec URL: s3:// on moto's server ----------------------------------------------------------

@pytest.fixture
def moto_s3(monkeypatch):
    pytest.importorskip("moto")
    pytest.importorskip("s3fs")
    from conftest import moto_server

    with moto_server() as url:
        # the endpoint process inherits these: s3fs (through botocore) reads them
        for k, v in {"AWS_ENDPOINT_URL_S3": url, "AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "x",
                     "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}.items():
            monkeypatch.setenv(k, v)
        boto3.client("s3", endpoint_url=url).create_bucket(Bucket="requests")
        yield url


@pytest.mark.s3
def test_input_and_output_on_s3(moto_s3, sws):
    s3 = boto3.client("s3", endpoint_url=moto_s3)
    X, _ = sws._test_data
    s3.put_object(Bucket="requests", Key="in/rows.csv", Body=csv_of(X.head(20)).encode())
    ep = sws.deploy("churn:1", "churn", async_output="s3://requests/out")
    r = client(ep.url).invoke_endpoint_async(EndpointName="churn",
                                             InputLocation="s3://requests/in/rows.csv")
    assert r["OutputLocation"] == f"s3://requests/out/{r['InferenceId']}.out"
    assert finished(sws, "churn", r["InferenceId"]).status == "succeeded"
    body = s3.get_object(Bucket="requests", Key=f"out/{r['InferenceId']}.out")["Body"].read()
    assert [int(v) for v in body.split()] == sws.load("churn:1").predict(X.head(20)).tolist()


# -- bounded memory --------------------------------------------------------------------------------

def test_a_large_input_is_streamed_with_bounded_memory(sws, tmp_path):
    """An input of about 80 MB: the endpoint grows by far less than the input (chunks of 1 MB
    are parsed, predicted and written one at a time)."""
    import psutil

    ep = sws.deploy("churn:1", "churn")
    X, _ = sws._test_data
    block = csv_of(X)                      # 300 rows
    path = tmp_path / "large.csv"
    with open(path, "w") as fh:
        for _ in range(10_000):            # 3,000,000 rows
            fh.write(block)
    size = path.stat().st_size
    proc = psutil.Process(ep.pid)
    before = proc.memory_info().rss
    peak = [before]
    r = client(ep.url).invoke_endpoint_async(EndpointName="churn", InputLocation=str(path),
                                             ContentType="text/csv")

    def done() -> bool:
        peak[0] = max(peak[0], proc.memory_info().rss)
        return sws.async_result("churn", r["InferenceId"]).done

    assert wait_until(done, timeout=300, every=0.02)
    result = sws.async_result("churn", r["InferenceId"])
    assert result.status == "succeeded" and result.rows == 3_000_000
    assert peak[0] - before < size / 2, (size, before, peak[0])
    expected = sws.load("churn:1").predict(X).tolist()
    with open(r["OutputLocation"]) as fh:
        head = [int(next(fh)) for _ in range(600)]
    assert head == expected * 2


def test_with_two_workers_every_accepted_request_is_processed(sws, tmp_path):
    """Any worker accepts (connections spread over both); the first works through the queue."""
    ep = sws.deploy("churn:1", "churn", workers=2)
    X, _ = sws._test_data
    path = tmp_path / "rows.csv"
    path.write_text(csv_of(X.head(7)))
    ids = []
    for _ in range(4):   # a new client each time: a new connection, either worker
        smr = client(ep.url)
        ids += [smr.invoke_endpoint_async(EndpointName="churn", InputLocation=str(path))["InferenceId"]
                for _ in range(5)]
    assert len(set(ids)) == 20
    expected = sws.load("churn:1").predict(X.head(7)).tolist()
    for i in ids:
        result = finished(sws, "churn", i)
        assert result.status == "succeeded"
        assert [int(v) for v in open(result.output_location).read().split()] == expected


def test_a_token_endpoint_takes_async_requests_signed_with_the_token(sws, tmp_path):
    ep = sws.deploy("churn:1", "locked", token="s3cret-token")
    X, _ = sws._test_data
    path = tmp_path / "rows.csv"
    path.write_text(csv_of(X.head(2)))

    def signed(secret):
        return boto3.client("sagemaker-runtime", endpoint_url=ep.url, region_name="us-east-1",
                            aws_access_key_id="me", aws_secret_access_key=secret,
                            config=Config(retries={"total_max_attempts": 1}))

    r = signed("s3cret-token").invoke_endpoint_async(EndpointName="locked", InputLocation=str(path))
    assert finished(sws, "locked", r["InferenceId"]).status == "succeeded"
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as e:
        signed("wrong").invoke_endpoint_async(EndpointName="locked", InputLocation=str(path))
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
