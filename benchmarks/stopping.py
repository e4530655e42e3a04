"""Stopping benchmark: how long a stop takes and what it leaves behind.

* the scheduler stopped during a run: one that ends within the grace, and one of 10 minutes (the
  stop's default 30 s timeout gives it a 20 s grace); the time of ``ws.stop_scheduler()``, how it
  ended the daemon and the run's status;
* a ``workers=2`` endpoint whose supervisor is SIGKILLed: how long its workers live on without any
  stop, and how long ``ws.stop`` takes after such a kill.

    python benchmarks/stopping.py [--run-seconds 8]

Every process it starts is stopped by its pid. The job kind ``sleep`` is installed the way any
package adds one (an entry point in ``jupyter_mlops.job_kinds``, on a folder put on the path).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

KIND = '''
import time

def sleep_job(context, schedule):
    time.sleep(float(schedule.spec["seconds"]))
    return {}
'''


def install_sleep_kind(folder: Path) -> None:
    (folder / "bench_kinds.py").write_text(KIND)
    info = folder / "bench_kinds-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: bench-kinds\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[jupyter_mlops.job_kinds]\nsleep = bench_kinds:sleep_job\n")
    sys.path.insert(0, str(folder))
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH")) if p)


def scheduler_stop(root: Path, seconds: float) -> None:
    from jupyter_mlops import Workspace
    from jupyter_mlops._core.store import orm

    ws = Workspace(root / f"sched-{seconds:g}" / ".mlops")
    ws.scheduler.add("sleep", "job", every="1h", options={"seconds": seconds})
    with ws.store.write() as s:  # due 5 minutes ago: the start runs it at once
        s.get(orm.Schedule, "sleep-job").next_run_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    ws.start_scheduler()
    try:
        while (ws.runs("sleep-job")["status"] == "running").sum() == 0:
            time.sleep(0.05)
        t0 = time.perf_counter()
        note = ws.stop_scheduler().note
        took = time.perf_counter() - t0
    finally:
        if ws.scheduler_status().running:  # only if the measured stop failed
            ws.stop_scheduler(timeout=5)
    run = ws.runs("sleep-job").iloc[0]
    print(f"scheduler stop during a {seconds:g} s run: {took:.2f} s, {note}; the run {run['status']}"
          + (f" ({run['error'][:60]}…)" if run["error"] else ""))


def endpoint_stop(root: Path) -> None:
    import numpy as np
    import pandas as pd
    import psutil
    from sklearn.linear_model import LogisticRegression

    from jupyter_mlops import Workspace

    ws = Workspace(root / "serving" / ".mlops")
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = (X.a > 0).astype(int)
    ws.register(LogisticRegression().fit(X, y), "m", data=X, target=y)
    for name in ("orphaned", "stopped"):
        ep = ws.deploy("m:1", name, workers=2)
        try:
            workers = [psutil.Process(p) for p in ws._serving._server_info(name)["worker_pids"]]
            t0 = time.perf_counter()
            os.kill(ep.pid, signal.SIGKILL)
            if name == "orphaned":
                _, alive = psutil.wait_procs(workers, timeout=60)
                print(f"workers=2, supervisor SIGKILLed, no stop: workers gone after {time.perf_counter() - t0:.2f} s"
                      f" ({len(alive)} still alive)")
                continue
            psutil.wait_procs([psutil.Process(ep.pid)], timeout=10)
            t1 = time.perf_counter()
            ws.stop(name)
            alive = [p.pid for p in workers if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
            print(f"workers=2, supervisor SIGKILLed, then ws.stop: {time.perf_counter() - t1:.2f} s, "
                  f"{len(alive)} still alive; {ws.endpoint(name).info().status_reason}")
        finally:
            ws.stop(name, timeout=5)  # whatever is left of the endpoint, by its process group


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run-seconds", type=float, default=8, help="the run that ends within the grace")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        plugins = root / "plugins"
        plugins.mkdir()
        install_sleep_kind(plugins)
        print("load average %.2f %.2f %.2f" % os.getloadavg())
        scheduler_stop(root, args.run_seconds)
        scheduler_stop(root, 600)
        endpoint_stop(root)
        print("load average %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
