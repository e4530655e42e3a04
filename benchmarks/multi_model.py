"""Multi-model endpoint latency: 100 tiny LogisticRegression versions registered, served by one
multi-model endpoint keeping at most 10 loaded, requests sent one at a time with the TargetModel
header (one keep-alive connection, 2 rows of CSV each):

- first request of the process (it also imports scikit-learn's model classes), reported apart;
- cold: the first request to each of the other 99 models (load from the registry, hash check,
  smoke test, predict; each past the 10th evicts the least recently used);
- warm: requests cycling over the 10 loaded models;
- churn: round-robin over all 100 with 10 loaded: every request cold (the worst case of an LRU);
- a single-model endpoint's warm latency on the same model, as the reference.

Client-side latency (send to last byte), p50 and p99 in ms, plus the endpoint's own counts.

    python benchmarks/multi_model.py [--models 100] [--max-models 10] [--warm 2000]

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
sys.path[:0] = [str(ROOT)]

BODY = "0.5,0.5\n-0.5,0.1"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"p50 {statistics.median(ordered) * 1000:7.2f} ms   p99 {p99 * 1000:7.2f} ms   (n={len(ordered)})"


def timed(client, url: str, target: str | None) -> float:
    headers = {"content-type": "text/csv"}
    if target:
        headers["x-amzn-sagemaker-target-model"] = target
    t0 = time.perf_counter()
    r = client.post(url, content=BODY, headers=headers)
    elapsed = time.perf_counter() - t0
    if r.status_code != 200:
        raise RuntimeError(f"{target}: {r.status_code} {r.text}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=100)
    parser.add_argument("--max-models", type=int, default=10)
    parser.add_argument("--warm", type=int, default=2000)
    args = parser.parse_args()

    import httpx
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from jupyter_mlops import Workspace

    print(f"load average at start: {load_average()}")
    home = Path(tempfile.mkdtemp(prefix="mm-bench-")) / ".mlops"
    os.environ["MLOPS_HOME"] = str(home)
    ws = Workspace(home)
    try:
        X = pd.DataFrame({"x": np.linspace(-1, 1, 20), "z": np.linspace(0, 1, 20)})
        t0 = time.perf_counter()
        for i in range(1, args.models + 1):
            y = pd.Series(np.where(X.x > 0, 2 * i - 1, 2 * i - 2), name="label")
            ws.register(LogisticRegression().fit(X, y), "tiny", data=X, target=y)
        print(f"registered {args.models} versions in {time.perf_counter() - t0:.1f} s")
        refs = [f"tiny:{i}" for i in range(1, args.models + 1)]
        t0 = time.perf_counter()
        ep = ws.deploy(refs, "many", multi_model=True, max_models=args.max_models)
        print(f"multi-model deploy of {args.models} refs: {time.perf_counter() - t0:.2f} s")
        single = ws.deploy("tiny:1", "single")
        url = f"{ep.url}/endpoints/many/invocations"
        with httpx.Client(timeout=60) as client:
            first = timed(client, url, refs[0])
            cold = [timed(client, url, ref) for ref in refs[1:]]
            loaded = refs[-args.max_models:]
            warm = [timed(client, url, loaded[i % len(loaded)]) for i in range(args.warm)]
            churn = [timed(client, url, refs[i % len(refs)]) for i in range(len(refs))]
            single_url = f"{single.url}/endpoints/single/invocations"
            for _ in range(100):
                timed(client, single_url, None)
            reference = [timed(client, single_url, None) for _ in range(args.warm)]
        time.sleep(1.2)   # the worker's report is rewritten twice a second
        stats = ws.endpoint("many").info().multi_model
        print(f"first request of the process:   {first * 1000:7.2f} ms")
        print(f"cold (first use of a model):    {percentiles(cold)}")
        print(f"warm ({len(loaded)} loaded, cycling):     {percentiles(warm)}")
        print(f"churn (round-robin over {len(refs)}):  {percentiles(churn)}")
        print(f"single-model endpoint, warm:    {percentiles(reference)}")
        print(f"endpoint: loads {stats['loads']}, evictions {stats['evictions']}, hits {stats['hits']}, "
              f"loaded now {stats['loaded_now']}")
    finally:
        for name in ("many", "single"):
            try:
                ws.stop(name)
            except Exception:
                pass
        ws.store.dispose()
        shutil.rmtree(home.parent, ignore_errors=True)
        print(f"load average at end: {load_average()}")


if __name__ == "__main__":
    main()
