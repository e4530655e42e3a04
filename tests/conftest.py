"""Fixtures shared by every test: an isolated workspace and a small fitted model."""

from __future__ import annotations

import os
import signal
import subprocess

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh workspace home; MLOPS_HOME points at it so child processes see it too."""
    h = tmp_path / ".mlops"
    monkeypatch.setenv("MLOPS_HOME", str(h))
    for var in ("MLOPS_DB_URL", "MLOPS_ARTIFACTS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return h


@pytest.fixture
def ws(home):
    from jupyter_mlops import Workspace

    w = Workspace(home)
    yield w
    if "store" in w.__dict__:
        w.store.dispose()


@pytest.fixture(scope="session")
def churn_data():
    rng = np.random.default_rng(7)
    n = 400
    X = pd.DataFrame({
        "tenure": rng.integers(0, 72, n).astype("int64"),
        "monthly": rng.normal(70, 20, n),
        "support_calls": rng.poisson(2, n).astype("int64"),
        "plan": pd.Categorical(rng.choice(["basic", "plus", "pro"], n)),
    })
    logit = -0.04 * X.tenure + 0.02 * X.monthly + 0.5 * X.support_calls - 1.5
    y = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype("int64"), name="churned")
    return X, y


@pytest.fixture(scope="session")
def numeric_data(churn_data):
    X, y = churn_data
    return X[["tenure", "monthly", "support_calls"]].astype("float64"), y


@pytest.fixture(scope="session")
def clf(numeric_data):
    from sklearn.linear_model import LogisticRegression

    X, y = numeric_data
    return LogisticRegression(max_iter=500).fit(X, y)


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Stop a process a test started, by its pid: SIGTERM, then SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout)
    except ProcessLookupError:
        pass


def start_ipython():
    """The test session's IPython shell. IPython's globalipapp hands its shell out only once per
    process (later calls return None), so every test module gets it here."""
    from IPython import get_ipython
    from IPython.testing.globalipapp import start_ipython as start

    return start() or get_ipython()
