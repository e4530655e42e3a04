"""The endpoint process: ``python -m jupyter_mlops._core.serving.endpoint.server --config <config.json>``.

One worker: this process binds 127.0.0.1, loads the variants, and serves with uvicorn (uvloop,
httptools, no access log). ``--workers N``: this process reserves the port (a bound socket that
never listens) and starts N worker processes, each with its own listening socket on that port
(``SO_REUSEPORT``, so the kernel spreads connections evenly); SIGTERM is passed on and each worker
drains its in-flight requests. ``TCP_NODELAY`` is set on the listening socket, which accepted
sockets inherit on Linux: uvicorn's own ``--workers`` binds with ``proto=0``, so asyncio skips
``TCP_NODELAY`` and every keep-alive response waits for the client's delayed ACK (about 44 ms at
concurrency 1; uvicorn issue #3149).

Workers die with their supervisor: each asks the kernel for SIGTERM when its parent dies
(``prctl(PR_SET_PDEATHSIG)``, Linux, man 2 prctl) and a watchdog thread checks that its parent is
still the supervisor (the fallback elsewhere, or if the prctl call failed); either way the worker
drains as on a stop. ``server.json`` lists the live processes only: the supervisor rewrites it
whenever it restarts a worker.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..contract import SERVER_MODULE, ConfigFile

T_START = time.perf_counter()


class PortInUse(SystemExit):
    pass


def ensure_free(host: str, port: int) -> None:
    """With SO_REUSEPORT another endpoint's socket on the same port would silently share its
    traffic: a probe without it fails if anything listens there."""
    if not port:
        return
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind((host, port))
    except OSError as exc:
        print(f"endpoint: port {port} on {host} is in use ({exc.strerror}); choose another "
              "port or leave it out for a free one", file=sys.stderr, flush=True)
        raise PortInUse(4) from None
    finally:
        probe.close()


def make_socket(host: str, port: int, listen: bool = True, reuse_port: bool = False
                ) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:  # only the workers of one endpoint share a port
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    if listen:
        sock.listen(2048)
        sock.setblocking(False)
    return sock


def write_server_file(path: Path, **info) -> None:
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(info))
    os.replace(tmp, path)


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCHDOG_SECONDS = 0.5


def die_with_supervisor(supervisor: int, worker: int) -> None:
    """SIGTERM this worker when ``supervisor`` (its parent) dies, so it never serves on alone."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:  # the parent is the thread that forked us: the supervisor spawns from its main thread
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the watchdog still notices
    if os.getppid() != supervisor:  # it died before the prctl call: no signal will come
        print(f"endpoint worker {worker}: supervisor {supervisor} is gone; exiting", file=sys.stderr, flush=True)
        sys.exit(5)

    def watch() -> None:
        while os.getppid() == supervisor:
            time.sleep(WATCHDOG_SECONDS)
        print(f"endpoint worker {worker} pid {os.getpid()}: supervisor {supervisor} is gone; stopping",
              file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's handler: drain, then exit

    threading.Thread(target=watch, name="supervisor-watchdog", daemon=True).start()


def serve_worker(config_file: Path, host: str, port: int, worker: int, announce: bool,
                 supervisor: int | None = None, listen_fd: int | None = None) -> int:
    from ..inference.variant import silence_feature_name_warning
    from .runtime import Runtime

    if supervisor is not None:
        die_with_supervisor(supervisor, worker)
    silence_feature_name_warning()
    runtime = Runtime(config_file, worker)
    t_load = time.perf_counter()
    try:
        runtime.start()
    except Exception as exc:
        print(f"endpoint worker {worker}: cannot start: {exc}", file=sys.stderr, flush=True)
        return 3
    import uvicorn

    from .app import EndpointApp
    from .controller import Controller

    shared = not announce  # a worker under a supervisor shares the port with its siblings
    if listen_fd is not None:  # a serverless endpoint's: the supervisor's one socket (serverless.py)
        from .serverless import Gate, inherited_socket, settings_of

        sock = inherited_socket(listen_fd)
        runtime.gate = Gate(runtime, settings_of(runtime.live.config), supervisor)
    else:
        if not shared:
            ensure_free(host, port)
        sock = make_socket(host, port, reuse_port=shared)
    port = sock.getsockname()[1]
    # Long-lived objects (sklearn, pandas, the models) never die: keep them out of the cyclic
    # GC's full collections, which otherwise pause the event loop for tens of ms under load.
    import gc

    gc.collect()
    gc.freeze()
    # The capture/report threads must not hold the GIL for long stretches while requests wait.
    sys.setswitchinterval(0.002)
    timeout = float(runtime.live.config.graceful_seconds)

    def started():
        runtime.listening = True
        runtime.write_report()  # the supervisor waits for every worker to say so
        if runtime.gate is not None:
            runtime.gate.start()
        if worker == 0:
            runtime.controller = Controller(runtime).start()
            runtime.start_async()
        if announce:
            write_server_file(runtime.paths.server, pid=os.getpid(), port=port,
                              url=f"http://{host}:{port}", started_at=time.time(), workers=1)
        now = time.perf_counter()
        print(f"endpoint {runtime.live.name} worker {worker}: start-up {t_load - T_START:.2f} s, "
              f"imports + load + hash + smoke test {now - t_load:.2f} s", flush=True)
        print(f"endpoint {runtime.live.name} worker {worker} pid {os.getpid()} serving on "
              f"http://{host}:{port}", flush=True)

    app = EndpointApp(runtime, on_startup=started, on_shutdown=runtime.stop)
    config = uvicorn.Config(app, loop="uvloop", http="httptools", lifespan="on",
                            access_log=False, log_level="warning", timeout_keep_alive=5,
                            timeout_graceful_shutdown=timeout, limit_concurrency=2048,
                            server_header=False, date_header=False)
    server = uvicorn.Server(config)
    if runtime.gate is not None:
        runtime.gate.on_release = lambda: setattr(server, "should_exit", True)
    server.run(sockets=[sock])
    if runtime.released:
        from .serverless import RELEASED

        print(f"endpoint worker {worker} pid {os.getpid()} released", flush=True)
        return RELEASED
    print(f"endpoint worker {worker} pid {os.getpid()} stopped", flush=True)
    return 0


class Supervisor:
    """The parent of an endpoint's workers: it reserves the port, starts the workers, tells the
    kernel where they are (``server.json``, live pids only), restarts a worker that dies, and
    passes SIGTERM on once so each worker drains."""

    def __init__(self, config_file: Path, host: str, port: int, workers: int):
        ensure_free(host, port)
        self.reserve = make_socket(host, port, listen=False, reuse_port=True)  # holds it; never accepts
        self.config_file, self.host, self.port = config_file, host, self.reserve.getsockname()[1]
        self.workers = workers
        self.stopping = False
        self.started_at = time.time()
        self.children: dict[int, subprocess.Popen] = {}

    def spawn(self, i: int) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", SERVER_MODULE,
                                 "--config", str(self.config_file), "--host", self.host,
                                 "--port", str(self.port), "--worker-index", str(i),
                                 "--supervisor-pid", str(os.getpid())])

    def publish(self) -> None:
        """server.json with the live worker pids (rewritten when a worker is restarted)."""
        write_server_file(self.config_file.parent / "server.json", pid=os.getpid(), port=self.port,
                          url=f"http://{self.host}:{self.port}", started_at=self.started_at,
                          workers=self.workers,
                          worker_pids=[c.pid for c in self.children.values() if c.poll() is None])

    def forward(self, signum=None, frame=None) -> None:
        self.stopping = True
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    def started(self) -> bool:
        """Wait until every worker listens; False if one died first (the rest are stopped)."""
        deadline = time.time() + 120
        folder = self.config_file.parent / "workers"
        while time.time() < deadline and not self.stopping:
            if all(_listening(folder / f"{i}.json") for i in self.children):
                return True
            if any(c.poll() is not None for c in self.children.values()):
                self.forward()
                for c in self.children.values():
                    c.wait()
                print("endpoint: a worker died at start", file=sys.stderr, flush=True)
                return False
            time.sleep(0.05)
        return True

    def watch(self) -> None:
        """Restart workers that die (backing off) until a stop comes."""
        restarts = 0
        while not self.stopping:
            time.sleep(0.2)
            for i, child in list(self.children.items()):
                if child.poll() is None or self.stopping:
                    continue
                restarts += 1
                print(f"endpoint worker {i} pid {child.pid} exited with {child.returncode}; restarting",
                      file=sys.stderr, flush=True)
                self.publish()  # without the dead pid while the restart waits
                time.sleep(min(5.0, 0.2 * restarts))
                if self.stopping:  # a stop came during the wait: no new worker to stop again
                    break
                self.children[i] = self.spawn(i)
                self.publish()

    def run(self) -> int:
        self.children = {i: self.spawn(i) for i in range(self.workers)}
        signal.signal(signal.SIGTERM, self.forward)
        signal.signal(signal.SIGINT, self.forward)
        if not self.started():
            return 3
        self.started_at = time.time()
        self.publish()
        print(f"endpoint supervisor pid {os.getpid()} with {self.workers} workers on "
              f"http://{self.host}:{self.port}", flush=True)
        self.watch()
        wait_or_kill(self.children.values())
        self.reserve.close()
        print(f"endpoint supervisor pid {os.getpid()} stopped", flush=True)
        return 0


def wait_or_kill(children, timeout: float = 60) -> None:
    """A stopping supervisor's last step: each worker gets ``timeout`` s to finish its requests."""
    for child in children:
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()


def supervise(config_file: Path, host: str, port: int, workers: int) -> int:
    return Supervisor(config_file, host, port, workers).run()


def _listening(report: Path) -> bool:
    try:
        return bool(json.loads(report.read_text()).get("listening"))
    except (OSError, ValueError):
        return False


def main(argv: list[str] | None = None) -> int:
    os.umask(0o077)  # capture files, reports and logs are the workspace owner's alone
    parser = argparse.ArgumentParser(prog=f"python -m {SERVER_MODULE}")
    parser.add_argument("--config", required=True, help="the endpoint's config.json")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--worker-index", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--supervisor-pid", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--listen-fd", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    config_file = Path(args.config).resolve()
    if args.worker_index is not None:
        return serve_worker(config_file, args.host, args.port, args.worker_index, announce=False,
                            supervisor=args.supervisor_pid, listen_fd=args.listen_fd)
    config = ConfigFile(config_file).read()
    workers = args.workers if args.workers is not None else config.workers
    for folder in (config_file.parent / "workers", config_file.parent / "history"):
        if folder.exists():  # a new start begins a new history (it lives in the workers)
            for stale in folder.glob("*.json"):
                stale.unlink()
    (config_file.parent / "server.json").unlink(missing_ok=True)
    if config.serverless:  # always supervised: the supervisor is what stays when workers leave
        from .serverless import ServerlessSupervisor

        return ServerlessSupervisor(config_file, args.host, args.port, workers, config.serverless).run()
    if workers <= 1:
        return serve_worker(config_file, args.host, args.port, 0, announce=True)
    return supervise(config_file, args.host, args.port, workers)


if __name__ == "__main__":
    sys.exit(main())
