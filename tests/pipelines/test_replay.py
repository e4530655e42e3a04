"""Replay: a candidate run offline on the requests a real endpoint captured (sent with boto3), and
compared with what production answered. The candidate differs from production on a known part of
the input space (plan "pro" with monthly above 100, past the first 20 months of tenure), so where
its predictions changed is known row by row."""

from __future__ import annotations

import json
import sys

import boto3
import httpx
import numpy as np
import pandas as pd
import pytest
from botocore.config import Config

from jupyter_mlops import EndpointNotFound, InsufficientData, InvalidInput, ModelNotFound, Workspace
from jupyter_mlops._core.errors import ModelError
from jupyter_mlops._core.pipelines.gate import parse_gate
from jupyter_mlops._core.serving.control import processes

ENDPOINT = "plans"
FEATURES = ["tenure", "monthly", "plan"]
REQUESTS, ROWS_EACH = 60, 5


class Rule:
    """Churns in the first 20 months; the candidate also churns "pro" customers paying over 100."""

    def __init__(self, candidate: bool, needs: str | None = None, raises: bool = False):
        self.candidate, self.needs, self.raises = candidate, needs, raises

    def predict(self, X):
        if self.raises:
            raise ValueError("this candidate cannot score plan 'pro'")
        churn = X["tenure"].astype(float) < 20
        if self.candidate:
            churn |= (X["plan"] == "pro") & (X["monthly"].astype(float) > 100)
        return churn.astype(int).to_numpy()


def changes(X: pd.DataFrame) -> pd.Series:
    return (X.tenure >= 20) & (X.plan == "pro") & (X.monthly > 100)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    """plans:1 (production, capturing), plans:2 (the candidate), plans:3 (needs a column nobody
    sends), plans:4 (raises); 60 requests of 5 rows sent with InferenceIds. Endpoints stopped by pid."""
    import cloudpickle

    rng = np.random.default_rng(11)
    n = REQUESTS * ROWS_EACH
    X = pd.DataFrame({"tenure": rng.integers(0, 72, n).astype(float), "monthly": rng.normal(80, 20, n),
                      "plan": rng.choice(["basic", "plus", "pro"], n)})
    w = Workspace(tmp_path_factory.mktemp("replay") / ".mlops")
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        w.register(Rule(False), "plans", data=X, metrics={"auc": 0.9})
        w.register(Rule(True), "plans", data=X, metrics={"auc": 0.91})
        w.register(Rule(True, needs="region"), "plans", data=X.assign(region="eu"))
        w.register(Rule(True, raises=True), "plans", data=X)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    w.promote("plans:1", "production")
    endpoint = w.deploy("plans:1", ENDPOINT, capture=100)
    try:
        smr = boto3.client("sagemaker-runtime", endpoint_url=endpoint.url, region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x",
                           config=Config(retries={"total_max_attempts": 1}))
        for i in range(REQUESTS):
            rows = X.iloc[i * ROWS_EACH:(i + 1) * ROWS_EACH]
            smr.invoke_endpoint(EndpointName=ENDPOINT, ContentType="application/json", InferenceId=f"r-{i}",
                                Body=json.dumps({"dataframe_records": rows.to_dict(orient="records")}))
        assert _captured(w) == n
        w._sent = X
        yield w
    finally:
        w.stop(ENDPOINT)
        if endpoint.pid and processes.is_endpoint_process(endpoint.pid):
            processes.stop_pid(endpoint.pid, timeout=15)
        w.store.dispose()


def _captured(w, at_least: int = REQUESTS * ROWS_EACH, variant: str = "plans-v1") -> int:
    from serving.endpoints import wait_until  # tests/serving's helper (tests/ is on sys.path)

    count = lambda: int((w.captured(ENDPOINT)["variant"] == variant).sum())  # noqa: E731
    wait_until(lambda: count() >= at_least)
    return count()


@pytest.fixture(scope="module")
def replayed(ws):
    return ws.replay("plans:2", ENDPOINT)


def test_agreement_and_changed_rows_are_counted_against_what_production_answered(ws, replayed):
    changed = int(changes(ws._sent).sum())
    assert 5 < changed < 100  # the candidate differs on part of the input space, not all of it
    assert (replayed.ref, replayed.endpoint, replayed.rows) == ("plans:2", ENDPOINT, REQUESTS * ROWS_EACH)
    assert replayed.changed_rows == changed
    assert replayed.agreement == pytest.approx(1 - changed / (REQUESTS * ROWS_EACH))
    assert replayed.production == {"plans-v1": "plans:1"} and replayed.requests == REQUESTS


def test_where_predictions_changed_is_said_per_feature_by_range_and_category(ws, replayed):
    by_feature = replayed.changes_by_feature
    assert set(by_feature) == set(FEATURES)
    plan = by_feature["plan"]
    assert plan["kind"] == "categorical"
    assert {c["category"]: c["changed"] for c in plan["categories"]} == {"pro": replayed.changed_rows, "basic": 0,
                                                                          "plus": 0}
    assert plan["where"].startswith(f"plan in {{pro}}: {replayed.changed_rows} of ")
    monthly = by_feature["monthly"]
    assert monthly["kind"] == "numeric" and sum(b["changed"] for b in monthly["bins"]) == replayed.changed_rows
    # every bin holding a changed row reaches above 100, where the candidate differs
    assert all(b["range"][1] > 100 for b in monthly["bins"] if b["changed"])
    low = float(monthly["where"].split(" ")[1].split("–")[0])
    assert low <= ws._sent.monthly[changes(ws._sent)].min()
    tenure = by_feature["tenure"]
    assert all(b["range"][1] >= 20 for b in tenure["bins"] if b["changed"])
    # the changes sit in the highest monthly values: more concentrated there than by plan
    assert list(by_feature)[0] == "monthly" and monthly["concentration"] > plan["concentration"] > 0


def test_the_candidates_latency_is_timed_per_captured_request(replayed):
    assert replayed.timed_requests == REQUESTS
    assert 0 < replayed.candidate_p50_ms <= replayed.candidate_p99_ms


def test_a_replay_is_a_result_that_shows_where_and_examples(ws, replayed):
    d = replayed.to_dict()
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    first = replayed.examples[0]
    assert set(first) == {*FEATURES, "production", "candidate"}
    assert first["plan"] == "pro" and first["production"] == 0 and first["candidate"] == 1
    page = replayed._repr_html_()
    assert "Where predictions changed" in page and "plan in {pro}" in page and "<svg" not in page
    lines = repr(replayed).splitlines()
    assert lines[0].startswith(f"<Replay plans:2 on {ENDPOINT}: plans:2 answers as production did on ")
    assert list(replayed.to_frame()["feature"]) == list(replayed.changes_by_feature)


def test_a_gate_reads_the_replay(ws, replayed):
    candidate = ws.get("plans:2")
    strict = parse_gate("auc >= production.auc and replay.agreement >= 0.99").evaluate(
        candidate, ws.registry, replay=replayed)
    assert not strict.passed and strict.values["replay.agreement"] == replayed.agreement
    loose = parse_gate("replay.agreement >= 0.5 and replay.changed_rows < 100 and replay.p99_ms < 10000")
    assert loose.evaluate(candidate, ws.registry, replay=replayed).passed


def test_production_replayed_on_its_own_traffic_agrees_everywhere(ws):
    same = ws.replay("plans@production", ENDPOINT, since="1h")
    assert (same.ref, same.agreement, same.changed_rows, same.examples) == ("plans:1", 1.0, 0, [])
    assert all(c["where"] == "" and c["concentration"] == 0 for c in same.changes_by_feature.values())


def test_a_shadows_answers_are_not_what_production_answered(ws):
    before = len(ws.captured(ENDPOINT))
    ws.deploy("plans:2", ENDPOINT, strategy="shadow", percent=100)
    try:
        X = ws._sent.head(ROWS_EACH)
        httpx.post(f"{ws.endpoint(ENDPOINT).url}/invocations",
                   json={"dataframe_records": X.to_dict(orient="records")}, timeout=30).raise_for_status()
        assert _captured(ws, ROWS_EACH, variant="plans-v2") == ROWS_EACH
        assert len(ws.captured(ENDPOINT)) == before + 2 * ROWS_EACH
        result = ws.replay("plans:2", ENDPOINT)
    finally:
        ws.rollback(ENDPOINT)
    assert result.rows == before + ROWS_EACH and result.production == {"plans-v1": "plans:1"}


def test_a_window_with_nothing_captured_says_so(ws):
    with pytest.raises(InsufficientData, match=f"Endpoint '{ENDPOINT}' captured no answered requests since "
                                               "2999-01-01: there is nothing to replay"):
        ws.replay("plans:2", ENDPOINT, since="2999-01-01")


def test_a_candidate_that_needs_a_column_nobody_sent_is_refused_naming_it(ws):
    with pytest.raises(InvalidInput, match=r"plans:3 takes column\(s\) region that the requests captured at "
                                           f"'{ENDPOINT}' do not have"):
        ws.replay("plans:3", ENDPOINT)


def test_a_candidate_that_raises_on_captured_requests_is_a_model_error_naming_it(ws):
    with pytest.raises(ModelError, match="plans:4 raised on requests captured at the endpoint: ValueError: "
                                         "this candidate cannot score"):
        ws.replay("plans:4", ENDPOINT)


def test_an_unknown_endpoint_or_version_is_named(ws):
    with pytest.raises(EndpointNotFound, match="plan"):
        ws.replay("plans:2", "plan")
    with pytest.raises(ModelNotFound, match="no version 9"):
        ws.replay("plans:9", ENDPOINT)
