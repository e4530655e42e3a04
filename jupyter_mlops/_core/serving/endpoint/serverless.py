"""Serverless endpoints: the workers give themselves back after ``idle`` seconds without traffic,
and the next request brings them back.

What returns memory is the worker process exiting: dropping a model and collecting it leaves the
interpreter, numpy, scikit-learn and the allocator's arenas in place (most of a worker's RSS). So
the supervisor is the light listener: it owns the one listening socket and hands it to each worker
(an inherited file descriptor, so all workers accept from one queue). A worker idle for ``idle``
seconds marks its report ``released``, stops as on SIGTERM (in-flight requests finish, keep-alive
connections are closed) and exits with :data:`RELEASED`. With no worker left, the supervisor waits
for the socket to become readable: a connection waiting in the backlog, which nobody has accepted.
It starts the workers again and the waiting connection is accepted by the first one that listens,
so the request only waits for the cold start (recorded in ``serverless.json``: count, last
duration). The listener never reads a byte of a request.

``max_concurrency``: at most that many requests run at once over all workers; the others get
``Throttled`` (SageMaker's ``ThrottlingException``, HTTP 400, which boto3 raises). The count is
shared through byte-range locks on one file, one byte per slot: held by a process, released by the
kernel if the process dies, so a killed worker never leaks a slot.

``provisioned``: workers ``0..N-1`` are never released; one that sees traffic wakes the supervisor
(SIGUSR1, at most once per idle period) to start any released worker again.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

RELEASED = 75            # a worker's exit status when it gave itself back for lack of traffic
STATE_FILE = "serverless.json"
SLOTS_FILE = "serverless.slots"
CHECK_SECONDS = 0.1      # how often a worker looks at its idle time


def settings_of(config) -> dict:
    """``{"idle": S, "max_concurrency": C, "provisioned": N}`` or {} for an always-on endpoint."""
    return dict(getattr(config, "serverless", None) or {})


class ConcurrencySlots:
    """At most ``limit`` holders over every process of the endpoint: one lockable byte per slot.

    POSIX record locks belong to the process, so a process never conflicts with itself: the
    slots this process holds are kept in ``held`` and skipped."""

    def __init__(self, path: Path, limit: int):
        self.limit = int(limit)
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.held: set[int] = set()

    def take(self) -> int | None:
        start = random.randrange(self.limit)  # spread the workers over the slots
        for k in range(self.limit):
            slot = (start + k) % self.limit
            if slot in self.held:
                continue
            try:
                fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, slot)
            except OSError:
                continue
            self.held.add(slot)
            return slot
        return None

    def give_back(self, slot: int) -> None:
        fcntl.lockf(self.fd, fcntl.LOCK_UN, 1, slot)
        self.held.discard(slot)


class Gate:
    """A worker's side: admits requests (the concurrency limit), notes the last one, and releases
    the worker when it has been idle long enough. ``enter``/``leave`` run on the event loop."""

    def __init__(self, runtime, settings: dict, supervisor: int | None):
        self.runtime = runtime
        self.idle = float(settings.get("idle") or 0) or None
        self.provisioned = runtime.worker < int(settings.get("provisioned") or 0)
        limit = settings.get("max_concurrency")
        self.slots = ConcurrencySlots(runtime.dir / SLOTS_FILE, limit) if limit else None
        self.supervisor = supervisor
        self.in_flight = 0
        self.throttled = 0
        self.last = time.monotonic()
        self.last_wake = float("-inf")
        self.on_release = None   # set by the worker: ends its server as a stop would
        self._stop = threading.Event()

    def enter(self):
        """A token to hand to ``leave``, or None: over the limit (the caller throttles)."""
        now = time.monotonic()
        if self.provisioned and self.idle and self.supervisor and now - self.last_wake >= self.idle:
            # others may have been released: ask the supervisor to start any missing (at most
            # once per idle period: a signal it ignores when all run; no request waits for it)
            self.last_wake = now
            try:
                os.kill(self.supervisor, signal.SIGUSR1)
            except OSError:
                pass
        self.last = now
        slot = -1
        if self.slots is not None:
            slot = self.slots.take()
            if slot is None:
                self.throttled += 1
                return None
        self.in_flight += 1
        return slot

    def leave(self, slot) -> None:
        self.in_flight -= 1
        self.last = time.monotonic()
        if slot is not None and slot >= 0:
            self.slots.give_back(slot)

    def start(self) -> "Gate":
        if self.idle and not self.provisioned:
            threading.Thread(target=self._watch, name="mlops-idle", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def touch(self) -> None:
        """Traffic that is not a prediction (an asynchronous request queued) also keeps it warm."""
        self.last = time.monotonic()

    def busy(self) -> bool:
        """Work that a release would interrupt: a rollout baking (its controller runs on worker
        0), or asynchronous requests queued or running (worker 0 processes them)."""
        live = self.runtime.live
        if live is not None and live.config.baking is not None:
            return True
        if self.runtime.worker == 0:
            depth = self.runtime.async_queue.depth()
            return bool(depth["pending"] or depth["running"])
        return False

    def _watch(self) -> None:
        while not self._stop.wait(CHECK_SECONDS):
            if self.in_flight == 0 and time.monotonic() - self.last >= self.idle:
                if self.busy():
                    self.touch()
                    continue
                self.release()
                return

    def release(self) -> None:
        runtime = self.runtime
        runtime.released, runtime.listening = True, False
        print(f"endpoint worker {runtime.worker} pid {os.getpid()}: idle for {self.idle:g} s; "
              "releasing its memory", flush=True)
        # uvicorn's own stop (drain, close keep-alive connections); not SIGTERM, which uvicorn
        # raises again once it has stopped, so the exit status could not say "released"
        self.on_release()


class ServerlessSupervisor:
    """The light listener: owns the listening socket, starts the workers on demand, records cold
    starts, and stops the workers on SIGTERM."""

    def __init__(self, config_file: Path, host: str, port: int, workers: int, settings: dict):
        from .server import ensure_free, make_socket

        ensure_free(host, port)
        self.listener = make_socket(host, port, listen=True)
        self.listener.setblocking(True)
        self.config_file, self.host, self.port = config_file, host, self.listener.getsockname()[1]
        self.settings = settings
        self.workers = max(int(workers), int(settings.get("provisioned") or 0))
        self.stopping = False
        self.wake = False
        self.started_at = time.time()
        self.children: dict[int, subprocess.Popen] = {}
        self.state = {"state": "starting", "cold_starts": 0, "last_cold_start_s": None,
                      "cold_since": None, "released": 0, **{k: settings.get(k) for k in
                                                             ("idle", "max_concurrency", "provisioned")}}

    # -- processes ----------------------------------------------------------------------------
    def spawn(self, i: int) -> subprocess.Popen:
        from ..contract import SERVER_MODULE

        fd = self.listener.fileno()
        return subprocess.Popen([sys.executable, "-m", SERVER_MODULE,
                                 "--config", str(self.config_file), "--host", self.host,
                                 "--port", str(self.port), "--worker-index", str(i),
                                 "--supervisor-pid", str(os.getpid()), "--listen-fd", str(fd)],
                                pass_fds=(fd,))

    def publish(self) -> None:
        from .server import write_server_file

        live = [c.pid for c in self.children.values() if c.poll() is None]
        write_server_file(self.config_file.parent / "server.json", pid=os.getpid(), port=self.port,
                          url=f"http://{self.host}:{self.port}", started_at=self.started_at,
                          workers=self.workers, worker_pids=live, serverless=True)
        self.state["warm_workers"] = len(live)
        self._write_state()

    def _write_state(self) -> None:
        from .server import write_server_file

        write_server_file(self.config_file.parent / STATE_FILE, **self.state)

    def forward(self, signum=None, frame=None) -> None:
        self.stopping = True
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    def on_wake(self, signum=None, frame=None) -> None:
        self.wake = True

    def start_missing(self) -> bool:
        """Start every worker that is not running; True once they all listen."""
        folder = self.config_file.parent / "workers"
        missing = [i for i in range(self.workers)
                   if i not in self.children or self.children[i].poll() is not None]
        for i in missing:
            (folder / f"{i}.json").unlink(missing_ok=True)  # a released worker's last report
            self.children[i] = self.spawn(i)
        deadline = time.time() + 180  # SageMaker: 3 min to the first healthy ping
        while time.time() < deadline and not self.stopping:
            if all(_listening(folder / f"{i}.json") for i in missing):
                return True
            if any(self.children[i].poll() is not None for i in missing):
                return False
            time.sleep(0.01)
        return False

    # -- the loop -------------------------------------------------------------------------------
    def cold_start(self) -> None:
        t0 = time.perf_counter()
        self.state["state"] = "starting"
        self._write_state()
        ok = self.start_missing()
        took = time.perf_counter() - t0
        if ok:
            self.state.update(state="warm", cold_since=None, last_cold_start_s=round(took, 4),
                              cold_starts=self.state["cold_starts"] + 1, last_cold_start_at=time.time())
            print(f"endpoint supervisor: cold start in {took:.3f} s", flush=True)
        self.publish()

    def reap(self) -> None:
        """Released workers leave; others that died are started again (backing off)."""
        for i, child in list(self.children.items()):
            code = child.poll()
            if code is None or self.stopping:
                continue
            del self.children[i]
            if code == RELEASED:
                self.state["released"] += 1
            else:
                print(f"endpoint worker {i} pid {child.pid} exited with {code}; restarting",
                      file=sys.stderr, flush=True)
                time.sleep(min(5.0, 0.2 * (1 + self.state.get("restarts", 0))))
                self.state["restarts"] = self.state.get("restarts", 0) + 1
                if not self.stopping:
                    self.children[i] = self.spawn(i)
            if not any(c.poll() is None for c in self.children.values()):
                self.state.update(state="cold", cold_since=time.time())
            self.publish()

    def watch(self) -> None:
        while not self.stopping:
            self.reap()
            if self.wake:
                self.wake = False
                if not self.stopping and len(self.children) < self.workers:
                    self.start_missing()
                    self.publish()
            if self.children:
                time.sleep(0.05)
                continue
            try:  # cold: a connection in the backlog makes the socket readable
                readable, _, _ = select.select([self.listener], [], [], 0.2)
            except (OSError, ValueError):
                readable = []
            if readable and not self.stopping:
                self.cold_start()

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.forward)
        signal.signal(signal.SIGINT, self.forward)
        signal.signal(signal.SIGUSR1, self.on_wake)
        if not self.start_missing():  # the deploy loads and smoke-tests the model once, warm
            self.forward()
            for c in self.children.values():
                c.wait()
            print("endpoint: a worker died at start", file=sys.stderr, flush=True)
            return 3
        self.started_at = time.time()
        self.state["state"] = "warm"
        self.publish()
        print(f"endpoint supervisor pid {os.getpid()} (serverless, idle {self.settings.get('idle')} s) "
              f"with {self.workers} workers on http://{self.host}:{self.port}", flush=True)
        self.watch()
        from .server import wait_or_kill

        wait_or_kill(self.children.values())
        self.listener.close()
        print(f"endpoint supervisor pid {os.getpid()} stopped", flush=True)
        return 0


def inherited_socket(fd: int) -> socket.socket:
    sock = socket.socket(fileno=fd)
    sock.setblocking(False)
    return sock


def _listening(report: Path) -> bool:
    try:
        return bool(json.loads(report.read_text()).get("listening"))
    except (OSError, ValueError):
        return False
