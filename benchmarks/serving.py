"""Serving benchmark: the same fitted models served by jupyter_mlops, by MLflow's scoring server
(``mlflow models serve --env-manager local``) and by a bare Starlette + uvicorn app that only parses
JSON and calls ``predict`` (uvloop, httptools, no access log: the floor for a Python HTTP server),
driven by the same load generator (wrk with a Lua POST script when installed, else an asyncio
httpx client), 1-row and 100-row requests at concurrency 1 and 16, plus the in-process ``predict``
floor. Everything runs in one go and prints req/s, p50, p99 and the ratios.

    python benchmarks/serving.py [--duration 5] [--models lr,rf] [--rows 1,100] [--conc 1,16]

Ours runs with every feature on: two variants routed 50/50, metrics, data capture at 100%.
MLflow runs in benchmarks/.venv-mlflow (created on first use, same scikit-learn).

Tree models (rf) also get the compiled-tree rows: ``ours`` serves the forest through its proven
compiled form (ONNX Runtime, the default), ``ours-sklearn`` is the same deploy with
``compiled=False``, and ``in-process compiled`` is the compiled ``predict`` called directly. The
load average is printed at the start and the end: the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _venv  # noqa: E402

BARE_APP = textwrap.dedent("""
    import os, pickle, warnings
    import numpy as np, orjson
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    with open(os.environ["BENCH_MODEL"], "rb") as fh:
        model = pickle.load(fh)
    warnings.filterwarnings("ignore", message="X does not have valid feature names")

    async def ping(request):
        return Response(b"", media_type="application/json")

    async def invocations(request: Request):
        doc = orjson.loads(await request.body())
        x = np.asarray(doc["dataframe_split"]["data"], dtype=np.float64)
        return Response(orjson.dumps({"predictions": model.predict(x)},
                                     option=orjson.OPT_SERIALIZE_NUMPY),
                        media_type="application/json")

    app = Starlette(routes=[Route("/ping", ping), Route("/invocations", invocations, methods=["POST"])])
""")

MLFLOW_SAVE = textwrap.dedent("""
    import pickle, sys, warnings, logging
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import mlflow.sklearn
    with open(sys.argv[1], "rb") as fh:
        model = pickle.load(fh)
    mlflow.sklearn.save_model(model, sys.argv[2], skops_trusted_types=["sklearn.tree._tree.Tree"])
""")

WRK_LUA = textwrap.dedent("""
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    local f = io.open(os.getenv("BENCH_BODY"), "rb")
    wrk.body = f:read("*all")
    f:close()
""")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 120) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/ping", timeout=2) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{url} not healthy after {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()


# -- load generation ----------------------------------------------------------------------------

def run_wrk(url: str, body_file: Path, conc: int, duration: float, lua: Path) -> dict:
    threads = 1 if conc == 1 else 2
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{conc}", f"-d{duration:g}s", "--latency",
                          "-s", str(lua), url + "/invocations"], capture_output=True, text=True,
                         env={**os.environ, "BENCH_BODY": str(body_file)}).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {m.group(1): _ms(m.group(2)) for m in re.finditer(r"\s(50|99)%\s+([\d.]+\w+)", out)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock_err = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": lat.get("50"), "p99": lat.get("99"),
            "errors": int(errors.group(1)) if errors else 0,
            "socket_errors": sock_err.group(1) if sock_err else None}


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_httpx(url: str, body_file: Path, conc: int, duration: float) -> dict:
    import asyncio

    import httpx

    body = body_file.read_bytes()

    async def main():
        lat, errors = [], 0
        async with httpx.AsyncClient(limits=httpx.Limits(max_connections=conc)) as client:
            end = time.perf_counter() + duration

            async def worker():
                nonlocal errors
                while time.perf_counter() < end:
                    t = time.perf_counter()
                    r = await client.post(url + "/invocations", content=body,
                                          headers={"content-type": "application/json"})
                    lat.append(time.perf_counter() - t)
                    errors += r.status_code != 200
            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(conc)))
            return lat, errors, time.perf_counter() - t0

    lat, errors, elapsed = asyncio.run(main())
    lat.sort()
    return {"rps": len(lat) / elapsed, "p50": lat[len(lat) // 2] * 1000,
            "p99": lat[int(len(lat) * 0.99)] * 1000, "errors": errors, "socket_errors": None}


# -- the servers -------------------------------------------------------------------------------

def start_ours(ws, ref: str, name: str, compiled: bool = True):
    t0 = time.perf_counter()
    ep = ws.deploy(ref, name, capture=100, compiled=compiled)
    healthy = time.perf_counter() - t0
    ws.deploy(ref, name, strategy="ab", percent=50, variant=f"{name}-b",  # routing on: 50/50
              compiled=compiled)
    print(f"{name}: compiled: {[v.get('compiled') for v in ws.endpoint(name).variants]}", flush=True)
    return ep.url, healthy


def start_bare(model_file: Path, workdir: Path):
    (workdir / "bare_app.py").write_text(BARE_APP)
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "bare_app:app", "--host", "127.0.0.1",
                             "--port", str(port), "--loop", "uvloop", "--http", "httptools",
                             "--no-access-log", "--log-level", "warning"], cwd=workdir,
                            env={**os.environ, "BENCH_MODEL": str(model_file)})
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, proc)
    return url, time.perf_counter() - t0, proc


def start_mlflow(mlflow_python: Path, model_file: Path, workdir: Path, tag: str):
    model_dir = workdir / f"mlflow-{tag}"
    if model_dir.exists():
        shutil.rmtree(model_dir)
    subprocess.run([str(mlflow_python), "-c", MLFLOW_SAVE, str(model_file), str(model_dir)],
                   check=True)
    port = free_port()
    bin_dir = str(mlflow_python.parent)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(Path(bin_dir) / "mlflow"), "models", "serve", "-m", str(model_dir),
                             "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, proc)
    return url, time.perf_counter() - t0, proc


def stop_group(proc: subprocess.Popen) -> None:
    """mlflow models serve execs uvicorn workers in its own session: stop that group by its pid."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# -- main --------------------------------------------------------------------------------------

def in_process_floor(model, X, rows: int, repeat: int = 2000, predict=None) -> dict:
    import warnings

    # the floor calls predict on an ndarray, as the bare app does; sklearn would warn every time
    warnings.filterwarnings("ignore", message="X does not have valid feature names")
    predict = predict or model.predict
    x = X[:rows]
    predict(x)
    times = []
    for _ in range(repeat if rows == 1 else repeat // 4):
        t = time.perf_counter()
        predict(x)
        times.append(time.perf_counter() - t)
    times.sort()
    return {"rps": 1 / statistics.mean(times), "p50": times[len(times) // 2] * 1000,
            "p99": times[int(len(times) * 0.99)] * 1000, "errors": 0}


def compiled_predictor(model, X):
    """The compiled form the endpoint would use (None when onnxruntime is missing or refused)."""
    from jupyter_mlops._core.serving.inference.compiled_trees import compile_model

    compiled, status, _ = compile_model(model, X[:5])
    print(f"in-process compiled: {status}", flush=True)
    return compiled


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--models", default="lr,rf")
    parser.add_argument("--rows", default="1,100")
    parser.add_argument("--conc", default="1,16")
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument("--loadgen", choices=["auto", "wrk", "httpx"], default="auto")
    args = parser.parse_args()

    import pandas as pd
    import sklearn
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression

    import jupyter_mlops as mlops

    X, y = make_classification(n_samples=2000, n_features=20, random_state=0)
    cols = [f"f{i}" for i in range(20)]
    df = pd.DataFrame(X, columns=cols)
    models = {"lr": LogisticRegression(max_iter=1000).fit(df, y),
              "rf": RandomForestClassifier(n_estimators=50, random_state=0).fit(df, y)}
    wanted_models = args.models.split(",")
    rows_list = [int(r) for r in args.rows.split(",")]
    concs = [int(c) for c in args.conc.split(",")]
    use_wrk = args.loadgen == "wrk" or (args.loadgen == "auto" and shutil.which("wrk"))
    loadgen = "wrk" if use_wrk else "asyncio httpx client"
    mlflow_python = None if args.skip_mlflow else _venv.ensure(
        "mlflow", ["mlflow==3.17.2", f"scikit-learn=={sklearn.__version__}"])

    load_before = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="mlops-bench-"))
    lua = workdir / "post.lua"
    lua.write_text(WRK_LUA)
    bodies = {}
    for rows in rows_list:
        bodies[rows] = workdir / f"body-{rows}.json"
        bodies[rows].write_text(json.dumps({"dataframe_split": {"columns": cols,
                                                                "data": X[:rows].tolist()}}))
    ws = mlops.Workspace(workdir / ".mlops")
    results, health = [], {}
    procs = []
    try:
        for key in wanted_models:
            model = models[key]
            model_file = workdir / f"{key}.pkl"
            model_file.write_bytes(pickle.dumps(model))
            ws.register(model, key, data=df, target=pd.Series(y, name="y"))
            servers = {}
            url, healthy = start_ours(ws, f"{key}:1", f"bench-{key}")
            servers["ours"], health[("ours", key)] = url, healthy
            compiled = compiled_predictor(model, X) if key == "rf" else None
            if compiled is not None:  # the same deploy without the compiled form
                url, healthy = start_ours(ws, f"{key}:1", f"bench-{key}-sklearn", compiled=False)
                servers["ours-sklearn"], health[("ours-sklearn", key)] = url, healthy
            url, healthy, proc = start_bare(model_file, workdir)
            procs.append((proc, stop))
            servers["bare"], health[("bare", key)] = url, healthy
            if mlflow_python:
                url, healthy, proc = start_mlflow(mlflow_python, model_file, workdir, key)
                procs.append((proc, stop_group))
                servers["mlflow"], health[("mlflow", key)] = url, healthy
            for rows in rows_list:
                floor = in_process_floor(model, X, rows)
                results.append({"model": key, "rows": rows, "conc": "-", "server": "in-process",
                                **floor})
                if compiled is not None:
                    results.append({"model": key, "rows": rows, "conc": "-",
                                    "server": "in-process compiled",
                                    **in_process_floor(model, X, rows, predict=compiled.predict)})
                for conc in concs:
                    for server, url in servers.items():
                        # warm up (and check the answer is a prediction)
                        req = urllib.request.Request(url + "/invocations", data=bodies[rows].read_bytes(),
                                                     headers={"Content-Type": "application/json"})
                        with urllib.request.urlopen(req, timeout=30) as r:
                            assert "predictions" in json.loads(r.read())
                        run = (run_wrk(url, bodies[rows], conc, args.duration, lua) if use_wrk
                               else run_httpx(url, bodies[rows], conc, args.duration))
                        results.append({"model": key, "rows": rows, "conc": conc, "server": server,
                                        **run})
                        print(f"{key} rows={rows} c={conc} {server:7s} {run['rps']:9.0f} req/s "
                              f"p50 {run['p50']:.2f} ms p99 {run['p99']:.2f} ms "
                              f"errors {run['errors']}", flush=True)
            ws.stop(f"bench-{key}")
            if compiled is not None:
                ws.stop(f"bench-{key}-sklearn")
            for proc, how in procs:
                how(proc)
            procs.clear()
    finally:
        for proc, how in procs:
            how(proc)
        for name in ws.endpoints()["name"] if (workdir / ".mlops").exists() else []:
            try:
                ws.stop(name)
            except Exception:
                pass
    report(results, health, loadgen, args)
    print(f"\nload average (1, 5, 15 min): at start {load_before[0]:.2f} {load_before[1]:.2f} "
          f"{load_before[2]:.2f}, at end " + " ".join(f"{v:.2f}" for v in os.getloadavg()))
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def report(results, health, loadgen, args) -> None:
    import pandas as pd

    df = pd.DataFrame(results)
    print(f"\nload generator: {loadgen}, {args.duration:g} s per cell; machine: {os.cpu_count()} "
          f"cores (shared)")
    print("\n== req/s, p50 ms, p99 ms ==")
    with pd.option_context("display.width", 200, "display.max_rows", 200):
        print(df[["model", "rows", "conc", "server", "rps", "p50", "p99", "errors"]]
              .round({"rps": 0, "p50": 2, "p99": 2}).to_string(index=False))
    print("\n== ratios (ours vs others) ==")
    lines = []
    for (model, rows, conc), g in df[df.conc != "-"].groupby(["model", "rows", "conc"]):
        by = g.set_index("server")
        ours = by.loc["ours"]
        parts = [f"{model} rows={rows} c={conc}:"]
        if "mlflow" in by.index:
            m = by.loc["mlflow"]
            parts.append(f"throughput x{ours.rps / m.rps:.1f} vs MLflow, p99 {ours.p99 / m.p99:.2f}"
                         f" of MLflow's")
        if "bare" in by.index:
            parts.append(f"{ours.rps / by.loc['bare'].rps:.2f}x the bare app")
        if "ours-sklearn" in by.index:
            parts.append(f"{ours.rps / by.loc['ours-sklearn'].rps:.1f}x ours without compiling")
        lines.append(" ".join(parts))
    print("\n".join(lines))
    print("\n== launch to healthy /ping (s) ==")
    for (server, model), s in sorted(health.items()):
        print(f"{server:7s} {model}: {s:.2f}")


if __name__ == "__main__":
    sys.exit(main())
