"""Data capture: SageMaker JSONL under capture/{endpoint}/{variant}/yyyy/mm/dd/hh/, sampling,
inferenceId, read back as a DataFrame."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import time

import boto3
import httpx
import pytest
from botocore.config import Config

from jupyter_mlops._core.serving.endpoint.capture import MAX_RECORDS
from jupyter_mlops._core.serving.inference.capture_format import iter_records

from .endpoints import fire, wait_dead


def _wait(cond, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.1)
    return False


def test_capture_files_follow_the_sagemaker_layout_and_shape(sws):
    ep = sws.deploy("churn:1", "cap", capture=100)
    smr = boto3.client("sagemaker-runtime", endpoint_url=ep.url, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x",
                       config=Config(retries={"total_max_attempts": 1}))
    smr.invoke_endpoint(EndpointName="cap", Body="1,70,3\n2,80,4", ContentType="text/csv",
                        InferenceId="inf-1")
    httpx.post(f"{ep.url}/invocations", json={"instances": [[3, 90, 5]]})
    folder = sws.home / "capture" / "cap"
    assert _wait(lambda: len(list(folder.glob("churn-v1/*/*/*/*/*.jsonl"))) >= 1 and
                 sum(len(p.read_text().splitlines())
                     for p in folder.glob("churn-v1/*/*/*/*/*.jsonl")) == 2)
    path = next(folder.glob("churn-v1/*/*/*/*/*.jsonl"))
    now = dt.datetime.now(dt.timezone.utc)
    assert path.parent.relative_to(folder / "churn-v1").parts[0] == f"{now:%Y}"
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    first = lines[0]
    assert first["eventVersion"] == "0"
    inp, out = first["captureData"]["endpointInput"], first["captureData"]["endpointOutput"]
    assert inp == {"observedContentType": "text/csv", "mode": "INPUT",
                   "data": "1,70,3\n2,80,4", "encoding": "CSV"}
    assert out["mode"] == "OUTPUT" and out["encoding"] == "CSV"
    assert first["eventMetadata"]["inferenceId"] == "inf-1"
    assert "inferenceId" not in lines[1]["eventMetadata"]
    assert lines[1]["captureData"]["endpointInput"]["encoding"] == "JSON"

    df = sws.captured("cap")
    assert list(df.columns[:3]) == ["tenure", "monthly", "support_calls"]
    assert df[["tenure", "monthly", "support_calls"]].values.tolist() == \
        [[1, 70, 3], [2, 80, 4], [3, 90, 5]]
    expected = sws.load("churn:1").predict(df[["tenure", "monthly", "support_calls"]])
    assert df["prediction"].tolist() == expected.tolist()
    assert df["inference_id"].tolist()[:2] == ["inf-1", "inf-1"]
    assert set(df["variant"]) == {"churn-v1"}
    assert len(sws.captured("cap", since="1h")) == 3
    assert len(sws.captured("cap", since=dt.datetime.now(dt.timezone.utc)
                            + dt.timedelta(minutes=1))) == 0


def test_sampling_percentage_captures_about_that_share(sws):
    ep = sws.deploy("churn:1", "sampled", capture=25)
    with httpx.Client(base_url=ep.url) as c:
        for _ in range(400):
            c.post("/invocations", json={"instances": [[3, 90, 5]]})
    time.sleep(1.5)
    n = len(sws.captured("sampled"))
    # binomial(400, 0.25): mean 100, sd 8.7; 5 sd either side
    assert 55 < n < 145


def test_no_capture_by_default(sws):
    ep = sws.deploy("churn:1", "quiet")
    httpx.post(f"{ep.url}/invocations", json={"instances": [[3, 90, 5]]})
    time.sleep(1)
    assert len(sws.captured("quiet")) == 0
    with pytest.raises(Exception, match="since"):
        sws.captured("quiet", since="yesterday-ish")


def test_a_sigkill_under_full_speed_load_loses_no_more_than_the_stated_bound(sws):
    """Capture at 100%, requests as fast as one client sends them, SIGKILL in the middle: of the
    requests answered 200, at most MAX_RECORDS (plus the one being answered at that instant) are
    missing from the capture files (capture.py's bound)."""
    ep = sws.deploy("churn:1", "killed", capture=100)
    answered = fire(ep.url, b'{"instances": [[3, 90, 5]]}', 30_000, kill_pid=ep.pid,
                    kill_after=8_000)
    assert wait_dead(ep.pid)
    assert len(answered) >= 8_000
    on_disk = set(sws.captured("killed")["inference_id"])
    lost = answered - on_disk
    print(f"answered {len(answered)}, lost {len(lost)} (bound {MAX_RECORDS} + 1)")
    assert len(lost) <= MAX_RECORDS + 1


BURST = """
import sys, time
from jupyter_mlops._core.serving.endpoint.capture import CaptureWriter
writer = CaptureWriter(sys.argv[1], 0).start()
for i in range(int(sys.argv[2])):  # as an endpoint does once each answer is out
    writer.put("churn-v1", "text/csv", b"1,70,3", "text/csv", b"1", f"req-{i}")
print("answered", flush=True)
time.sleep(60)
"""


def test_a_burst_of_answers_is_on_disk_but_for_the_bound_when_the_writer_is_killed(tmp_path):
    """5,000 records put in a few milliseconds, then SIGKILL: whatever the writer thread's
    timing, all but at most MAX_RECORDS are on disk (the put that reaches the bound writes)."""
    script = tmp_path / "burst.py"
    script.write_text(BURST)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path / "capture"), "5000"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "answered"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    ids = {r["eventMetadata"]["inferenceId"] for _, r in iter_records(tmp_path / "capture")}
    assert len(ids) >= 5000 - MAX_RECORDS, f"{5000 - len(ids)} records lost"
