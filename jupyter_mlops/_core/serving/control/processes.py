"""Endpoint processes seen from the kernel: start detached, wait until healthy, tell live from
dead (a zombie or a reused pid is not "running"), stop by pid with a drain period."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ...errors import DeployError
from ..contract import SERVER_MODULE

# Popen handles of endpoints this process started: polling them reaps the child and gives its
# exit status (a detached child that died is otherwise a zombie that looks alive).
_children: dict[int, subprocess.Popen] = {}


def log_tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def launch(config_file: Path, env: dict[str, str], port: int | None, timeout: float = 60.0
           ) -> dict[str, Any]:
    """Start the endpoint; returns server.json's content once ``/ping`` answers."""
    folder = config_file.parent
    log = folder / "log"
    (folder / "server.json").unlink(missing_ok=True)
    (folder / "exit.json").unlink(missing_ok=True)
    cmd = [sys.executable, "-m", SERVER_MODULE, "--config", str(config_file),
           "--port", str(port or 0)]
    with open(log, "ab") as fh:
        fh.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(cmd)}\n".encode())
        fh.flush()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env={**os.environ, **env}, start_new_session=True,
                                cwd=str(folder))
    _children[proc.pid] = proc
    deadline = time.time() + timeout
    server_file = folder / "server.json"
    while time.time() < deadline:
        code = proc.poll()
        if code is not None:
            raise DeployError(f"The endpoint process exited with status {code} while starting. "
                              f"Its log ({log}) ends with:\n{log_tail(log)}")
        if server_file.exists():
            try:
                info = json.loads(server_file.read_text())
            except json.JSONDecodeError:
                info = None
            if info and info.get("pid") == proc.pid and ping(info["url"]):
                return info
        time.sleep(0.02)
    stop_pid(proc.pid, timeout=5)
    raise DeployError(f"The endpoint did not answer /ping within {timeout:g} s. Its log ends "
                      f"with:\n{log_tail(log)}")


def ping(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url + "/ping", timeout=timeout) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def is_endpoint_process(pid: int | None, config_file: Path | None = None) -> bool:
    """True when ``pid`` is alive, not a zombie, and is our endpoint server (not a reused pid)."""
    if not pid:
        return False
    child = _children.get(pid)
    if child is not None and child.poll() is not None:
        return False
    try:
        import psutil

        p = psutil.Process(pid)
        if p.status() == psutil.STATUS_ZOMBIE:
            return False
        cmdline = p.cmdline()
    except Exception:
        return False
    if SERVER_MODULE not in cmdline:
        return False
    return config_file is None or str(config_file) in cmdline


def exit_status(pid: int | None) -> int | None:
    """The exit status of an endpoint this process started (None if unknown)."""
    child = _children.get(pid) if pid else None
    if child is None:
        return None
    try:  # it may be dying right now: give the kernel a moment to report its status
        return child.wait(timeout=1.0)
    except subprocess.TimeoutExpired:
        return None


def stop_pid(pid: int, timeout: float = 30.0, extra_pids: list[int] = ()) -> int | None:
    """SIGTERM to ``pid`` (the endpoint, or its supervisor which passes it on to the workers
    once: a second SIGTERM would make uvicorn skip the drain), then SIGKILL to whatever of
    ``pid`` and ``extra_pids`` is still alive after ``timeout``."""
    pids = [pid, *extra_pids]
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not any(_alive(p) for p in pids):
            break
        time.sleep(0.05)
    for p in pids:
        if _alive(p):
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
    child = _children.pop(pid, None)
    if child is not None:
        try:
            return child.wait(5)
        except subprocess.TimeoutExpired:
            return None
    return None


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        import psutil

        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except Exception:
        return False


def process_usage(pids: list[int]) -> dict[str, float]:
    """CPU percent (sampled briefly) and RSS summed over the endpoint's processes."""
    try:
        import psutil
    except ImportError:  # pragma: no cover
        return {}
    procs = []
    for pid in pids:
        try:
            p = psutil.Process(pid)
            p.cpu_percent(None)
            procs.append(p)
        except Exception:
            continue
    if not procs:
        return {}
    time.sleep(0.05)
    cpu = rss = 0.0
    for p in procs:
        try:
            cpu += p.cpu_percent(None)
            rss += p.memory_info().rss
        except Exception:
            continue
    return {"cpu_percent": cpu, "rss_mb": rss / 1024 / 1024}
