"""Control panel benchmark: what the panel's background refresh costs the kernel.

A real IPython kernel (jupyter_client, ipykernel) shows ``jupyter_mlops.panel(ws)`` at the default
interval over a workspace with two models and one running endpoint (two variants) under light
traffic (``--rps`` requests per second, sent from this process, not the kernel). The kernel's CPU
time (its process, every thread: the refresher's ticks, the comm messages they send) is read with
psutil over ``--seconds`` with the panel shown, against the same window of the idle kernel before
the panel existed. The figure is the difference, in percent of one core (goal: under 5%).

Also measured inside the kernel: one refresh (``panel.refresh()``, the work of a tick) with the
Registry tab on show (the default view: Registry, and the Endpoints tab that samples its charts)
and with the Endpoints tab alone, median of 20.

    python benchmarks/ui_panel.py [--seconds 60] [--rps 5] [--interval 3]

The kernel and the endpoint are stopped by pid at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_workspace(home: Path):
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from jupyter_mlops import Workspace

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"tenure": rng.integers(0, 72, 500).astype(float), "monthly": rng.normal(70, 20, 500)})
    y = (X.tenure < 20).astype(int)
    ws = Workspace(home)
    ws.register(LogisticRegression(max_iter=300).fit(X, y), "churn", data=X, target=y, metrics={"auc": 0.8})
    ws.register(LogisticRegression(C=0.1, max_iter=300).fit(X, y), "churn", data=X, target=y, metrics={"auc": 0.82})
    ws.register(LogisticRegression(max_iter=300).fit(X, y), "fraud", data=X, target=y, metrics={"auc": 0.7})
    ws.deploy("churn:1", "churn")
    ws.deploy("churn:2", "churn", strategy="ab", percent=50)
    return ws, X


def light_traffic(url: str, rows: list, rps: float, stop: threading.Event) -> int:
    import httpx

    sent = 0
    with httpx.Client(timeout=10) as client:
        while not stop.is_set():
            client.post(f"{url}/invocations", json={"instances": rows})
            sent += 1
            stop.wait(1.0 / rps)
    return sent


def run_in_kernel(client, code: str, timeout: float = 120) -> str:
    """Execute ``code``; return what it printed (raise with the kernel's error)."""
    out: list[str] = []

    def output(msg):
        kind, content = msg["msg_type"], msg["content"]
        if kind == "stream":
            out.append(content["text"])
        elif kind == "error":
            raise RuntimeError(f"{content['ename']}: {content['evalue']}")

    reply = client.execute_interactive(code, timeout=timeout, output_hook=output)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"kernel: {reply['content'].get('ename')}: {reply['content'].get('evalue')}")
    return "".join(out)


def kernel_cpu(proc, seconds: float) -> float:
    """The kernel process's CPU time over ``seconds`` of wall time, in percent of one core."""
    t0, c0 = time.monotonic(), sum(proc.cpu_times()[:2])
    time.sleep(seconds)
    return 100 * (sum(proc.cpu_times()[:2]) - c0) / (time.monotonic() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="each measuring window (idle, then with the panel)")
    parser.add_argument("--rps", type=float, default=5, help="light traffic sent to the endpoint, requests/s")
    parser.add_argument("--interval", type=float, default=3.0, help="the panel's refresh interval (default 3 s)")
    args = parser.parse_args()

    import psutil
    from jupyter_client.manager import KernelManager

    tmp = Path(tempfile.mkdtemp(prefix="mlops-ui-panel-"))
    home = tmp / ".mlops"
    os.environ.update(MLOPS_HOME=str(home), MLOPS_KEY_DIR=str(tmp / "keys"))
    ws, X = make_workspace(home)
    endpoint = ws.endpoint("churn").info()
    stop_traffic = threading.Event()
    traffic = threading.Thread(target=light_traffic, args=(endpoint.url, X.head(1).to_numpy().tolist(), args.rps,
                                                           stop_traffic), daemon=True)
    traffic.start()

    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=env, cwd=str(tmp))
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        run_in_kernel(client, "import jupyter_mlops as mlops, ipywidgets, time, statistics\n"
                              "from IPython.display import display")
        kernel = psutil.Process(km.provisioner.process.pid)
        time.sleep(2)
        idle = kernel_cpu(kernel, args.seconds)
        run_in_kernel(client, f"p = mlops.panel(interval={args.interval})\ndisplay(p)")
        time.sleep(args.interval)  # the first ticks, charts filling
        shown = kernel_cpu(kernel, args.seconds)
        ticks = run_in_kernel(client, "print(p.refresher.ticks, p.refresher.errors, p.message.text or 'no message')")
        timing = run_in_kernel(client, """
def med(panel, n=20):
    wall, cpu = [], []
    for _ in range(n):
        t, c = time.perf_counter(), time.thread_time()
        panel.refresh()
        wall.append(time.perf_counter() - t); cpu.append(time.thread_time() - c)
    return f"{statistics.median(wall) * 1000:.1f} {statistics.median(cpu) * 1000:.1f}"
p.close()
p = mlops.panel(interval=None); a = med(p); p.close()
q = mlops.panel(part="endpoints", interval=None); b = med(q); q.close()
print(a, b)
""")
    finally:
        stop_traffic.set()
        client.stop_channels()
        km.shutdown_kernel(now=False)
        traffic.join(10)
        ws.stop("churn")

    wall_default, cpu_default, wall_endpoints, cpu_endpoints = (float(v) for v in timing.split())
    load = os.getloadavg()
    print(f"panel refresh in the kernel, interval {args.interval:g} s, endpoint under {args.rps:g} req/s, "
          f"{args.seconds:g} s windows")
    print(f"  kernel CPU idle:                 {idle:5.2f} % of one core")
    print(f"  kernel CPU with the panel shown: {shown:5.2f} % of one core")
    print(f"  the panel's cost:                {shown - idle:5.2f} % of one core   (goal < 5 %)")
    print(f"  ticks, errors, message:          {ticks.strip()}")
    print("  one refresh, median of 20 (CPU time of the refreshing thread / wall time):")
    print(f"    Registry on show (+ the Endpoints tab's charts): {cpu_default:5.1f} ms CPU / {wall_default:5.1f} ms wall"
          f"  -> {100 * cpu_default / 1000 / args.interval:.2f} % of one core at {args.interval:g} s")
    print(f"    Endpoints tab alone:                             {cpu_endpoints:5.1f} ms CPU / {wall_endpoints:5.1f} ms wall"
          f"  -> {100 * cpu_endpoints / 1000 / args.interval:.2f} % of one core")
    print(f"  load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores); python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
