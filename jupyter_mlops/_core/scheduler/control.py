"""Starting, stopping and inspecting the scheduler daemon of a workspace.

Files live in ``<home>/scheduler/``: ``scheduler.pid`` (JSON: pid, process start time, started,
log), ``scheduler.lock`` (held with ``flock`` by the running daemon: two daemons of one workspace
cannot both hold it), ``scheduler.log`` and, while a stop is under way, ``scheduler.stop`` (the
stop request: which daemon, and the grace its runs in progress get). A pid file whose process is
gone, or whose pid now belongs to another process (a different start time), is stale and is removed.

The daemon is a detached child (``start_new_session=True``): it keeps running when the kernel or
shell that started it exits, until ``stop``: a stop request sized to ``timeout``, SIGTERM (the
daemon lets runs finish for the grace, marks the rest interrupted and exits, see ``stopping.py``),
and SIGKILL only if it is still there after ``timeout`` seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..collaborators import AuditRecorder
from ..errors import SchedulerError
from ..home import pythonpath_for_children
from ..trust import open_private
from .stopping import grace_within

#: Popen handles of daemons this process started, so that stopping one also reaps it (no zombie).
_CHILDREN: dict[int, subprocess.Popen] = {}


@dataclass(frozen=True)
class Paths:
    folder: Path

    @classmethod
    def of(cls, home: Path) -> "Paths":
        return cls(Path(home) / "scheduler")

    @property
    def pid_file(self) -> Path:
        return self.folder / "scheduler.pid"

    @property
    def lock_file(self) -> Path:
        return self.folder / "scheduler.lock"

    @property
    def log_file(self) -> Path:
        return self.folder / "scheduler.log"

    @property
    def stop_request(self) -> Path:
        return self.folder / "scheduler.stop"


# -- pid file ---------------------------------------------------------------------------------
def read_pid_file(paths: Paths) -> dict | None:
    try:
        info = json.loads(paths.pid_file.read_text())
        return info if isinstance(info, dict) and isinstance(info.get("pid"), int) else None
    except (OSError, ValueError):
        return None


def write_pid_file(paths: Paths, info: dict) -> None:
    _write_json(paths, paths.pid_file, info)


def _write_json(paths: Paths, path: Path, info: dict) -> None:
    paths.folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(info))
    os.replace(tmp, path)  # readers never see half a file


def remove_pid_file(paths: Paths, pid: int) -> None:
    """Remove the pid file if it still names ``pid`` (never another daemon's)."""
    info = read_pid_file(paths)
    if info is None or info.get("pid") == pid:
        try:
            paths.pid_file.unlink()
        except FileNotFoundError:
            pass


# -- stop request -------------------------------------------------------------------------------
def write_stop_request(paths: Paths, pid: int, grace: float) -> None:
    """Ask daemon ``pid`` to give its runs in progress at most ``grace`` seconds when it stops."""
    _write_json(paths, paths.stop_request, {"pid": pid, "grace": grace,
                                            "requested_at": dt.datetime.now(dt.timezone.utc).isoformat()})


def requested_grace(paths: Paths, pid: int) -> float | None:
    """The grace a stop request asks of daemon ``pid``; None without one (a plain ``kill``)."""
    try:
        info = json.loads(paths.stop_request.read_text())
        grace = float(info["grace"]) if info.get("pid") == pid else None
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    return grace if grace is not None and grace >= 0 else None


def remove_stop_request(paths: Paths) -> None:
    paths.stop_request.unlink(missing_ok=True)


def process_start_time(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None


def is_alive(pid: int, create_time: float | None = None) -> bool:
    """``pid`` runs (not a zombie) and, when given, is the process that started at ``create_time``."""
    import psutil

    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        _CHILDREN.pop(pid, None)
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        return create_time is None or abs(proc.create_time() - create_time) < 0.05
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


# -- the lock (taken by the daemon) -------------------------------------------------------------
def acquire_lock(paths: Paths, wait: float = 3.0):
    """An open file holding the exclusive lock, or None when another daemon holds it. Waits a
    little first: a ``status`` probe never takes it, but a daemon that is shutting down may."""
    import fcntl

    paths.folder.mkdir(parents=True, exist_ok=True)
    handle = open(paths.lock_file, "a+")  # noqa: SIM115 - held for the daemon's lifetime
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.close()
                return None
            time.sleep(0.1)


# -- status / start / stop ----------------------------------------------------------------------
@dataclass(frozen=True)
class DaemonState:
    running: bool
    pid: int | None = None
    started_at: dt.datetime | None = None
    log: str | None = None
    note: str | None = None


def is_running(home: Path) -> bool:
    """Whether the daemon of ``home`` runs (read-only: a stale pid file is left for ``state``)."""
    info = read_pid_file(Paths.of(home))
    return bool(info) and is_alive(info["pid"], info.get("create_time"))


class DaemonControl:
    """Start, stop and inspect the daemon of the workspace at ``home`` from another process.
    ``environment`` holds the variables the daemon needs to open the same workspace."""

    def __init__(self, home: Path, environment: dict[str, str], store,
                 audit: AuditRecorder):
        self.home = Path(home)
        self.paths = Paths.of(self.home)
        self.environment = environment
        self.store = store
        self.audit = audit

    def is_running(self) -> bool:
        return is_running(self.home)

    def state(self, note: str | None = None) -> DaemonState:
        info = read_pid_file(self.paths)
        if info is None:
            return DaemonState(False, note=note)
        pid = info["pid"]
        if not is_alive(pid, info.get("create_time")):
            remove_pid_file(self.paths, pid)
            stale = f"removed a stale pid file (pid {pid} is no longer the scheduler)"
            return DaemonState(False, note=f"{note}; {stale}" if note else stale)
        started = dt.datetime.fromisoformat(info["started_at"]) if info.get("started_at") else None
        return DaemonState(True, pid=pid, started_at=started, log=info.get("log"), note=note)

    def start(self, timeout: float = 30) -> DaemonState:
        """Start the daemon; returns once it holds the lock and has loaded the schedules (it writes
        its pid file then). Raises ``SchedulerError`` with the end of its log if it exits instead."""
        current = self.state()
        if current.running:
            raise SchedulerError(f"The scheduler of {self.home} is already running (pid {current.pid}).",
                                 hint="Stop it first with `mlops scheduler stop` (or %mlops scheduler stop).")
        paths = self.paths
        paths.folder.mkdir(parents=True, exist_ok=True)
        self.store.migrate()  # create the schema here, where errors reach the caller, not the log
        env = {**os.environ, **self.environment}
        pythonpath = pythonpath_for_children(env.get("PYTHONPATH"))
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        log_offset = paths.log_file.stat().st_size if paths.log_file.exists() else 0
        with open_private(paths.log_file) as log:
            proc = subprocess.Popen([sys.executable, "-m", "jupyter_mlops._core.scheduler", str(paths.log_file)],
                                    env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True, close_fds=True)
        _CHILDREN[proc.pid] = proc
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = read_pid_file(paths)
            if info and info.get("pid") == proc.pid:
                self.audit.record("scheduler-start", "scheduler", {"pid": proc.pid, "log": str(paths.log_file)})
                return self.state()
            if proc.poll() is not None:
                _CHILDREN.pop(proc.pid, None)
                raise SchedulerError(f"The scheduler exited at start (status {proc.returncode}): "
                                     f"{_log_tail(paths.log_file, log_offset)}")
            time.sleep(0.05)
        _terminate(proc.pid, None, 5)
        raise SchedulerError(f"The scheduler did not start within {timeout:g} s: "
                             f"{_log_tail(paths.log_file, log_offset)}")

    def stop(self, timeout: float = 30) -> DaemonState:
        """SIGTERM the daemon, asking it to end within ``timeout`` seconds: runs in progress get a
        grace that fits (``stopping.grace_within``), those still going after it are marked
        interrupted. SIGKILL only if the daemon is still there after ``timeout`` seconds."""
        current = self.state()
        if not current.running:
            return self.state(note=current.note or "the scheduler was not running")
        pid = current.pid
        info = read_pid_file(self.paths) or {}
        grace = grace_within(timeout)
        write_stop_request(self.paths, pid, grace)
        try:
            how = _terminate(pid, info.get("create_time"), timeout)
        finally:
            remove_stop_request(self.paths)
        remove_pid_file(self.paths, pid)
        self.audit.record("scheduler-stop", "scheduler", {"pid": pid, "how": how, "grace": grace})
        return self.state(note=f"stopped pid {pid} ({how})")

    def log_tail(self, lines: int = 50) -> str:
        """The end of the daemon's log file (a foreground daemon logs to its own stderr instead)."""
        path = self.paths.log_file
        if not path.exists():
            return f"(no scheduler log yet at {path}: start the scheduler with `mlops scheduler start`)"
        return _log_tail(path, max(0, path.stat().st_size - 200 * lines - 4096), lines)


def _terminate(pid: int, create_time: float | None, timeout: float) -> str:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return "already gone"
    if _wait_gone(pid, create_time, timeout):
        return "SIGTERM"
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return "SIGTERM"
    if not _wait_gone(pid, create_time, 10):
        raise SchedulerError(f"The scheduler (pid {pid}) did not exit even after SIGKILL.")
    return f"SIGKILL after {timeout:g} s"


def _wait_gone(pid: int, create_time: float | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        child = _CHILDREN.get(pid)
        if child is not None:
            try:
                child.wait(timeout=0.05)
            except subprocess.TimeoutExpired:
                pass
        if not is_alive(pid, create_time):
            _CHILDREN.pop(pid, None)
            return True
        if time.monotonic() >= deadline:
            return False
        if child is None:
            time.sleep(0.05)


def _log_tail(path: Path, offset: int = 0, lines: int = 15) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace").strip().splitlines()
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text[-lines:]) or f"(the log {path} is empty)"
