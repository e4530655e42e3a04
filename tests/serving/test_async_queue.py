"""The durable queue of asynchronous requests on its own: several processes claim from one queue
and each request is claimed exactly once; claims of a dead processor go back to the queue."""

from __future__ import annotations

import multiprocessing

import pytest

from jupyter_mlops._core.serving.async_inference.queue import FAILED, SUCCEEDED, AsyncQueue, Job


def job(i: int) -> Job:
    return Job(id=f"r{i:04d}", input=f"/in/{i}.csv", output=f"/out/{i}.out", failure=f"/out/{i}-error.out")


def drain(folder: str, out: str) -> None:
    queue = AsyncQueue(folder)
    claimed = []
    while (j := queue.claim()) is not None:
        j.status = SUCCEEDED
        queue.finish(j)
        claimed.append(j.id)
    with open(out, "w") as fh:
        fh.write("\n".join(claimed))


def test_concurrent_processes_claim_each_request_exactly_once(tmp_path):
    queue = AsyncQueue(tmp_path / "async").ensure()
    for i in range(300):
        queue.put(job(i))
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=drain, args=(str(queue.root), str(tmp_path / f"claimed{n}")))
             for n in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    claimed = [line for n in range(3) for line in (tmp_path / f"claimed{n}").read_text().split()]
    assert sorted(claimed) == [f"r{i:04d}" for i in range(300)]
    assert queue.depth() == {"pending": 0, "running": 0}
    assert queue.get("r0007").status == SUCCEEDED


def test_claims_of_a_dead_processor_are_queued_again_and_finished_ones_are_not(tmp_path):
    queue = AsyncQueue(tmp_path / "async").ensure()
    for i in range(3):
        queue.put(job(i))
    a, b, c = queue.claim(), queue.claim(), queue.claim()
    c.status = FAILED
    queue.finish(c)
    # a processor that died after writing done/ but before removing its claim
    (queue.running / f"{c.id}.json").write_bytes((queue.done / f"{c.id}.json").read_bytes())
    assert queue.recover() == 2
    assert queue.depth() == {"pending": 2, "running": 0}
    again = queue.claim()
    assert again.id in (a.id, b.id) and again.attempts == 2
    assert queue.get(c.id).status == FAILED


def test_an_inference_id_is_queued_once(tmp_path):
    queue = AsyncQueue(tmp_path / "async").ensure()
    queue.put(job(1))
    with pytest.raises(FileExistsError):
        queue.put(job(1))
    assert queue.exists("r0001") and queue.depth()["pending"] == 1
