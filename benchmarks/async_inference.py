"""Asynchronous against direct invocation, both through boto3's ``sagemaker-runtime`` client on one
local endpoint (a LogisticRegression on three numeric columns), in one run:

- small requests: N requests of R rows, sequential ``invoke_endpoint`` against ``invoke_endpoint_async``
  for all of them (inputs already in files) then waiting until the last is done: requests/s, and
  the time to accept one async request (the durable, fsynced queue write);
- one large input: M rows as one async request (streamed in 1 MB chunks) against the same rows
  sent directly in bodies under the 6 MB payload limit: rows/s, and the endpoint's peak RSS during
  the async run (sampled every 20 ms) against its RSS before.

    python benchmarks/async_inference.py [--requests 300] [--rows 10] [--large-rows 1000000]
    python benchmarks/async_inference.py --requests 0 --large-rows 37000000 --no-direct   # ~1 GB

Run from the repository root (it imports this checkout). The load average is printed at the start
and the end: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def csv_of(X) -> str:
    return "\n".join(",".join(repr(float(v)) for v in row) for row in X.to_numpy().tolist()) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rows", type=int, default=10)
    parser.add_argument("--large-rows", type=int, default=1_000_000)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--no-direct", action="store_true",
                        help="large input: only the async run (the file is written by repeating "
                             "a block, never held whole)")
    args = parser.parse_args()

    import boto3
    from botocore.config import Config

    from serving.conftest import _stop_all, make_workspace

    print(f"load average at start: {os.getloadavg()}")
    tmp = Path(tempfile.mkdtemp(prefix="mlops-async-bench-"))
    ws = make_workspace(tmp / ".mlops")
    try:
        ep = ws.deploy("churn:1", "bench", async_concurrency=args.concurrency)
        smr = boto3.client("sagemaker-runtime", endpoint_url=ep.url, region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="x",
                           config=Config(retries={"total_max_attempts": 1}))
        X, _ = ws._test_data

        # -- small requests -------------------------------------------------------------------
        if args.requests:
            small_requests(args, ws, smr, X, tmp)
        large_input(args, ws, smr, X, tmp, ep)
    finally:
        _stop_all(ws)
        ws.store.dispose()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nload average at end: {os.getloadavg()}")
    return 0


def small_requests(args, ws, smr, X, tmp) -> None:
    bodies = []
    for i in range(args.requests):
        body = csv_of(X.sample(args.rows, replace=True, random_state=i))
        path = tmp / f"small-{i}.csv"
        path.write_text(body)
        bodies.append((path, body))
    for path, body in bodies[:20]:   # warm-up
        smr.invoke_endpoint(EndpointName="bench", Body=body, ContentType="text/csv")
    t0 = time.perf_counter()
    for _, body in bodies:
        smr.invoke_endpoint(EndpointName="bench", Body=body, ContentType="text/csv")["Body"].read()
    direct = time.perf_counter() - t0

    t0 = time.perf_counter()
    ids, accept = [], []
    for path, _ in bodies:
        ta = time.perf_counter()
        ids.append(smr.invoke_endpoint_async(EndpointName="bench", InputLocation=str(path),
                                             ContentType="text/csv")["InferenceId"])
        accept.append(time.perf_counter() - ta)
    submitted = time.perf_counter() - t0
    done = tmp / ".mlops" / "endpoints" / "bench" / "async" / "done"
    while len(os.listdir(done)) < len(ids):
        time.sleep(0.005)
    queued = time.perf_counter() - t0
    failed = [i for i in ids if ws.async_result("bench", i).status != "succeeded"]
    accept.sort()
    print(f"\nsmall requests: {args.requests} x {args.rows} rows, async_concurrency={args.concurrency}")
    print(f"  direct invoke_endpoint (sequential): {args.requests / direct:8.0f} req/s")
    print(f"  invoke_endpoint_async, all accepted: {args.requests / submitted:8.0f} req/s "
          f"(accept p50 {accept[len(accept) // 2] * 1000:.2f} ms, "
          f"p99 {accept[int(len(accept) * 0.99)] * 1000:.2f} ms)")
    print(f"  invoke_endpoint_async, all done:     {args.requests / queued:8.0f} req/s"
          f"  failed: {len(failed)}")


def large_input(args, ws, smr, X, tmp, ep) -> None:
    import psutil

    big_path = tmp / "large.csv"
    if args.no_direct:
        block = csv_of(X)
        with open(big_path, "w") as fh:
            for _ in range(args.large_rows // len(X)):
                fh.write(block)
        rows = args.large_rows // len(X) * len(X)
    else:
        rows = args.large_rows
        text = csv_of(X.sample(rows, replace=True, random_state=1))
        big_path.write_text(text)
    size_mb = big_path.stat().st_size / 1e6
    direct_big = None
    if not args.no_direct:
        pieces, piece, limit = [], [], 5_000_000
        size = 0
        for line in text.splitlines(keepends=True):
            if size + len(line) > limit:
                pieces.append("".join(piece))
                piece, size = [], 0
            piece.append(line)
            size += len(line)
        pieces.append("".join(piece))
        del text
        t0 = time.perf_counter()
        for body in pieces:
            smr.invoke_endpoint(EndpointName="bench", Body=body, ContentType="text/csv")["Body"].read()
        direct_big = time.perf_counter() - t0
        del pieces
    proc = psutil.Process(ep.pid)
    before = proc.memory_info().rss
    peak = [before]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    big_id = smr.invoke_endpoint_async(EndpointName="bench", InputLocation=str(big_path),
                                       ContentType="text/csv")["InferenceId"]
    while not ws.async_result("bench", big_id).done:
        time.sleep(0.01)
    async_big = time.perf_counter() - t0
    stop.set()
    sampler.join()
    result = ws.async_result("bench", big_id)
    print(f"\none large input: {rows} rows, {size_mb:.0f} MB CSV")
    if direct_big is not None:
        print(f"  direct, in 5 MB bodies:  {rows / direct_big:10.0f} rows/s")
    print(f"  one async request:       {rows / async_big:10.0f} rows/s  "
          f"({result.status}, {result.rows} rows, {async_big:.1f} s)")
    print(f"  endpoint RSS: {before / 1e6:.0f} MB before, peak {peak[0] / 1e6:.0f} MB during "
          f"the async run (+{(peak[0] - before) / 1e6:.0f} MB for a {size_mb:.0f} MB input)")


if __name__ == "__main__":
    sys.exit(main())
