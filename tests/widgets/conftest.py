"""Fixtures of the panel tests: a real workspace with two versions of ``churn`` in a temp folder,
and (module-wide) a real endpoint serving both, stopped by pid when the module ends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jupyter_mlops import Workspace
from jupyter_mlops._core.serving.control import processes


def _data():
    rng = np.random.default_rng(11)
    n = 200
    X = pd.DataFrame({"tenure": rng.integers(0, 72, n).astype(float), "monthly": rng.normal(70, 20, n)})
    y = pd.Series((X.tenure < 20).astype(int), name="churned")
    return X, y


def make_workspace(home) -> Workspace:
    from sklearn.linear_model import LogisticRegression

    X, y = _data()
    ws = Workspace(home)
    ws.register(LogisticRegression(max_iter=300).fit(X, y), "churn", data=X, target=y, metrics={"auc": 0.81})
    ws.register(LogisticRegression(C=0.1, max_iter=300).fit(X, y), "churn", data=X, target=y,
                metrics={"auc": 0.84})
    ws._test_rows, ws._test_data = X.head(3), X
    return ws


def stop_endpoints(ws: Workspace) -> None:
    """Stop, by pid, every endpoint process the workspace started (a test that stopped its
    endpoint through the panel leaves nothing to do here)."""
    from sqlalchemy import select

    from jupyter_mlops._core.store import orm

    with ws.store.read() as s:
        rows = [(r.name, r.pid) for r in s.execute(select(orm.Endpoint)).scalars()]
    for name, pid in rows:
        if pid and processes.is_endpoint_process(pid):
            server = ws._serving._server_info(name)
            processes.stop_pid(pid, timeout=15, extra_pids=server.get("worker_pids") or [])


@pytest.fixture
def rws(tmp_path, monkeypatch):
    """A fresh workspace with churn:1 and churn:2 (no endpoint)."""
    home = tmp_path / ".mlops"
    monkeypatch.setenv("MLOPS_HOME", str(home))
    ws = make_workspace(home)
    yield ws
    stop_endpoints(ws)
    ws.store.dispose()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A workspace whose endpoint ``churn`` serves churn-v1 and churn-v2 at 50/50."""
    home = tmp_path_factory.mktemp("panel") / ".mlops"
    ws = make_workspace(home)
    ws.deploy("churn:1", "churn")
    ws.deploy("churn:2", "churn", strategy="ab", percent=50)
    yield ws
    stop_endpoints(ws)
    ws.store.dispose()


def audit_actions(ws: Workspace, target: str | None = None) -> list[tuple[str, str]]:
    """(action, target) of every audit entry, oldest first."""
    frame = ws.audit(None)
    pairs = list(zip(frame["action"], frame["target"]))
    return [p for p in pairs if target is None or p[1] == target]
