"""Batch transform, as SageMaker's ``CreateTransformJob`` does it: every CSV, JSON Lines or
Parquet file of the input (a file, a folder, any fsspec URL) is split into records
(``split="Line"``, or ``None``: the whole file is one request), scored in chunks by ``workers``
processes, and written to ``<input>.out`` in the output folder (or to the one output file named),
the records in input order (``assemble="Line"``: one a line; ``None``: one JSON array), with the
input's columns when ``join_input`` (``JoinSource=Input``). The same signature checks and the same
verified fast path or compiled tree form as the endpoints apply (the engine says which).

Memory stays bounded: the parent only finds chunk boundaries (a streaming pass over newlines) and
each worker holds one chunk. Each finished chunk is a part file in the job's folder, so a job run
again with its ``job_id`` and ``resume=True`` skips the finished chunks, and its output is the same
bytes as an uninterrupted run's. A bad record stops the job with its file and line, or, with
``errors="file"``, goes to ``<output>.err`` (JSON Lines: file, line, error, record)."""

from __future__ import annotations

import os
import shutil
import time
from collections import deque
from pathlib import Path
from typing import Any

from ...errors import InvalidInput
from ...progress import bar
from . import batch_jobs
from .batch_chunks import Options, part_path, run_chunk, score_frame
from .batch_files import batch_format, input_files, plan
from .batch_jobs import BatchJob

__all__ = ["BatchJob", "run_batch", "score_frame"]

_worker_variant: Any = None  # a forked worker's copy of the loaded (hash-checked) variant


def _set_variant(variant) -> None:
    global _worker_variant
    _worker_variant = variant
    _die_with_parent()


def _die_with_parent() -> None:
    """A worker whose job process is killed (kill -9: no cleanup runs) must not live on, waiting
    forever on a queue nobody writes to: Linux sends it SIGKILL when its parent dies."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _in_worker(chunk, file_index, options, job_dir):
    return run_chunk(_worker_variant, chunk, file_index, options, job_dir)


def run_batch(variant, ref: str, input: str, output: str, home: Path, chunk_rows: int = 10_000,
              workers: int = 1, dask: str | None = None, progress: bool | None = None,
              join_input: bool = True, split: str | None = "Line", assemble: str | None = "Line",
              errors: str = "raise", job_id: str | None = None, resume: bool = False) -> BatchJob:
    """``progress``: a bar of the rows scored (see ``progress.py``; not with ``dask``)."""
    if int(chunk_rows) < 1 or int(workers) < 1:
        raise InvalidInput("chunk_rows and workers must be at least 1.")
    if split not in ("Line", None) or assemble not in ("Line", None):
        raise InvalidInput('split and assemble are "Line" or None, as SageMaker\'s SplitType and '
                           'AssembleWith.')
    if errors not in ("raise", "file"):
        raise InvalidInput('errors is "raise" (stop at the first bad record) or "file" (write '
                           'bad records to <output>.err and go on).')
    files = input_files(str(input))
    targets, out_format = _targets(files, str(output))
    params = {"input": str(input), "output": str(output), "chunk_rows": int(chunk_rows),
              "join_input": bool(join_input), "split": split, "assemble": assemble,
              "errors": errors, "ref": ref,
              # a resumed job must read the same files: their sizes tell a changed input
              "sizes": [_size(url) for url in files]}
    job = _job(home, ref, params, job_id, resume)
    job_dir = batch_jobs.folder(home, job.id)
    t0 = time.perf_counter() - job.seconds
    try:
        if dask:
            if len(files) != 1 or assemble is None:
                raise InvalidInput("dask= scores one file, assembled by line.")
            from .batch_dask import with_dask

            job.rows, job.chunks = with_dask(variant, files[0], targets[0], join_input, dask)
            job.engine, job.files = f"dask {dask}", targets
        else:
            _run_local(job, variant, files, targets, out_format, job_dir, int(chunk_rows),
                       int(workers), split, Options(bool(join_input), assemble, errors, out_format),
                       progress)
    except BaseException as exc:
        job.status, job.error = "failed", str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        job.seconds = time.perf_counter() - t0
        batch_jobs.save(home, job)
        raise
    job.status, job.seconds = "done", time.perf_counter() - t0
    batch_jobs.save(home, job)
    shutil.rmtree(job_dir / "parts", ignore_errors=True)
    return job


def _size(url: str) -> int:
    import fsspec

    fs, path = fsspec.core.url_to_fs(url)
    return int(fs.size(path))


def _targets(files: list[str], output: str) -> tuple[list[str], str | None]:
    """One named output file for one input, in the format its name says; otherwise a folder (or
    URL prefix) receiving ``<input>.out`` per input file, in the input's format."""
    if len(files) == 1 and batch_format(output) and not output.endswith(".out") \
            and not os.path.isdir(output):
        return [output], batch_format(output)
    sep = "" if output.endswith("/") else "/"
    return [f"{output}{sep}{f.rstrip('/').rsplit('/', 1)[-1]}.out" for f in files], None


def _job(home: Path, ref: str, params: dict, job_id: str | None, resume: bool) -> BatchJob:
    if job_id and resume:
        earlier = batch_jobs.load(home, job_id)
        if earlier is not None:
            if earlier.status == "done":
                raise InvalidInput(f"Batch job {job_id!r} is done already; its output is "
                                   f"{earlier.output}.")
            if earlier.params.get("sizes") != params["sizes"]:
                raise InvalidInput(f"Batch job {job_id!r}: its input files changed since it ran "
                                   f"(sizes {earlier.params.get('sizes')}, now {params['sizes']}); "
                                   f"run it as a new job.")
            if earlier.params != params:
                changed = sorted(k for k in params if earlier.params.get(k) != params[k])
                raise InvalidInput(f"Batch job {job_id!r} ran with other parameters "
                                   f"({', '.join(f'{k}={earlier.params.get(k)!r}' for k in changed)}); "
                                   f"resume it with the same ones.")
            earlier.status, earlier.pid, earlier.error = "running", os.getpid(), None
            batch_jobs.save(home, earlier)
            return earlier
    elif job_id and batch_jobs.load(home, job_id) is not None:
        raise InvalidInput(f"Batch job {job_id!r} exists: pass resume=True to continue it, or "
                           f"another id.")
    job = BatchJob(id=job_id or batch_jobs.new_id(), ref=ref, input=params["input"],
                   output=params["output"], params=params)
    batch_jobs.save(home, job)
    return job


def _run_local(job, variant, files, targets, out_format, job_dir, chunk_rows, workers, split,
               options: Options, progress) -> None:
    from dataclasses import replace

    plans = [plan(url, chunk_rows, split) for url in files]
    per_file = [replace(options, out_format=out_format or batch_format(url)) for url in files]
    job.chunks = sum(len(p) for p in plans)
    job.engine = f"{workers} process(es)" if workers > 1 else "in-process"
    pending = [(i, c, per_file[i]) for i, p in enumerate(plans) for c in p
               if not part_path(job_dir, i, c.index).exists()]
    total = sum(c.rows for p in plans for c in p)
    with bar(progress, total=total, desc=f"batch {job.ref}", unit="rows") as rows_done:
        rows_done.update(total - sum(c.rows for _, c, _ in pending))
        for chunk in _scored(variant, pending, job_dir, workers):
            rows_done.update(chunk.rows)
    job.rows, job.bad_records, job.files = 0, 0, []
    for file_index, (p, target) in enumerate(zip(plans, targets)):
        rows, bad = _assemble(job_dir, file_index, p, target, per_file[file_index])
        job.rows += rows
        job.bad_records += bad
        job.files.append(target)
    if options.errors == "file":
        job.error_file = _gather_errors(job_dir, plans, targets, job.output)


def _scored(variant, pending, job_dir, workers):
    """Runs the pending chunks, at most ``2 * workers`` at a time (bounded memory), yielding each
    as it finishes, in order; the first failure stops the job."""
    if workers == 1:
        for file_index, chunk, options in pending:
            run_chunk(variant, chunk, file_index, options, job_dir)
            yield chunk
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    # fork: each worker starts with the parent's loaded, hash-checked variant (no reload, no
    # pickling of the model), which is what makes 2 workers beat one process
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_set_variant,
                             initargs=(variant,)) as pool:
        running: deque = deque()
        try:
            for file_index, chunk, options in pending:
                running.append((chunk, pool.submit(_in_worker, chunk, file_index, options, job_dir)))
                if len(running) >= 2 * workers:
                    chunk_done, future = running.popleft()
                    future.result()
                    yield chunk_done
            while running:
                chunk_done, future = running.popleft()
                future.result()
                yield chunk_done
        except BaseException:
            for _, future in running:
                future.cancel()
            raise


def _assemble(job_dir, file_index, chunks, target: str, options: Options) -> tuple[int, int]:
    """The parts of one input file, in order, into its output; (rows, bad records)."""
    import fsspec

    parts = [part_path(job_dir, file_index, c.index) for c in chunks]
    fmt = options.out_format
    bad = sum(_count_lines(p.with_suffix(".err")) for p in parts)
    fs, path = fsspec.core.url_to_fs(target)
    local = type(fs).__name__ == "LocalFileSystem"
    write_to = f"{path}.tmp{os.getpid()}" if local else path
    if local:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    if fmt == "parquet" and options.assemble == "Line":
        import pyarrow.parquet as pq

        writer = None
        with fs.open(write_to, "wb") as out:
            for part in parts:
                table = pq.read_table(part)
                rows += table.num_rows
                if writer is None:
                    writer = pq.ParquetWriter(out, table.schema)
                writer.write_table(table.cast(writer.schema))
            if writer is not None:
                writer.close()
    else:
        with fs.open(write_to, "wb") as out:
            if options.assemble is None:
                out.write(b"[")
            wrote = False
            for part in parts:
                payload = part.read_bytes()
                if options.assemble is None:
                    rows += _array_items(payload)
                    if payload and wrote:
                        out.write(b",")
                    wrote = wrote or bool(payload)
                else:
                    rows += payload.count(b"\n") - (1 if fmt == "csv" and part == parts[0] else 0)
                out.write(payload)
            if options.assemble is None:
                out.write(b"]")
    if local:
        os.replace(write_to, path)
    return rows, bad


def _array_items(payload: bytes) -> int:
    import json

    return len(json.loads(b"[" + payload + b"]")) if payload else 0


def _count_lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _gather_errors(job_dir, plans, targets, output) -> str:
    """Every bad record, in input order, into ``<output>.err`` (one file for the job)."""
    import fsspec

    target = (targets[0] if len(targets) == 1 else output.rstrip("/") + "/errors") + ".err"
    with fsspec.open(target, "wb") as out:
        for file_index, chunks in enumerate(plans):
            for c in chunks:
                err = part_path(job_dir, file_index, c.index).with_suffix(".err")
                if err.exists():
                    out.write(err.read_bytes())
    return target
