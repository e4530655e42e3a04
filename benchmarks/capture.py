"""Data capture benchmark: what capture at 100% costs in serving throughput, and how many captured
records a SIGKILL of the endpoint loses.

    python benchmarks/capture.py [--duration 5] [--rounds 3] [--requests 10000] [--before REV]

Throughput: two one-worker endpoints on the same LogisticRegression (20 features, 1-row JSON
bodies), capture at 0% and at 100%, driven by wrk at concurrency 16 in alternating rounds (so a
change in the shared machine's load hits both); the median of the rounds, side by side, in req/s
and in the endpoint process's CPU time per request (user + system, which the load of other work
on the machine moves far less than req/s).

Writer cost: the capture writer alone, in this process: 100,000 records of that request put as
fast as possible and written out, the process CPU time (every thread) per record; with
``--before REV``, the same for the writer of git revision REV (``git show REV:…/capture.py``),
side by side in alternating rounds.

Loss: requests as fast as one client process can send them (16 keep-alive connections, raw
HTTP/1.1, each request with its own InferenceId: the test suite's ``fire`` in
``tests/serving/endpoints.py``) to a fresh endpoint capturing 100%, a SIGKILL of the endpoint once
``--requests`` answers arrived (the load still at full speed), then the captured files are read:
every InferenceId that got a 200 and is not on disk is a lost record.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serving import WRK_LUA, run_wrk  # noqa: E402

CONCURRENCY = 16
ROOT = Path(__file__).resolve().parent.parent


def _test_helpers():
    name = "mlops_test_endpoints"
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests/serving/endpoints.py")
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_average() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def throughput(ws, body: Path, lua: Path, duration: float, rounds: int) -> dict[int, dict]:
    """req/s and the endpoint's CPU time per request, at capture 0% and 100%. On a shared machine
    the CPU time per request moves much less than req/s with the load others put on it."""
    import psutil

    endpoints = {pct: ws.deploy("bench:1", f"capture-{pct}", capture=pct) for pct in (0, 100)}
    runs: dict[int, dict] = {0: {"rps": [], "cpu_us": []}, 100: {"rps": [], "cpu_us": []}}
    for ep in endpoints.values():  # warm up
        run_wrk(ep.url, body, CONCURRENCY, 1, lua)
    for r in range(rounds):
        for pct in ((0, 100) if r % 2 == 0 else (100, 0)):
            process = psutil.Process(endpoints[pct].pid)
            before = sum(process.cpu_times()[:2])
            run = run_wrk(endpoints[pct].url, body, CONCURRENCY, duration, lua)
            cpu_us = (sum(process.cpu_times()[:2]) - before) / (run["rps"] * duration) * 1e6
            runs[pct]["rps"].append(run["rps"])
            runs[pct]["cpu_us"].append(cpu_us)
            print(f"round {r + 1} capture {pct:3d}%: {run['rps']:8.0f} req/s  {cpu_us:6.1f} us CPU "
                  f"per request  p99 {run['p99']:.2f} ms  errors {run['errors']}  "
                  f"load average {load_average()}", flush=True)
    for pct in endpoints:
        ws.stop(f"capture-{pct}")
    return runs


def writer_class(revision: str | None):
    """The CaptureWriter of this checkout, or of git revision ``revision``."""
    from jupyter_mlops._core.serving.endpoint import capture

    if revision is None:
        return capture.CaptureWriter
    source = subprocess.run(["git", "show", f"{revision}:jupyter_mlops/_core/serving/endpoint/"
                             "capture.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    name = "jupyter_mlops._core.serving.endpoint._capture_before"  # its relative imports resolve
    module = sys.modules[name] = type(capture)(name)
    module.__package__ = "jupyter_mlops._core.serving.endpoint"
    exec(compile(source.stdout, f"{revision}:capture.py", "exec"), module.__dict__)
    return module.CaptureWriter


def writer_cost(cls, body: bytes, n: int = 100_000) -> float:
    """Process CPU microseconds per record: puts, encoding, writing, all threads."""
    folder = tempfile.mkdtemp(prefix="mlops-capture-writer-")
    try:
        writer = cls(folder, 0).start()
        answer = b'{"predictions":[1]}'
        t0 = time.process_time()
        for i in range(n):
            writer.put("bench-v1", "application/json", body, "application/json", answer, f"r{i}")
        writer.close(timeout=120)
        return (time.process_time() - t0) / n * 1e6
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def captured_ids(folder: Path) -> set[str]:
    ids = set()
    for path in folder.rglob("*.jsonl"):
        for line in path.read_bytes().splitlines():
            try:
                ids.add(json.loads(line)["eventMetadata"]["inferenceId"])
            except (ValueError, KeyError):
                continue  # a line cut by the kill
    return ids


def loss_after_sigkill(ws, body: bytes, n: int) -> tuple[int, int, float]:
    ep = ws.deploy("bench:1", "capture-kill", capture=100)
    helpers = _test_helpers()
    t0 = time.perf_counter()
    answered = helpers.fire(ep.url, body, 2 * n, kill_pid=ep.pid, kill_after=n)
    seconds = time.perf_counter() - t0
    helpers.wait_dead(ep.pid)
    lost = len(answered - captured_ids(ws.home / "capture" / "capture-kill"))
    return len(answered), lost, len(answered) / seconds


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--before", help="a git revision whose capture writer to compare with")
    args = parser.parse_args()

    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    import jupyter_mlops as mlops

    X, y = make_classification(n_samples=2000, n_features=20, random_state=0)
    cols = [f"f{i}" for i in range(20)]
    df = pd.DataFrame(X, columns=cols)
    workdir = Path(tempfile.mkdtemp(prefix="mlops-capture-bench-"))
    body = workdir / "body.json"
    body.write_text(json.dumps({"dataframe_split": {"columns": cols, "data": X[:1].tolist()}}))
    lua = workdir / "post.lua"
    lua.write_text(WRK_LUA)
    ws = mlops.Workspace(workdir / ".mlops")
    try:
        ws.register(LogisticRegression(max_iter=1000).fit(df, y), "bench", data=df,
                    target=pd.Series(y, name="y"))
        print(f"load average before: {load_average()}", flush=True)
        runs = throughput(ws, body, lua, args.duration, args.rounds)
        writers = {"this checkout": writer_class(None)}
        if args.before:
            writers[args.before] = writer_class(args.before)
        costs: dict[str, list[float]] = {name: [] for name in writers}
        for r in range(args.rounds):
            for name, cls in (writers.items() if r % 2 == 0 else reversed(writers.items())):
                costs[name].append(writer_cost(cls, body.read_bytes()))
        answered, lost, rate = loss_after_sigkill(ws, body.read_bytes(), args.requests)
        print(f"load average after: {load_average()}")
        print(f"\n== wrk -c{CONCURRENCY}, {args.duration:g} s x {args.rounds} rounds, one worker, "
              f"median ==")
        med = {pct: {k: statistics.median(v) for k, v in r.items()} for pct, r in runs.items()}
        for pct in (0, 100):
            print(f"capture {pct:3d}%: {med[pct]['rps']:8.0f} req/s  {med[pct]['cpu_us']:6.1f} us "
                  "CPU per request")
        print(f"capture costs {med[100]['cpu_us'] - med[0]['cpu_us']:.1f} us CPU per request "
              f"({med[100]['cpu_us'] / med[0]['cpu_us'] - 1:+.1%}); req/s "
              f"{med[100]['rps'] / med[0]['rps'] - 1:+.1%}")
        print(f"\n== the capture writer alone, CPU per record, median of {args.rounds} ==")
        for name, values in costs.items():
            print(f"{name:>14}: {statistics.median(values):5.2f} us  "
                  f"({', '.join(f'{v:.2f}' for v in values)})")
        print("\n== SIGKILL under full-speed load, capture 100% ==")
        print(f"{answered} answered 200 at {rate:.0f} req/s, {lost} of them not on disk "
              f"({lost / max(answered, 1):.2%})")
    finally:
        for name in ws.endpoints()["name"]:
            try:
                ws.stop(name)
            except Exception:
                pass
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
