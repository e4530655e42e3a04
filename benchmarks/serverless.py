"""Serverless endpoints: cold start time and idle against warm memory, for a LogisticRegression
(three numeric columns) and a 50-tree RandomForest on the same data, each its own endpoint.

For each model: deploy with ``serverless=True, idle=S``, send a request (warm), measure the RSS of
the endpoint's process tree (supervisor + workers, from /proc), wait until it goes cold, measure
again, then time ``--cold N`` cold requests as the client sees them (boto3 ``invoke_endpoint``,
from send to answer, the cold start included) next to the endpoint's own record of each cold
start (``ws.endpoint(E).info().serverless["last_cold_start_s"]``), and warm requests for comparison.

    python benchmarks/serverless.py [--idle 1] [--cold 5] [--workers 1]

Run from the repository root (it imports this checkout). The load average is printed at the start
and the end: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def tree_rss_mb(root: int) -> tuple[float, int]:
    """RSS of ``root`` and its descendants in MB, and how many processes that is."""
    from serving.test_serverless import rss_bytes, tree_pids

    pids = tree_pids(root)
    return sum(rss_bytes(p) for p in pids) / 2**20, len(pids)


def wait_cold(ws, name: str, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if (ws.endpoint(name).info().serverless or {}).get("state") == "cold":
            return
        time.sleep(0.05)
    raise SystemExit(f"{name} did not go cold within {timeout} s")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=float, default=1.0)
    parser.add_argument("--cold", type=int, default=5, help="cold starts timed per model")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    import boto3
    from botocore.config import Config
    from sklearn.ensemble import RandomForestClassifier

    from serving.conftest import _stop_all, make_workspace

    print(f"load average at start: {os.getloadavg()}")
    tmp = Path(tempfile.mkdtemp(prefix="mlops-serverless-bench-"))
    ws = make_workspace(tmp / ".mlops")
    X, y = ws._test_data
    ws.register(RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y), "forest",
                data=X, target=y)
    body = X.head(1).to_csv(index=False, header=False)
    rows = []
    try:
        for label, ref, name in (("LogisticRegression", "churn:1", "lr"),
                                 ("RandomForest, 50 trees", "forest:1", "rf50")):
            ep = ws.deploy(ref, name, serverless=True, idle=args.idle, workers=args.workers)
            smr = boto3.client("sagemaker-runtime", endpoint_url=ep.url, region_name="us-east-1",
                               aws_access_key_id="x", aws_secret_access_key="x",
                               config=Config(retries={"total_max_attempts": 1}, read_timeout=120))

            def call() -> float:
                t0 = time.perf_counter()
                r = smr.invoke_endpoint(EndpointName=name, Body=body, ContentType="text/csv")
                r["Body"].read()
                return time.perf_counter() - t0

            warm_lat = [call() for _ in range(20)]
            warm_rss, warm_procs = tree_rss_mb(ep.pid)
            wait_cold(ws, name)
            time.sleep(0.3)  # the released worker's exit is reaped
            cold_rss, cold_procs = tree_rss_mb(ep.pid)
            client_cold, recorded = [], []
            for _ in range(args.cold):
                wait_cold(ws, name)
                client_cold.append(call())
                recorded.append(ws.endpoint(name).info().serverless["last_cold_start_s"])
            rows.append((label, warm_rss, warm_procs, cold_rss, cold_procs,
                         statistics.median(warm_lat) * 1000, statistics.median(client_cold),
                         max(client_cold), statistics.median(recorded)))
            ws.stop(name)
    finally:
        _stop_all(ws)
        ws.store.dispose()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nserverless endpoints, idle {args.idle:g} s, {args.workers} worker(s), "
          f"{args.cold} cold starts each (boto3 invoke_endpoint, one CSV row)")
    print(f"{'model':24} {'warm RSS':>10} {'idle RSS':>10} {'warm p50':>9} "
          f"{'cold (client) p50':>18} {'max':>6} {'cold start (recorded) p50':>26}")
    for label, wr, wp, cr, cp, wl, cc, cmax, rec in rows:
        print(f"{label:24} {wr:7.1f} MB {cr:7.1f} MB {wl:6.2f} ms {cc:16.3f} s {cmax:5.2f}s "
              f"{rec:24.3f} s    ({wp} processes warm, {cp} idle)")
    print(f"\nload average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
