"""Data capture: SageMaker JSONL under capture/{endpoint}/{variant}/yyyy/mm/dd/hh/, sampling,
inferenceId, read back as a DataFrame."""

from __future__ import annotations

import datetime as dt
import json
import time

import boto3
import httpx
import pytest
from botocore.config import Config


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
