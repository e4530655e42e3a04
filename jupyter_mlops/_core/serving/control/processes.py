"""Endpoint processes seen from the kernel: start detached, wait until healthy, tell live from
dead (a zombie or a reused pid is not "running"), stop every process of an endpoint with a drain
period and say what was ended.

An endpoint is started with ``start_new_session=True``, so it leads a process group of its own
that its workers, and any process a model starts, belong to. Stopping signals that group (POSIX:
``kill(-pgid, sig)``), which reaches every process of the endpoint even when its supervisor is
already dead. The group is known to be the endpoint's when its leader is the endpoint process of
this config, or when the leader is gone and the group still has members: a pid is not handed out
again while a process group of that id exists (POSIX ``fork()``: "The child process ID also shall
not match any active process group ID")."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable

from ...errors import DeployError
from ...home import pythonpath_for_children
from ...trust import open_private
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
    with open_private(log) as fh:
        fh.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting: {' '.join(cmd)}\n".encode())
        fh.flush()
        child_env = {**os.environ, **env}
        # the endpoint runs this same jupyter_mlops (a checkout or worktree first), not whichever
        # one an editable install points at
        pythonpath = pythonpath_for_children(child_env.get("PYTHONPATH"))
        if pythonpath:
            child_env["PYTHONPATH"] = pythonpath
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=child_env, start_new_session=True, cwd=str(folder))
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


@dataclass(frozen=True)
class Ended:
    """One process of an endpoint that a stop dealt with."""

    pid: int
    #: "endpoint" (one process), "supervisor", "worker", or "process" (one the endpoint started)
    role: str
    #: "SIGTERM" (it drained and exited), "SIGKILL" (still there after the timeout), "already gone"
    how: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Stopped:
    ended: list[Ended]
    #: the endpoint's exit status, when this process started it (else None)
    exit_status: int | None

    def summary(self) -> str:
        """One line for the endpoint's status reason: every pid and how it ended."""
        if not self.ended:
            return "stop: no process to end"
        return "stop ended " + ", ".join(f"pid {e.pid} ({e.role}, {e.how})" for e in self.ended)


def stop_endpoint(pid: int, config_file: Path | None = None, workers: Iterable[int] = (),
                  timeout: float = 30.0) -> Stopped:
    """End every process of the endpoint whose process ``pid`` was started (``workers``: the
    worker pids it listed): SIGTERM to its process group (the supervisor passes it on as well; a
    second SIGTERM does not cut uvicorn's drain short, only a second SIGINT does, uvicorn PR #1269),
    then SIGKILL to whatever is left after ``timeout`` seconds."""
    workers = [w for w in workers if w != pid]
    group = _endpoint_group(pid, config_file)
    known = [pid, *workers]
    targets = _members(group) | {p for p in known if is_endpoint_process(p, config_file)}
    roles = {p: _role(p, pid, workers) for p in {*known, *targets}}
    how = {p: "already gone" for p in known if p not in targets}
    _send(targets, group, signal.SIGTERM)
    left = _wait_gone(targets, group, timeout)
    how.update({p: "SIGTERM" for p in targets - left})
    if left:
        roles.update({p: _role(p, pid, workers) for p in left - roles.keys()})
        _send(left, group, signal.SIGKILL)
        _wait_gone(left, group, 5.0)
        how.update({p: "SIGKILL" for p in left})
    code = None
    child = _children.pop(pid, None)
    if child is not None:
        try:
            code = child.wait(5)
        except subprocess.TimeoutExpired:
            pass
    ended = [Ended(p, roles[p], how[p]) for p in sorted(how, key=lambda p: (p != pid, p))]
    return Stopped(ended, code)


def stop_pid(pid: int, timeout: float = 30.0, extra_pids: list[int] = ()) -> int | None:
    """:func:`stop_endpoint` for a caller that knows only pids; returns the exit status."""
    return stop_endpoint(pid, None, extra_pids, timeout).exit_status


def _endpoint_group(pid: int, config_file: Path | None) -> int | None:
    """``pid`` as a process group id when that group is the endpoint's (see the module's docstring)."""
    if pid == os.getpgrp():
        return None  # never our own group: an endpoint started in the caller's group is ended by pid
    if is_endpoint_process(pid, config_file):
        try:
            return pid if os.getpgid(pid) == pid else None
        except ProcessLookupError:
            return None
    return pid if not _alive(pid) and _members(pid) else None


def _members(group: int | None) -> set[int]:
    """The live (not zombie) processes of process group ``group``."""
    if group is None:
        return set()
    import psutil

    found = set()
    for p in psutil.pids():
        try:
            if os.getpgid(p) == group and psutil.Process(p).status() != psutil.STATUS_ZOMBIE:
                found.add(p)
        except (OSError, psutil.Error):
            continue
    return found


def _role(p: int, pid: int, workers: list[int]) -> str:
    if p in workers:
        return "worker"
    try:
        import psutil

        cmdline = psutil.Process(p).cmdline()
    except Exception:
        cmdline = []
    if p == pid:
        return "supervisor" if workers or "--workers" in cmdline else "endpoint"
    return "worker" if "--worker-index" in cmdline else "process"


def _send(pids: set[int], group: int | None, sig: int) -> None:
    if group is not None:
        try:
            os.killpg(group, sig)
        except (ProcessLookupError, PermissionError):
            pass
    for p in pids:
        try:
            if group is None or os.getpgid(p) != group:
                os.kill(p, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _wait_gone(pids: set[int], group: int | None, timeout: float) -> set[int]:
    """Wait until ``pids`` and the group are gone; what is still alive at ``timeout``."""
    deadline = time.time() + timeout
    while True:
        left = {p for p in pids if _alive(p)} | _members(group)
        if not left or time.time() >= deadline:
            return left
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        import psutil

        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except Exception:
        return False


#: psutil measures CPU between two calls on the same ``Process`` object: kept per pid, a caller
#: that lists endpoints again and again (the REST API, a panel refreshing) pays no sampling pause
#: after the first call; entries of processes that ended are dropped
_sampled: dict[int, Any] = {}
_sampled_lock = threading.Lock()
#: the shortest interval a CPU figure is measured over (the first sample of a process waits this)
CPU_SAMPLE_SECONDS = 0.05


def process_usage(pids: list[int]) -> dict[str, float]:
    """CPU percent (since the previous call for these processes, at least ``CPU_SAMPLE_SECONDS``)
    and RSS summed over the endpoint's processes."""
    try:
        import psutil
    except ImportError:  # pragma: no cover
        return {}
    with _sampled_lock:
        procs, first = [], False
        for pid in pids:
            entry = _sampled.get(pid)
            try:
                if entry is None or not entry["process"].is_running():
                    p = psutil.Process(pid)
                    p.cpu_percent(None)
                    entry = _sampled[pid] = {"process": p, "at": time.monotonic(), "cpu": 0.0}
                    first = True
                procs.append(entry)
            except Exception:
                _sampled.pop(pid, None)
                continue
        if not procs:
            return {}
        if first:
            time.sleep(CPU_SAMPLE_SECONDS)
        cpu = rss = 0.0
        now = time.monotonic()
        for entry in procs:
            p = entry["process"]
            try:
                if now - entry["at"] >= CPU_SAMPLE_SECONDS:
                    entry["cpu"], entry["at"] = p.cpu_percent(None), now
                cpu += entry["cpu"]
                rss += p.memory_info().rss
            except Exception:
                _sampled.pop(p.pid, None)
                continue
        for pid in [pid for pid, e in _sampled.items() if not e["process"].is_running()]:
            _sampled.pop(pid, None)
    return {"cpu_percent": cpu, "rss_mb": rss / 1024 / 1024}
