"""Retraining benchmark: what ``ws.retrain`` costs over papermill itself, and what the scheduler
daemon costs while it waits.

* ``ws.retrain`` against a bare ``papermill.execute_notebook`` of the same notebook
  (notebooks/train_churn.ipynb, same parameters, same kernel), alternated in one process after a
  warm-up of each, median of ``--repeat``. Both register a version in the same workspace; the
  difference is the run's own work (the checks before it, the run's rows, the output notebook
  and outputs kept as artifacts, finding the versions it registered). Goal: under 10% or 0.5 s.
* The scheduler daemon idle with a retraining schedule (cron, not due): its CPU share over
  ``--idle-seconds`` and its memory (RSS, USS).

    python benchmarks/retrain.py [--repeat 5] [--idle-seconds 30]

Every process it starts (kernels by papermill, the daemon) is stopped by it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "train_churn.ipynb"
PARAMETERS = {"rows": 2000, "max_depth": 4, "n_estimators": 50}


def retrain_overhead(home: Path, repeat: int) -> dict:
    import papermill

    from jupyter_mlops import Workspace

    os.environ["MLOPS_HOME"] = str(home)  # the bare run's notebook registers into the same workspace
    ws = Workspace(home)
    home.parent.mkdir(parents=True, exist_ok=True)
    out = home.parent / "bare-output.ipynb"

    def bare() -> float:
        t0 = time.perf_counter()
        papermill.execute_notebook(str(NOTEBOOK), str(out), parameters=PARAMETERS, kernel_name="python3",
                                   progress_bar=False, cwd=str(NOTEBOOK.parent))
        return time.perf_counter() - t0

    def ours() -> float:
        t0 = time.perf_counter()
        run = ws.retrain("churn", str(NOTEBOOK), parameters=PARAMETERS)
        took = time.perf_counter() - t0
        assert run.status == "succeeded", run
        return took

    def checks() -> float:
        t0 = time.perf_counter()
        ws._pipelines._plan("retrain", "churn", [str(NOTEBOOK)], PARAMETERS, None, None, None, 0, None, None, False)
        return time.perf_counter() - t0

    bare(), ours()  # warm-up: imports, the database, the kernel's first start
    times: dict[str, list[float]] = {"bare": [], "ours": [], "checks": []}
    for i in range(repeat):
        # pairs in alternating order, so that neither always runs first after the other
        for name, run in (("bare", bare), ("ours", ours)) if i % 2 == 0 else (("ours", ours), ("bare", bare)):
            times[name].append(run())
        times["checks"].append(checks())
    paired = statistics.median(o - b for o, b in zip(times["ours"], times["bare"]))
    return {k: statistics.median(v) for k, v in times.items()} | {"samples": times, "paired": paired}


def daemon_idle(home: Path, seconds: float) -> dict:
    import psutil

    from jupyter_mlops import Workspace

    ws = Workspace(home)
    ws.schedule("churn", str(NOTEBOOK), cron="0 3 * * *", timezone="UTC", parameters=PARAMETERS)
    status = ws.start_scheduler()
    proc = psutil.Process(status.pid)
    try:
        time.sleep(5)  # past its start: imports, the first sync
        cpu0, t0 = proc.cpu_times(), time.monotonic()
        time.sleep(seconds)
        cpu1, t1 = proc.cpu_times(), time.monotonic()
        memory = proc.memory_full_info()
    finally:
        ws.stop_scheduler()
        if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
            proc.kill()
    busy = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    return {"cpu_percent": 100 * busy / (t1 - t0), "rss_mb": memory.rss / 2**20, "uss_mb": memory.uss / 2**20,
            "seconds": t1 - t0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--idle-seconds", type=float, default=30)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mlops-bench-retrain-"))
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)

    r = retrain_overhead(root / "overhead" / ".mlops", args.repeat)
    extra = r["paired"]
    print(f"\nws.retrain vs papermill.execute_notebook, {NOTEBOOK.name} {PARAMETERS}, median of {args.repeat}:")
    print(f"  papermill.execute_notebook  {r['bare']:.3f} s   ({', '.join(f'{t:.2f}' for t in r['samples']['bare'])})")
    print(f"  ws.retrain                  {r['ours']:.3f} s   ({', '.join(f'{t:.2f}' for t in r['samples']['ours'])})")
    print(f"  overhead (median of the pairs' differences) {extra:+.3f} s ({100 * extra / r['bare']:+.1f}%)"
          f"   goal: under 10% or 0.5 s -> {'met' if extra < 0.5 or extra < 0.1 * r['bare'] else 'NOT met'}")
    print(f"  of which the checks before the run (read, hash, inspect parameters): {1000 * r['checks']:.1f} ms")

    d = daemon_idle(root / "idle" / ".mlops", args.idle_seconds)
    print(f"\nscheduler daemon idle with a retrain schedule, over {d['seconds']:.0f} s:")
    print(f"  CPU {d['cpu_percent']:.2f}% of one core, RSS {d['rss_mb']:.0f} MB, USS {d['uss_mb']:.0f} MB")
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    sys.exit(main())
