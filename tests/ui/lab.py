"""A real ``jupyter lab`` for browser tests and benchmarks: started on 127.0.0.1 with a token in a
temporary root, the jupyter_mlops server extension enabled and this checkout's built lab extension
found through a temporary JUPYTER_PATH (so it works from a checkout, wheel installed or not);
stopped by pid. Also the Chromium that Playwright drives: Debian's, never a downloaded one."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
BUILT = REPO / "jupyter_mlops" / "labextension"
TOKEN = "mlops-ui-test-token"
CHROMIUM = os.environ.get("MLOPS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
# the lab extension's plugins whose pop-ups would cover the page in a fresh profile
DISABLED = {"@jupyterlab/apputils-extension:announcements": True}


def built() -> bool:
    return (BUILT / "static" / "style.js").exists() and (BUILT / "package.json").exists()


def build_labextension() -> None:
    """``jlpm install && jlpm build:prod`` in labextension/ (what ``pip install`` runs)."""
    folder = REPO / "labextension"
    subprocess.run(["jlpm", "install"], cwd=folder, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["jlpm", "build:prod"], cwd=folder, check=True, stdout=subprocess.DEVNULL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Lab:
    """A running JupyterLab: its root folder (holding the workspace's ``.mlops``), URL and token."""

    root: Path
    port: int
    proc: subprocess.Popen
    log: Path
    folders: list[Path] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "lab") -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base}/{path}{sep}token={TOKEN}"

    def api(self, route: str, **kwargs) -> httpx.Response:
        """GET a route of the REST API with the token (the browser's view of the same data)."""
        return httpx.get(f"{self.base}/jupyter-mlops/api/{route}",
                         headers={"Authorization": f"token {TOKEN}"}, timeout=30, **kwargs)

    def put_notebook(self, path: str, sources: list[str]) -> None:
        cells = [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None}
                 for s in sources]
        content = {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
                   "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                               "language": "python"}}}
        httpx.put(f"{self.base}/api/contents/{path}", headers={"Authorization": f"token {TOKEN}"},
                  json={"type": "notebook", "format": "json", "content": content}, timeout=30).raise_for_status()

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 20) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        for folder in self.folders:
            shutil.rmtree(folder, ignore_errors=True)


def start_lab(root: Path, env: dict | None = None, timeout: float = 90) -> Lab:
    """``jupyter lab`` serving ``root``: its own config, data and runtime folders (so no setting
    of the developer's leaks in), the server extension enabled, ``labextensions/jupyter-mlops``
    linked to the build output of this checkout."""
    if not built():
        raise RuntimeError(f"the lab extension is not built ({BUILT}): cd labextension && jlpm install && jlpm build:prod")
    scratch = Path(tempfile.mkdtemp(prefix="mlops-lab-"))
    config, data, runtime = scratch / "config", scratch / "data", scratch / "runtime"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(json.dumps({"disabledExtensions": DISABLED}))
    (config / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {"jupyter_mlops": True}}}))
    (data / "labextensions").mkdir(parents=True)
    (data / "labextensions" / "jupyter-mlops").symlink_to(BUILT, target_is_directory=True)
    runtime.mkdir()
    port = free_port()
    child = {**os.environ, **(env or {}),
             "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_PATH": str(data), "JUPYTER_RUNTIME_DIR": str(runtime),
             "IPYTHONDIR": str(scratch / "ipython"), "MLOPS_HOME": str(root / ".mlops"),
             # the kernels and the server import jupyter_mlops from this checkout
             "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    child.pop("JUPYTER_PREFER_ENV_PATH", None)
    log = scratch / "lab.log"
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--IdentityProvider.token={TOKEN}",
           "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}",
           "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--LabApp.expose_app_in_browser=True"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=child, stdout=out, stderr=subprocess.STDOUT)
    lab = Lab(root, port, proc, log, [scratch])
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            tail = lab.log_tail()
            lab.stop()
            raise RuntimeError(f"jupyter lab exited with status {proc.returncode}:\n{tail}")
        try:
            if httpx.get(f"{lab.base}/api/status", headers={"Authorization": f"token {TOKEN}"}, timeout=2).status_code == 200:
                return lab
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            tail = lab.log_tail()
            lab.stop()
            raise TimeoutError(f"jupyter lab did not answer within {timeout} s:\n{tail}")
        time.sleep(0.2)


def launch_chromium(playwright, width: int = 1280, height: int = 800):
    """Debian's Chromium in a fresh temporary profile (Playwright's own browsers are not used)."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
