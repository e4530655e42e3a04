"""Replay, ground truth and gate benchmark: what they cost on a real endpoint's captured traffic.

* ``ws.replay``: a candidate LogisticRegression (20 features) run on N captured one-row requests,
  against the time to read the same window back with ``ws.captured`` (what a replay adds);
* ``ws.ground_truth``: N labels uploaded (validated, matched against the capture, written), and
  ``ws.captured(with_ground_truth=True)`` against ``ws.captured``;
* a gate parsed and evaluated against the registry.

    python benchmarks/replay.py [--requests 10000]

The endpoint it deploys is stopped (by its pid) at the end; the load average is printed with the
figures, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path


def timed(func, repeat: int = 3):
    """(the result of the last call, the median seconds of ``repeat`` calls)."""
    seconds, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = func()
        seconds.append(time.perf_counter() - t0)
    return result, sorted(seconds)[len(seconds) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    args = parser.parse_args()

    import httpx
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from jupyter_mlops import Workspace
    from jupyter_mlops._core.pipelines.gate import parse_gate

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(args.requests, 20)), columns=[f"x{i}" for i in range(20)])
    y = (X.x0 + 0.5 * X.x1 > 0).astype(int)
    shifted = (X.x0 + 0.5 * X.x1 + 0.3 * X.x2 > 0).astype(int)
    ws = Workspace(Path(tempfile.mkdtemp(prefix="bench-replay-")) / ".mlops")
    ws.register(LogisticRegression().fit(X, y), "churn", metrics={"auc": 0.90}, alias="production")
    ws.register(LogisticRegression().fit(X, shifted), "churn", metrics={"auc": 0.91})
    endpoint = ws.deploy("churn:1", "churn", capture=100)
    try:
        rows = X.to_numpy().tolist()
        with httpx.Client(base_url=endpoint.url, timeout=30) as client:
            for i, row in enumerate(rows):
                client.post("/invocations", json={"instances": [row]},
                            headers={"X-Amzn-SageMaker-Inference-Id": f"r-{i}"}).raise_for_status()
        while len(ws.captured("churn")) < args.requests:
            time.sleep(0.2)
        load = os.getloadavg()[0]
        _, read_s = timed(lambda: ws.captured("churn"))
        replay, replay_s = timed(lambda: ws.replay("churn:2", "churn"))
        labels = pd.DataFrame({"inference_id": [f"r-{i}" for i in range(args.requests)], "label": y.tolist()})
        upload, upload_s = timed(lambda: ws.ground_truth("churn", labels), repeat=1)
        merged, merged_s = timed(lambda: ws.captured("churn", with_ground_truth=True))
        gate = "auc >= production.auc - 0.005 and replay.agreement >= 0.95"
        verdict, gate_s = timed(lambda: parse_gate(gate).evaluate(ws.get("churn:2"), ws.registry, replay=replay), 20)
        load = max(load, os.getloadavg()[0])
    finally:
        ws.stop("churn")
    print(f"{args.requests:,} captured one-row requests, 20 features; load average {load:.2f}")
    print(f"ws.captured: {read_s:.2f} s; ws.replay: {replay_s:.2f} s "
          f"(+{replay_s - read_s:.2f} s; {replay.timed_requests:,} of {replay.requests:,} requests timed one by one, "
          "the rest predicted in bulk)")
    print(f"  agreement {replay.agreement:.4f}, changed {replay.changed_rows:,}, candidate p50 "
          f"{replay.candidate_p50_ms:.3f} ms, p99 {replay.candidate_p99_ms:.3f} ms per request")
    print(f"ws.ground_truth, {upload.labels:,} labels ({upload.matched:,} matched): {upload_s:.2f} s")
    print(f"ws.captured(with_ground_truth=True): {merged_s:.2f} s ({len(merged):,} rows; "
          f"+{merged_s - read_s:.2f} s over ws.captured)")
    print(f"gate parsed and evaluated: {gate_s * 1000:.2f} ms ({verdict.reason})")


if __name__ == "__main__":
    main()
