"""Fixtures for the serving tests: a workspace with registered models, and endpoints that are
always stopped by pid when the test (or module) ends."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from jupyter_mlops import Workspace
from jupyter_mlops._core.serving.control import processes as process

from .endpoints import start_endpoint, variant_spec

FEATURES = ["tenure", "monthly", "support_calls"]


class FlakyModel:
    """Predicts like the wrapped model but raises for rows with support_calls >= 100: its smoke
    test passes, live traffic with such rows fails (for guardrail tests)."""

    def __init__(self, inner):
        self.inner = inner

    def predict(self, X):
        arr = np.asarray(X, dtype=float)
        if (arr[:, 2] >= 100).any():
            raise RuntimeError("flaky model: support_calls out of range")
        return self.inner.predict(X)


class BrokenModel:
    """Loads fine, fails every prediction: a deploy must refuse it at the smoke test."""

    def predict(self, X):
        raise ValueError("this model is broken")


def _stop_all(ws: Workspace) -> None:
    from sqlalchemy import select

    from jupyter_mlops._core.store import orm

    with ws.store.read() as s:
        rows = [(r.name, r.pid) for r in s.execute(select(orm.Endpoint)).scalars()]
    for name, pid in rows:
        if pid and process.is_endpoint_process(pid):
            server = ws._serving._server_info(name)
            process.stop_pid(pid, timeout=15, extra_pids=server.get("worker_pids") or [])


def make_workspace(home) -> Workspace:
    import cloudpickle
    from sklearn.linear_model import LogisticRegression

    this = sys.modules[__name__]

    rng = np.random.default_rng(3)
    n = 300
    X = pd.DataFrame({"tenure": rng.integers(0, 72, n).astype(float),
                      "monthly": rng.normal(70, 20, n),
                      "support_calls": rng.poisson(2, n).astype(float)})
    y = pd.Series(((X.support_calls * 0.8 - X.tenure * 0.05 + rng.normal(0, 1, n)) > 0)
                  .astype(int), name="churned")
    ws = Workspace(home)
    m1 = LogisticRegression(max_iter=500).fit(X, y)
    m2 = LogisticRegression(C=0.05, max_iter=500).fit(X, y)
    ws.register(m1, "churn", data=X, target=y)
    ws.register(m2, "churn", data=X, target=y)
    cloudpickle.register_pickle_by_value(this)
    try:
        ws.register(FlakyModel(m2), "churn", data=X, target=y)       # churn:3
        ws.register(BrokenModel(), "broken", data=X, target=y)       # broken:1
    finally:
        cloudpickle.unregister_pickle_by_value(this)
    ws._test_data = (X, y)
    return ws


@pytest.fixture
def sws(tmp_path, monkeypatch):
    """A fresh workspace with churn:1, churn:2 (LogisticRegression), churn:3 (flaky) and
    broken:1; every endpoint it started is stopped by pid afterwards."""
    home = tmp_path / ".mlops"
    monkeypatch.setenv("MLOPS_HOME", str(home))
    ws = make_workspace(home)
    yield ws
    _stop_all(ws)
    ws.store.dispose()


@pytest.fixture(scope="module")
def module_ws(tmp_path_factory):
    home = tmp_path_factory.mktemp("serving") / ".mlops"
    ws = make_workspace(home)
    yield ws
    _stop_all(ws)
    ws.store.dispose()


@pytest.fixture(scope="module")
def churn_endpoint(module_ws):
    """One endpoint shared by a module's protocol tests: churn-v1 (weight 100) and churn-v2
    (weight 0, reachable with TargetVariant), capture on."""
    module_ws.deploy("churn:1", "churn", capture=100)
    module_ws.deploy("churn:2", "churn", strategy="ab", percent=50)
    module_ws.traffic("churn", {"churn-v1": 100, "churn-v2": 0})
    return module_ws.endpoint("churn").info()


@pytest.fixture(scope="module")
def mixed_endpoint(tmp_path_factory):
    """An endpoint on a Pipeline with a categorical column (the DataFrame path), started from a
    config file directly (no workspace), stopped by pid at the end."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    home = tmp_path_factory.mktemp("mixed")
    rng = np.random.default_rng(5)
    n = 200
    X = pd.DataFrame({"tenure": rng.integers(0, 72, n).astype("int64"),
                      "plan": rng.choice(["basic", "plus", "pro"], n)})
    y = ((X.plan == "pro") | (X.tenure < 10)).astype(int)
    pipe = make_pipeline(ColumnTransformer([("cat", OneHotEncoder(), ["plan"])],
                                           remainder="passthrough"),
                         LogisticRegression(max_iter=500)).fit(X, y)
    spec = variant_spec(home / "art", pipe, X, y, name="plans-v1", model_name="plans")
    ep = start_endpoint(home, "plans", [spec])
    ep.model, ep.X = pipe, X
    yield ep
    ep.stop()


@pytest.fixture(scope="module")
def url(churn_endpoint):
    return churn_endpoint.url


@pytest.fixture(scope="module")
def expected(module_ws):
    """Two rows of the churn data and churn:1's predictions for them."""
    X, _ = module_ws._test_data
    return X.head(2), module_ws.load("churn:1").predict(X.head(2)).tolist()


@pytest.fixture
def labels_endpoint(tmp_path):
    """An endpoint on a classifier with text labels ("low", "high"), model "levels", stopped by
    pid at the end."""
    from sklearn.tree import DecisionTreeClassifier

    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0] * 10, "b": [1.0, 0.0, 1.0, 0.0] * 10})
    y = pd.Series(["low", "low", "high", "high"] * 10, name="level")
    model = DecisionTreeClassifier(random_state=0).fit(X, y)
    ep = start_endpoint(tmp_path, "labels", [variant_spec(tmp_path / "art", model, X, y,
                                                          name="levels-v1", model_name="levels")])
    ep.model, ep.X = model, X
    yield ep
    ep.stop()
