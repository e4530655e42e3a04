"""Body formats on one endpoint: the same rows sent as CSV, a JSON array, MLflow's
``dataframe_split`` and NPY to the SageMaker runtime route, and as V2 tensors asking for the
predictions alone or with the probabilities; sequential requests over one keep-alive connection
(httpx), p50 latency and requests per second each, and the load average before and after.

    python benchmarks/body_formats.py [--requests 2000] [--rows 1,100]

The endpoint serves a LogisticRegression on 20 features (one worker, metrics on, no capture),
started and stopped through a throwaway workspace.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import orjson
import pandas as pd


def bodies(X: pd.DataFrame) -> dict[str, tuple[str, str, bytes]]:
    """format -> (path, content type, body)."""
    npy = io.BytesIO()
    np.save(npy, X.to_numpy())

    def v2(outputs):
        return orjson.dumps({"inputs": [{"name": "input-0", "shape": list(X.shape), "datatype": "FP64",
                                         "data": X.to_numpy().ravel().tolist()}],
                             "outputs": [{"name": n} for n in outputs]})

    runtime = "/endpoints/bench/invocations"
    return {
        "CSV": (runtime, "text/csv", X.to_csv(index=False, header=False).encode()),
        "JSON array": (runtime, "application/json", orjson.dumps(X.to_numpy().tolist())),
        "JSON dataframe_split": (runtime, "application/json", orjson.dumps(
            {"dataframe_split": {"columns": list(X.columns), "data": X.to_numpy().tolist()}})),
        "NPY": (runtime, "application/x-npy", npy.getvalue()),
        "V2 predictions": ("/v2/models/bench/infer", "application/json", v2(["predictions"])),
        "V2 predictions + probabilities": ("/v2/models/bench/infer", "application/json",
                                           v2(["predictions", "probabilities"])),
    }


def measure(client: httpx.Client, url: str, path: str, ctype: str, body: bytes, n: int) -> tuple[float, float]:
    accept = "application/x-npy" if ctype == "application/x-npy" else "application/json"
    headers = {"content-type": ctype, "accept": accept}
    for _ in range(50):  # warm up
        client.post(url + path, content=body, headers=headers).raise_for_status()
    times = []
    start = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        client.post(url + path, content=body, headers=headers).raise_for_status()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, n / (time.perf_counter() - start)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    from jupyter_mlops import Workspace

    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rows", default="1,100")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(2000, 20)), columns=[f"f{i}" for i in range(20)])
    y = (X.f0 + X.f1 > 0).astype(int)
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace(Path(tmp) / ".mlops")
        ws.register(LogisticRegression(max_iter=500).fit(X, y), "bench", data=X, target=y)
        ep = ws.deploy("bench:1", "bench")
        print(f"load average before: {load()}")
        try:
            with httpx.Client(timeout=30) as client:
                print("| format | rows | p50 | req/s |\n|---|---|---|---|")
                for rows in (int(r) for r in args.rows.split(",")):
                    for name, (path, ctype, body) in bodies(X.head(rows)).items():
                        p50, rate = measure(client, ep.url, path, ctype, body, args.requests)
                        print(f"| {name} | {rows} | {p50:.2f} ms | {rate:,.0f} |")
        finally:
            print(f"load average after: {load()}")
            ws.stop("bench")


if __name__ == "__main__":
    main()
