"""Guardrails count only what the model is responsible for: input no model can take is the
client's 4xx naming the row and column (never a model error), and a bake counts a failing model
from its very first request."""

from __future__ import annotations

import time

import boto3
import httpx
import numpy as np
import pandas as pd
import pytest
from botocore.config import Config

from jupyter_mlops._core.serving.contract import ConfigFile, RolloutStatus
from jupyter_mlops._core.serving.endpoint.controller import Controller
from jupyter_mlops._core.serving.endpoint.runtime import Runtime

from .endpoints import new_config, variant_spec, wait_until as _wait, write_config

FAILING_ROW = "5,70,150"   # valid input on which churn:3 (conftest.FlakyModel) raises


def _smr(url):
    return boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": 1}))


def _counts(ws, endpoint, variant):
    stats = {"errors": 0, "client_errors": 0, "requests": 0}
    for report in ws._serving._reports(endpoint):
        for key in stats:
            stats[key] += report["variants"].get(variant, {}).get(key, 0)
    return stats


def test_values_no_model_can_take_are_a_4xx_naming_row_and_column(sws):
    ep = sws.deploy("churn:1", "finite")
    refused = {  # body -> what the answer must name
        "5,70,2\nnan,70,2": "Row 2, column 'tenure' is missing",
        "5,inf,2": "Row 1, column 'monthly' is inf",
        "5,-inf,2": "Row 1, column 'monthly' is -inf",
        "5,70,1e400": "Row 1, column 'support_calls' is inf",
        "5,,2": "Row 1, column 'monthly' is missing",
    }
    with httpx.Client(base_url=ep.url) as c:
        for body, named in refused.items():
            r = c.post("/invocations", content=body, headers={"content-type": "text/csv"})
            assert r.status_code == 400, (body, r.status_code, r.text)
            assert named in r.json()["message"], (body, r.text)
        r = c.post("/invocations", json={"instances": [[5, 70, 2], [5, None, 2]]})
        assert r.status_code == 400 and "Row 2, column 'monthly' is missing" in r.text
        r = c.post("/invocations", json={"dataframe_records": [{"tenure": 5, "monthly": "Infinity",
                                                                "support_calls": 2}]})
        assert r.status_code == 400 and "column 'monthly' is inf" in r.text
    with pytest.raises(_smr(ep.url).exceptions.ModelError) as e:  # AWS wraps a container's 4xx
        _smr(ep.url).invoke_endpoint(EndpointName="finite", Body="nan,70,2", ContentType="text/csv")
    assert e.value.response["OriginalStatusCode"] == 400
    assert "Row 1, column 'tenure' is missing" in e.value.response["OriginalMessage"]
    assert _wait(lambda: _counts(sws, "finite", "churn-v1")["client_errors"] == 8)
    assert _counts(sws, "finite", "churn-v1")["errors"] == 0


def test_a_model_that_takes_missing_values_gets_them_but_never_infinities(sws):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X, y = sws._test_data
    # the estimator tag says allow_nan; the Pipeline's tag does not, its imputer takes NaN
    sws.register(HistGradientBoostingClassifier(max_iter=20).fit(X, y), "gbm", data=X, target=y)
    sws.register(make_pipeline(SimpleImputer(), LogisticRegression()).fit(X, y), "imputed",
                 data=X, target=y)
    for ref, name in (("gbm:1", "gbm"), ("imputed:1", "imputed")):
        ep = sws.deploy(ref, name)
        expected = sws.load(ref).predict(pd.DataFrame([[5, np.nan, 2]], columns=X.columns))
        r = httpx.post(f"{ep.url}/invocations", content="5,,2", headers={"content-type": "text/csv"})
        assert r.status_code == 200, r.text
        assert r.json()["predictions"] == expected.tolist()
        r = httpx.post(f"{ep.url}/invocations", content="5,70,1e400",
                       headers={"content-type": "text/csv"})
        assert r.status_code == 400 and "column 'support_calls' is inf" in r.text
        assert sws._serving._reports(name)[0]["accepts_missing"] == {f"{name}-v1": True}


def test_malformed_input_aimed_at_a_canary_cannot_roll_it_back(sws):
    """The fault probe's attack: rows of NaN (and infinities) sent at the canary by TargetVariant,
    with a max_error_rate guardrail, through boto3 and plain HTTP."""
    ws = sws
    ws.deploy("churn:1", "attacked")
    ep = ws.deploy("churn:2", "attacked", strategy="canary", percent=10, bake=4,
                   guardrails={"max_error_rate": 0.05, "min_requests": 10})
    smr = _smr(ep.url)
    nan_rows = "\n".join(["nan,70,2"] * 30)
    for _ in range(20):
        with pytest.raises(smr.exceptions.ModelError) as e:
            smr.invoke_endpoint(EndpointName="attacked", Body=nan_rows, ContentType="text/csv",
                                TargetVariant="churn-v2")
        assert e.value.response["OriginalStatusCode"] == 400
    with httpx.Client(base_url=ep.url) as c:
        for body in ["nan,70,2"] * 10 + ["5,inf,2"] * 10 + ["5,1e400,2"] * 10:
            r = c.post("/invocations", content=body,
                       headers={"content-type": "text/csv",
                                "x-amzn-sagemaker-target-variant": "churn-v2"})
            assert r.status_code == 400, r.text
    assert _counts(ws, "attacked", "churn-v2")["errors"] == 0
    assert _wait(lambda: ws.endpoint("attacked").info().rollout["status"] != "baking", timeout=30)
    done = ws.endpoint("attacked").info()
    assert done.rollout["status"] == "completed", done.status_reason
    assert [(v["name"], v["weight"]) for v in done.variants] == [("churn-v2", 100.0)]


def test_a_canary_failing_from_its_first_request_is_rolled_back(sws):
    ws = sws
    ws.deploy("churn:1", "early")
    ep = ws.deploy("churn:3", "early", strategy="canary", percent=10, bake=120,
                   guardrails={"max_error_rate": 0.05, "min_requests": 10})
    with httpx.Client(base_url=ep.url) as c:  # the bake's first 12 requests, then nothing
        codes = [c.post("/invocations", content=FAILING_ROW,
                        headers={"content-type": "text/csv",
                                 "x-amzn-sagemaker-target-variant": "churn-v3"}).status_code
                 for _ in range(12)]
    assert codes == [500] * 12
    assert _wait(lambda: ws.endpoint("early").info().rollout["status"] == "rolled_back")
    assert "error rate 100.0% over 12 requests" in ws.endpoint("early").info().status_reason


def test_the_bake_counts_errors_made_before_the_controllers_first_look(tmp_path):
    """The controller's first tick comes up to 0.25 s after a worker applied the step: errors
    in between are the step's. Real runtime, real controller, counters moved as requests do."""
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(100, 3)), columns=["a", "b", "c"])
    y = (X.a > 0).astype(int)
    old = variant_spec(tmp_path / "art", LogisticRegression().fit(X, y), X, y, name="m-v1",
                       model_name="m", weight=90)
    new = variant_spec(tmp_path / "art", LogisticRegression(C=0.1).fit(X, y), X, y, name="m-v2",
                       model_name="m", version=2, weight=10)
    config = new_config("m", tmp_path)
    config.update(variants=[old, new], generation=1, rollout={
        "id": "r1", "strategy": "canary", "variant": "m-v2", "steps": [10.0, 100.0],
        "status": "baking", "started_at": time.time(), "step_started_at": time.time(),
        "bake": 120, "guardrails": {"max_error_rate": 0.05, "min_requests": 10}})
    config_file = tmp_path / "endpoints" / "m" / "config.json"
    write_config(config_file, config)
    runtime = Runtime(config_file)
    try:
        assert runtime.poll() and runtime.live.generation == 1
        for _ in range(12):  # the step's first requests, answered before any controller tick
            runtime.metrics.observe("m-v2", 0.001, 500)
        Controller(runtime).tick()
        rollout = ConfigFile(config_file).read().rollout
        assert rollout.status == RolloutStatus.ROLLED_BACK
        assert "error rate 100.0% over 12 requests" in rollout.reason
    finally:
        runtime.stop()


def test_errors_of_an_earlier_step_do_not_count_against_the_next():
    """Each worker's baseline moves with the step it applies: step 2 starts clean."""
    from jupyter_mlops._core.serving.metrics import since_step

    reports = [{"variants": {"c": {"requests": 30, "errors": 9, "client_errors": 0, "sum": 0.0,
                                   "hist": [30] + [0] * 27}},
                "step_baseline": {"step": ["r1", 1], "generation": 3,
                                  "variants": {"c": {"requests": 20, "errors": 9,
                                                     "client_errors": 0, "sum": 0.0,
                                                     "hist": [20] + [0] * 27}}}},
               {"variants": {"c": {"requests": 5, "errors": 5}},  # still on step 0: not counted
                "step_baseline": {"step": ["r1", 0], "generation": 2, "variants": {}}}]
    window = since_step(reports, ["r1", 1])["c"]
    assert (window["requests"], window["errors"]) == (10, 0)
    assert since_step(reports, ["r1", 0])["c"]["errors"] == 5
