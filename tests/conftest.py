"""Fixtures shared by every test: an isolated workspace and a small fitted model."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import numpy as np
import pandas as pd
import pytest

# Signing keys and the keyring live outside every workspace (in the user's config folder); the
# tests keep theirs apart from the developer's, and every process they start inherits this.
os.environ["MLOPS_KEY_DIR"] = tempfile.mkdtemp(prefix="mlops-test-keys-")


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
    process (later calls return None), so every test gets it here."""
    from IPython import get_ipython
    from IPython.testing.globalipapp import start_ipython as start

    return start() or get_ipython()


@pytest.fixture(scope="session")
def shell():
    """A real IPython shell with ``%load_ext jupyter_mlops`` done."""
    ip = start_ipython()
    ip.run_line_magic("load_ext", "jupyter_mlops")
    return ip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode} before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@contextlib.contextmanager
def moto_server():
    """moto's S3 server on a free loopback port, stopped by its pid on leaving; yields its URL."""
    import sys

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server on 127.0.0.1 for the whole test session (Debian's postgresql)."""
    initdb, postgres = _pg_bin("initdb"), _pg_bin("postgres")
    if not initdb or not postgres:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; .ci/run does it)")
    root = tempfile.mkdtemp(prefix="mlops-pg-")
    as_user = {}
    if os.geteuid() == 0:  # postgres refuses to run as root
        shutil.chown(root, "postgres", "postgres")
        as_user = {"user": "postgres", "group": "postgres"}
    data = os.path.join(root, "data")
    subprocess.run([initdb, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"], check=True,
                   capture_output=True, **as_user)
    port = free_port()
    proc = subprocess.Popen([postgres, "-D", data, "-p", str(port), "-k", root, "-c", "listen_addresses=127.0.0.1",
                             "-c", "fsync=off"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **as_user)
    try:
        wait_for_port(port, proc)
        time.sleep(0.3)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        stop_process(proc, timeout=30)
        shutil.rmtree(root, ignore_errors=True)
