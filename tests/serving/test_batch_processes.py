"""Batch transform jobs as processes: worker processes keep input order, memory stays bounded
whatever the input's size, and a job killed (kill -9) halfway continues from its last finished
chunk when run again with its id and ``resume=True``, writing the very bytes an uninterrupted run
writes. Each job runs in its own Python process here, started and stopped by pid."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from jupyter_mlops._core.errors import InvalidInput
from jupyter_mlops._core.home import pythonpath_for_children

RUN_JOB = """
import json, resource, sys
from jupyter_mlops import Workspace
home, args = sys.argv[1], json.loads(sys.argv[2])
job = Workspace(home).batch(**args)
peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"id": job.id, "rows": job.rows, "peak_mb": peak_kb / 1024}))
"""


def start_job(home, **args) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": pythonpath_for_children(os.environ.get("PYTHONPATH")) or ""}
    return subprocess.Popen([sys.executable, "-c", RUN_JOB, str(home), json.dumps(args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_job(home, **args) -> dict:
    proc = start_job(home, **args)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(p) for p in fh.read().split()]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def write_csv(sws, path, copies: int) -> int:
    """``copies`` times the test rows, written block by block (never held whole)."""
    X, _ = sws._test_data
    block = X.to_csv(index=False, header=False).encode()
    with open(path, "wb") as fh:
        fh.write((",".join(X.columns) + "\n").encode())
        for _ in range(copies):
            fh.write(block)
    return copies * len(X)


def test_two_worker_processes_write_what_one_process_writes(sws, tmp_path):
    rows = write_csv(sws, tmp_path / "in.csv", 40)
    one = sws.batch("churn:1", str(tmp_path / "in.csv"), str(tmp_path / "one"), chunk_rows=997,
                    progress=False)
    two = sws.batch("churn:1", str(tmp_path / "in.csv"), str(tmp_path / "two"), chunk_rows=997,
                    workers=2, progress=False)
    assert one.rows == two.rows == rows
    assert (tmp_path / "one" / "in.csv.out").read_bytes() == (tmp_path / "two" / "in.csv.out").read_bytes()


def test_a_job_killed_halfway_resumes_from_its_last_finished_chunk(sws, tmp_path):
    rows = write_csv(sws, tmp_path / "in.csv", 700)   # 210,000 rows in 420 chunks
    args = dict(ref="churn:1", input=str(tmp_path / "in.csv"), chunk_rows=500, progress=False)
    home = os.environ["MLOPS_HOME"]
    whole = run_job(home, output=str(tmp_path / "whole"), job_id="whole", **args)
    parts = tmp_path / ".mlops" / "batch" / "killed" / "parts"
    proc = start_job(home, output=str(tmp_path / "resumed"), job_id="killed", workers=2, **args)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while (not parts.exists() or len(list(parts.glob("*[0-9]"))) < 20) and proc.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None, "the job ended before it could be killed"
        workers = children(proc.pid)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    try:
        assert len(workers) == 2
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(pid) for pid in workers), "the workers outlived their killed job"
    finally:
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    finished = len(list(parts.glob("*[0-9]")))
    assert 20 <= finished < 420 and not (tmp_path / "resumed" / "in.csv.out").exists()
    assert sws.batch_jobs().set_index("id").loc["killed", "status"] == "interrupted"

    resumed = sws.batch("churn:1", str(tmp_path / "in.csv"), str(tmp_path / "resumed"),
                        chunk_rows=500, job_id="killed", resume=True, progress=False)
    assert whole["rows"] == resumed.rows == rows and resumed.status == "done"
    assert (tmp_path / "resumed" / "in.csv.out").read_bytes() == \
        (tmp_path / "whole" / "in.csv.out").read_bytes()
    with pytest.raises(InvalidInput, match="is done already"):
        sws.batch("churn:1", str(tmp_path / "in.csv"), str(tmp_path / "resumed"), chunk_rows=500,
                  job_id="killed", resume=True, progress=False)


BUDGET_MB = 32  # memory a job may take beyond the same job on a tiny input


def test_an_input_four_times_the_memory_budget_stays_under_it(sws, tmp_path):
    """Peak RSS of the job's process and its worker processes (getrusage's max RSS, measured, not
    estimated): a 128 MB CSV costs less than BUDGET_MB more than a 12 kB one."""
    home = os.environ["MLOPS_HOME"]
    write_csv(sws, tmp_path / "tiny.csv", 1)
    copies = (4 * BUDGET_MB << 20) // len(sws._test_data[0].to_csv(index=False, header=False)) + 1
    rows = write_csv(sws, tmp_path / "big.csv", copies)
    assert (tmp_path / "big.csv").stat().st_size > 4 * BUDGET_MB << 20
    tiny = run_job(home, ref="churn:1", input=str(tmp_path / "tiny.csv"), output=str(tmp_path / "t"),
                   chunk_rows=5000, workers=2, progress=False)
    big = run_job(home, ref="churn:1", input=str(tmp_path / "big.csv"), output=str(tmp_path / "b"),
                  chunk_rows=5000, workers=2, progress=False)
    print(f"peak RSS: tiny input {tiny['peak_mb']:.0f} MB, 128 MB input {big['peak_mb']:.0f} MB")
    assert big["rows"] == rows
    assert big["peak_mb"] < tiny["peak_mb"] + BUDGET_MB, (tiny, big)
