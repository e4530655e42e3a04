"""Batch transform benchmark: rows/s of ``ws.batch`` on a 1,000,000-row CSV against the
in-process floor (read the whole file, one ``predict``, write, in one process) and against pandas
``read_csv(chunksize)`` + ``predict`` + ``to_csv`` by hand, in one run. Each method runs in its own
Python process so that its peak RSS (getrusage, the process and its workers) is its own.

    python benchmarks/batch.py [--rows 1000000] [--chunk-rows 100000] [--workers 1,2]

``ws.batch`` runs twice in its process: the 1st call includes loading, hash-checking and
smoke-testing the model (and the imports it brings); the 2nd is comparable with the floor, whose
model is loaded before its clock starts. Goal (issue 12): ``ws.batch`` with 2 workers at least 0.9x the floor. The load average is printed
at the start and the end: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FEATURES = ["tenure", "monthly", "support_calls"]


def make_data(folder: Path, rows: int) -> Path:
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from jupyter_mlops import Workspace

    rng = np.random.default_rng(3)
    X = pd.DataFrame({"tenure": rng.integers(0, 72, 10_000).astype(float),
                      "monthly": rng.normal(70, 20, 10_000).round(4),
                      "support_calls": rng.poisson(2, 10_000).astype(float)})
    y = ((X.support_calls * 0.8 - X.tenure * 0.05 + rng.normal(0, 1, len(X))) > 0).astype(int)
    ws = Workspace(folder / "home")
    ws.register(LogisticRegression(max_iter=500).fit(X, y), "churn", data=X, target=y)
    block = X.to_csv(index=False, header=False).encode()
    path = folder / "in.csv"
    with open(path, "wb") as fh:
        fh.write((",".join(FEATURES) + "\n").encode())
        for _ in range(rows // len(X)):
            fh.write(block)
    return path


def run_one(method: str, folder: Path, chunk_rows: int, workers: int) -> dict:
    import pandas as pd

    from jupyter_mlops import Workspace

    ws = Workspace(folder / "home")
    source, t0 = folder / "in.csv", time.perf_counter()
    if method == "floor":
        model = ws.load("churn:1")
        t0 = time.perf_counter()
        frame = pd.read_csv(source)
        frame["prediction"] = model.predict(frame[FEATURES])
        frame.to_csv(folder / f"{method}.csv", index=False)
        rows = len(frame)
    elif method == "pandas-chunks":
        model = ws.load("churn:1")
        t0 = time.perf_counter()
        rows = 0
        with open(folder / f"{method}.csv", "w") as out:
            for i, frame in enumerate(pd.read_csv(source, chunksize=chunk_rows)):
                frame["prediction"] = model.predict(frame[FEATURES])
                frame.to_csv(out, index=False, header=i == 0)
                rows += len(frame)
    else:
        ws.load("churn:1")  # as for the floor: scikit-learn imported before the clock starts
        t0 = time.perf_counter()
        job = ws.batch("churn:1", str(source), str(folder / f"{method}-cold"), chunk_rows=chunk_rows,
                       workers=workers, progress=False)
        cold = time.perf_counter() - t0
        # again in the same process: the model loaded, hash-checked and smoke-tested, imports
        # done, as the floor's model is (it is loaded before its clock starts)
        t0 = time.perf_counter()
        job = ws.batch("churn:1", str(source), str(folder / f"{method}-warm"), chunk_rows=chunk_rows,
                       workers=workers, progress=False)
        rows = job.rows
    seconds = time.perf_counter() - t0
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return {"method": method, "rows": rows, "seconds": seconds, "rows_per_s": rows / seconds,
            "peak_rss_mb": peak_kb / 1024, "cold_seconds": cold if method.startswith("ws") else None}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=100_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        method, _, workers = args.one.partition(":")
        print(json.dumps(run_one(method, Path(args.folder), args.chunk_rows, int(workers or 1))))
        return
    print(f"load average at start: {os.getloadavg()} ({os.cpu_count()} CPUs, possibly shared)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = make_data(folder, args.rows)
        print(f"input: {source.stat().st_size / 2**20:.0f} MB CSV, {args.rows:,} rows; "
              f"chunk_rows={args.chunk_rows:,}")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
        methods = ["floor", "pandas-chunks"] + [f"ws.batch:{w}" for w in args.workers.split(",")]
        results = []
        for method in methods:
            out = subprocess.run([sys.executable, __file__, "--one", method, "--folder", str(folder),
                                  "--chunk-rows", str(args.chunk_rows)], env=env, check=True,
                                 capture_output=True, text=True).stdout
            result = json.loads(out.strip().splitlines()[-1])
            result["method"] = method.replace(":", " workers=")
            if result["cold_seconds"]:
                results.append({**result, "method": result["method"] + " (1st)",
                                "seconds": result["cold_seconds"],
                                "rows_per_s": result["rows"] / result["cold_seconds"]})
                result["method"] += " (2nd)"
            results.append(result)
        floor = results[0]["rows_per_s"]
        print(f"{'method':<28}{'rows':>10}{'seconds':>9}{'rows/s':>12}{'x floor':>9}{'peak RSS':>11}")
        for r in results:
            print(f"{r['method']:<28}{r['rows']:>10,}{r['seconds']:>9.2f}{r['rows_per_s']:>12,.0f}"
                  f"{r['rows_per_s'] / floor:>9.2f}{r['peak_rss_mb']:>8.0f} MB")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
