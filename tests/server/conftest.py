"""A real Jupyter server with the extension enabled, on 127.0.0.1 with a token, serving a
workspace in its root folder that holds registered models, a running endpoint with captured
traffic, a monitoring schedule with a report, and a slow plug-in job (for "run now" conflicts).
Started and stopped by pid by the fixture; every response a test reads is checked not to be a 500.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import free_port, stop_process

REPO = Path(__file__).resolve().parents[2]
SAMPLE_KINDS = REPO / "tests" / "scheduler" / "sample_kinds.py"
TOKEN = "test-token-7c1e"


class Api:
    """httpx on the API's prefix; ``auth=False`` sends no token. Every answer is checked: the API
    never answers 500, whatever it is sent."""

    def __init__(self, base: str, token: str = TOKEN):
        self.base, self.token = base, token
        self.prefix = f"{base}/jupyter-mlops/api/"
        self.client = httpx.Client(timeout=120)

    def request(self, method: str, path: str, auth: bool = True, **kw) -> httpx.Response:
        headers = dict(kw.pop("headers", {}) or {})
        if auth:
            headers["Authorization"] = f"token {self.token}"
        # without the token: a fresh client, since the shared one keeps the login cookie the
        # server sets on token-authenticated requests
        client = self.client if auth else httpx.Client(timeout=120)
        r = client.request(method, self.prefix + path, headers=headers, **kw)
        assert r.status_code < 500, (method, path, r.status_code, r.text[:500])
        if r.status_code >= 400 and r.status_code != 403:
            assert set(r.json()["error"]) == {"type", "message"}, r.text
        return r

    def get(self, path: str, **kw) -> httpx.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, body=None, **kw) -> httpx.Response:
        if body is not None and "content" not in kw:
            kw["json"] = body
        return self.request("POST", path, **kw)


def _plugin_site(folder: Path) -> Path:
    """The scheduler tests' ``sleep`` job kind, installed as a plugin would be (an entry point)."""
    site = folder / "site"
    site.mkdir()
    shutil.copy(SAMPLE_KINDS, site / "mlops_test_kinds.py")
    info = site / "mlops_test_kinds-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: mlops-test-kinds\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[jupyter_mlops.job_kinds]\nsleep = mlops_test_kinds:sleep_job\n")
    return site


def _send(url: str, frame) -> None:
    httpx.post(f"{url}/invocations", json={"instances": frame.to_numpy().tolist()}, timeout=30).raise_for_status()


def start_server(root: Path, folder: Path, extra_path: list[str] = (), env: dict | None = None,
                 server_config: dict | None = None):
    """``python -m jupyter_server`` on a free port with the extension enabled by a config file in
    a private JUPYTER_CONFIG_DIR; returns (process, base URL) once it answers."""
    config = folder / "config"
    config.mkdir(exist_ok=True)
    (config / "jupyter_server_config.json").write_text(
        # JupyterLab too, named here rather than found in the environment's config: its /lab page
        # is what sets a browser's _xsrf cookie in the XSRF test, in a venv as in the base Python
        json.dumps({"ServerApp": {"jpserver_extensions": {"jupyter_mlops": True, "jupyterlab": True},
                                  **(server_config or {})}}))
    port = free_port()
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_") or k == "MLOPS_KEY_DIR"}
    child_env.update({
        "PYTHONPATH": os.pathsep.join([str(REPO), *extra_path]),
        "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_DATA_DIR": str(folder / "data"),
        "JUPYTER_RUNTIME_DIR": str(folder / "runtime"), "JUPYTER_PLATFORM_DIRS": "1",
        **(env or {})})
    log = open(folder / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}", "--allow-root",
         f"--ServerApp.root_dir={root}"], env=child_env, stdout=log, stderr=subprocess.STDOUT, cwd=folder)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter_server exited ({proc.returncode}):\n{(folder / 'server.log').read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/api/status", headers={"Authorization": f"token {TOKEN}"}, timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_process(proc, timeout=20)
    raise TimeoutError("jupyter_server did not answer within 90 s")


@pytest.fixture(scope="session")
def world(tmp_path_factory, numeric_data, clf):
    """(api, workspace, root): the server and, in this process, the same workspace to check
    what each action changed."""
    from jupyter_mlops import Workspace

    folder = tmp_path_factory.mktemp("jupyter")
    root = folder / "root"
    root.mkdir()
    site = _plugin_site(folder)
    sys.path.insert(0, str(site))
    saved_home = os.environ.pop("MLOPS_HOME", None)
    ws = Workspace(root / ".mlops")
    X, y = numeric_data
    proc = endpoint = None
    try:
        ws.register(clf, "churn", data=X, target=y, metrics={"auc": 0.8})
        ws.register(clf, "churn", metrics={"auc": 0.82})
        for name in ("fraud", "ranker", "spare"):
            ws.register(clf, name)
        endpoint = ws.deploy("churn:1", "churn", capture=100)
        _send(endpoint.url, X.iloc[:150])
        deadline = time.monotonic() + 30
        while len(ws.captured("churn")) < 150 and time.monotonic() < deadline:
            time.sleep(0.1)
        ws.monitor("churn", every="1d", since="1h")
        ws.run_now("monitor-churn")
        ws.scheduler.add("sleep", "nap", every="1d", options={"seconds": 4})
        proc, base = start_server(root, folder, extra_path=[str(site)])
        yield Api(base), ws, root
    finally:
        if proc is not None:
            stop_process(proc, timeout=20)
        try:
            for name in ws._serving.records.names():
                try:
                    ws.stop(name)
                except Exception:  # noqa: BLE001 - stopped already (a test stops one)
                    pass
        finally:
            from jupyter_mlops._core.serving.control import processes as process

            if endpoint is not None and endpoint.pid and process.is_endpoint_process(endpoint.pid):
                process.stop_pid(endpoint.pid, timeout=15)
            ws.store.dispose()
            sys.path.remove(str(site))
            if saved_home is not None:
                os.environ["MLOPS_HOME"] = saved_home


@pytest.fixture
def api(world):
    return world[0]
