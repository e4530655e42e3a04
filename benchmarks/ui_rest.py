"""REST API latency: p50 and p99 per route of the Jupyter server extension, against a real
``jupyter_server`` on 127.0.0.1 serving a workspace with 50 models, 200 versions and 10 running
endpoints (plus a monitoring schedule with reports and a few runs). Goal: every route under 50 ms
at p99 on this machine. Requests are sent one at a time over one keep-alive connection with the
token, after a warm-up; the load average is printed before and after, since the machine is shared.

    python benchmarks/ui_rest.py [--requests 200] [--endpoints 10] [--models 50] [--versions 4]

Everything it starts (the server, the endpoints) is stopped by pid at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
TOKEN = "bench-token"


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_workspace(root: Path, models: int, versions: int, endpoints: int):
    import httpx
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from jupyter_mlops import Workspace

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 4)), columns=["a", "b", "c", "d"])
    y = (X["a"] + rng.normal(scale=0.5, size=300) > 0).astype(int)
    clf = LogisticRegression().fit(X, y)
    ws = Workspace(root / ".mlops")
    t = time.perf_counter()
    for m in range(models):
        for v in range(versions):
            ws.register(clf, f"model-{m:02d}", data=X if (m == 0 and v == 0) else None, target=y if (m == 0 and v == 0) else None,
                        metrics={"auc": 0.8 + v / 100, "f1": 0.7}, params={"C": 1.0, "v": v})
    print(f"[setup] {models} models x {versions} versions registered in {time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    for e in range(endpoints):
        ws.deploy(f"model-{e:02d}:1", f"endpoint-{e:02d}", capture=100 if e == 0 else 0)
    print(f"[setup] {endpoints} endpoints deployed in {time.perf_counter() - t:.1f} s", flush=True)
    url = ws.endpoint("endpoint-00").url
    for _ in range(3):
        httpx.post(f"{url}/invocations", json={"instances": X.to_numpy().tolist()}, timeout=30).raise_for_status()
    time.sleep(1.5)  # the capture buffer flushes every 0.5 s
    ws.monitor("endpoint-00", every="1d", since="1h")
    ws.run_now("monitor-endpoint-00")
    return ws


def start_server(root: Path, folder: Path):
    import httpx

    config = folder / "config"
    config.mkdir()
    (config / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": {"jupyter_mlops": True}}}))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_") or k == "MLOPS_KEY_DIR"}
    env.update(PYTHONPATH=str(REPO), JUPYTER_CONFIG_DIR=str(config), JUPYTER_DATA_DIR=str(folder / "data"),
               JUPYTER_RUNTIME_DIR=str(folder / "runtime"))
    proc = subprocess.Popen([sys.executable, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1",
                             f"--port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}",
                             "--allow-root", f"--ServerApp.root_dir={root}"], env=env,
                            stdout=open(folder / "server.log", "wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/status", headers={"Authorization": f"token {TOKEN}"}, timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    stop(proc.pid)
    raise RuntimeError("jupyter_server did not start; see " + str(folder / "server.log"))


def stop(pid: int, timeout: float = 20) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitpid(pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def measure(client, method: str, path: str, n: int, body=None) -> list[float]:
    times = []
    for i in range(n + 5):
        t = time.perf_counter()
        r = client.request(method, path, json=body(i) if callable(body) else body)
        elapsed = time.perf_counter() - t
        if r.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:200]}")
        if i >= 5:  # warm-up
            times.append(elapsed * 1000)
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    import httpx

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="timed requests per GET route")
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--versions", type=int, default=4, help="versions per model")
    parser.add_argument("--endpoints", type=int, default=10)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="mlops-bench-rest-"))
    root = folder / "root"
    root.mkdir()
    os.environ.pop("MLOPS_HOME", None)
    print(f"load average before setup: {load()}", flush=True)
    ws = proc = None
    try:
        ws = build_workspace(root, args.models, args.versions, args.endpoints)
        report_id = int(ws.reports().index[0])
        proc, base = start_server(root, folder)
        n, few = args.requests, max(20, args.requests // 5)
        routes = [
            ("GET", "summary", n, None), ("GET", "models", n, None), ("GET", "models/model-07/versions", n, None),
            ("GET", "versions/model-07:2", n, None), ("GET", "versions/model-07:2/html", n, None),
            ("GET", "endpoints", n, None), ("GET", "endpoints/endpoint-03", n, None), ("GET", "reports", n, None),
            ("GET", f"reports/{report_id}", n, None), ("GET", f"reports/{report_id}/html", few, None),
            ("GET", "runs", n, None), ("GET", "schedules", n, None), ("GET", "audit?limit=50", n, None),
            ("GET", "openapi.json", n, None),
            ("POST", "versions/model-{:02d}:3/approve", few, lambda i: {"comment": f"bench {i}"}),
            ("POST", "endpoints/endpoint-05/traffic", few // 2, {"weights": {"model-05-v1": 1}}),
        ]
        client = httpx.Client(base_url=f"{base}/jupyter-mlops/api/", timeout=60,
                              headers={"Authorization": f"token {TOKEN}"})
        counts = ws.status()
        print(f"\nworkspace: {counts.models} models, {counts.versions} versions, {counts.endpoints} endpoints "
              f"({args.endpoints} running); server {base}", flush=True)
        print(f"load average before timing: {load()}\n")
        print(f"{'route':48} {'n':>5} {'p50 ms':>8} {'p99 ms':>8}  goal p99 < 50 ms")
        rows = []
        for method, path, count, body in routes:
            if "{:02d}" in path:  # approve a different version each time: each is a real change
                times = []
                for i in range(count + 5):
                    t = time.perf_counter()
                    r = client.post(path.format(i % args.models), json=body(i))
                    if r.status_code >= 400:
                        raise RuntimeError(r.text)
                    if i >= 5:
                        times.append((time.perf_counter() - t) * 1000)
                shown = path.replace("{:02d}", "NN")
            else:
                times = measure(client, method, path, count, body)
                shown = path
            p50, p99 = statistics.median(times), pct(times, 0.99)
            rows.append((method, shown, p50, p99))
            print(f"{method + ' ' + shown:48} {len(times):>5} {p50:>8.1f} {p99:>8.1f}  "
                  f"{'ok' if p99 < 50 else 'OVER'}", flush=True)
        print(f"\nload average after timing: {load()}  (2 cores, shared)")
        over = [f"{m} {p}" for m, p, _, p99 in rows if p99 >= 50]
        print("every route under 50 ms at p99" if not over else f"over 50 ms at p99: {', '.join(over)}")
    finally:
        if proc is not None:
            stop(proc.pid)
        if ws is not None:
            from jupyter_mlops._core.serving.control import processes as process

            listing = ws.endpoints()
            for name, pid in zip(listing["name"], listing["pid"]):
                pid = int(pid) if pid == pid and pid else None
                try:
                    ws.stop(name, timeout=15)
                except Exception as exc:  # noqa: BLE001 - keep stopping the others
                    print(f"[cleanup] {name}: {exc}")
                if pid and process.is_endpoint_process(pid):
                    process.stop_pid(pid, timeout=15)


if __name__ == "__main__":
    main()
