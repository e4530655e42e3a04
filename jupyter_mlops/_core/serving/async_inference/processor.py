"""Works through the async queue inside the endpoint (threads of worker 0, like the rollout
controller): each request's input is streamed from its location (a path, ``file://`` or any
fsspec URL) and predicted chunk by chunk, so memory stays bounded whatever the input's size; the
predictions are streamed to the output location, an error goes to the failure location.

CSV and JSON Lines inputs are read in chunks of whole lines (about ``CHUNK_BYTES``), each parsed,
predicted and written before the next is read. JSON and NPY documents cannot be split by lines and
are read whole. ``RequestTTLSeconds`` counts from acceptance to the start of processing;
``InvocationTimeoutSeconds`` is checked between chunks (a single ``predict`` is not interrupted).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from ...errors import PayloadError
from ..inference import codec
from . import notify
from .queue import FAILED, SUCCEEDED, AsyncQueue, Job

CHUNK_BYTES = 1 << 20
#: one JSON record (or row array) per line, as SageMaker batch and async clients send
JSON_LINES = ("application/jsonlines", "application/x-jsonlines", "application/jsonl")
IDLE_SECONDS = 0.2   # how often an idle processor looks for requests other workers queued


class Expired(Exception):
    pass


class InvocationTimeout(Exception):
    pass


def settings_of(config) -> dict:
    return dict(getattr(config, "async_inference", None) or {})


class Processor:
    def __init__(self, runtime, queue: AsyncQueue, concurrency: int = 1):
        self.runtime = runtime
        self.queue = queue
        self.concurrency = max(1, int(concurrency))
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self.finished = {SUCCEEDED: 0, FAILED: 0}   # since this process started

    def start(self) -> "Processor":
        moved = self.queue.recover()
        if moved:
            print(f"async: {moved} request(s) left running by a previous process queued again", flush=True)
        for i in range(self.concurrency):
            t = threading.Thread(target=self._loop, name=f"mlops-async-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job = self.queue.claim()
                if job is None:
                    self._wake.wait(IDLE_SECONDS)
                    self._wake.clear()
                    continue
                self.run(job)
            except Exception as exc:  # a full disk, say: say so, keep the thread (the claim is
                # requeued at the next start)
                print(f"async: {type(exc).__name__}: {exc}", flush=True)
                self._stop.wait(1.0)

    def run(self, job: Job) -> None:
        live = self.runtime.live
        try:
            if time.time() > job.received_at + job.ttl_s:
                raise Expired(f"expired: the request waited {time.time() - job.received_at:.1f} s "
                              f"in the queue, over its RequestTTLSeconds of {job.ttl_s:g} s")
            variant = live.variants[live.router.pick()]
            job.variant = variant.name
            job.rows, answer_as = predict_streaming(job, variant)
            job.status, job.error = SUCCEEDED, None
        except Exception as exc:
            job.status, job.error = FAILED, _message(exc)
            answer_as = None
            _write_failure(job)
        self.queue.finish(job)
        self.finished[job.status] += 1
        targets = settings_of(live.config).get("notify") or {}
        url = targets.get("success" if job.status == SUCCEEDED else "error")
        if url:
            notify.post(url, notify.payload(live.name, job, answer_as))


def _message(exc: Exception) -> str:
    if isinstance(exc, (Expired, InvocationTimeout)):
        return str(exc)
    text = getattr(exc, "message", None) or str(exc)
    return f"{type(exc).__name__}: {text}"


def predict_streaming(job: Job, variant) -> tuple[int, str]:
    """Reads ``job.input`` in chunks, predicts each, writes ``job.output``; returns (rows, the
    answer's media type)."""
    deadline = job.started_at + job.timeout_s
    with _open_input(job.input) as src:
        head = src.read(CHUNK_BYTES)
        if not head.strip():
            raise PayloadError(f"The input {job.input} is empty.")
        mime = codec.request_media_type(job.content_type) or codec.sniff(head)
        lines = mime in codec.CSV_TYPES or mime in JSON_LINES
        answer_as = codec.choose_output(job.accept, "application/json" if mime in JSON_LINES else mime)
        with _Output(job.output) as out:
            if lines:
                rows = _line_chunks(src, head, variant, answer_as, out, deadline, job,
                                    json_lines=mime in JSON_LINES)
            else:  # one document: read whole
                body = head + src.read()
                table, _ = codec.parse(body, job.content_type or mime, variant.schema)
                predictions = variant.predict(table)
                out.write(codec.encode(predictions, answer_as, "array"))
                rows = len(predictions)
    return rows, answer_as


def _parse_chunk(chunk: bytes, json_lines: bool, schema):
    if not json_lines:
        return codec.parse(chunk, "text/csv", schema)[0]
    records = [line for line in chunk.split(b"\n") if line.strip()]
    return codec.parse(b"[" + b",".join(records) + b"]", "application/json", schema)[0]


def _line_chunks(src, head: bytes, variant, answer_as: str, out, deadline: float, job: Job,
                 json_lines: bool = False) -> int:
    """CSV rows or JSON Lines records, about ``CHUNK_BYTES`` of whole lines at a time."""
    rows, line, pending, parts = 0, 1, head, []
    json_out, npy_out = answer_as == "application/json", answer_as == codec.NPY
    if json_out:
        out.write(b"[")
    while pending:
        more = src.read(CHUNK_BYTES)
        cut = len(pending) if not more else pending.rfind(b"\n") + 1
        if cut == 0:   # no whole line yet: read on
            pending += more
            continue
        chunk, pending = pending[:cut], pending[cut:] + more
        if not chunk.strip():
            continue
        try:
            table = _parse_chunk(chunk, json_lines, variant.schema)
        except PayloadError as exc:
            raise PayloadError(f"{job.input}, in the chunk starting at line {line}: "
                                     f"{exc.message}") from None
        predictions = variant.predict(table)
        if npy_out:
            parts.append(predictions)
        elif json_out:
            body = codec.encode(predictions, answer_as, "array")[1:-1]
            out.write((b"," if rows else b"") + body)
        else:
            out.write(codec.encode(predictions, answer_as))
        rows += len(predictions)
        line += chunk.count(b"\n")
        if time.time() > deadline and pending:
            raise InvocationTimeout(f"timed out: processing took over its InvocationTimeoutSeconds "
                                    f"of {job.timeout_s:g} s ({rows} rows done)")
    if json_out:
        out.write(b"]")
    if npy_out:
        out.write(codec.encode(np.concatenate(parts) if parts else np.array([]), answer_as))
    return rows


def _open_input(location: str):
    """A local file (or pipe) directly, anything else through fsspec (s3://, gs://, http://…)."""
    local = local_path(location)
    if local is not None:
        try:
            return open(local, "rb")
        except FileNotFoundError:
            raise FileNotFoundError(f"The input {location} does not exist.") from None
    import fsspec

    return fsspec.open(location, "rb")


class _Output:
    """The output location, written as a stream; a local file appears only once complete
    (written under a temporary name, then renamed), a remote object on close."""

    def __init__(self, location: str):
        self.location = location
        self.local = local_path(location)

    def __enter__(self):
        if self.local is not None:
            self.local.parent.mkdir(parents=True, exist_ok=True)
            self.tmp = self.local.parent / f".{self.local.name}.partial"
            self.fh = open(self.tmp, "wb")
        else:
            import fsspec

            self.fh = fsspec.open(self.location, "wb").open()
        return self.fh

    def __exit__(self, kind, exc, tb):
        if self.local is not None:
            self.fh.close()
            if kind is None:
                self.tmp.replace(self.local)
            else:
                self.tmp.unlink(missing_ok=True)
        elif kind is None:
            self.fh.close()
        else:  # never publish half a remote output
            try:
                self.fh.discard()
            except Exception:
                pass
        return False


def local_path(location: str) -> Path | None:
    if location.startswith("file://"):
        return Path(location[len("file://"):])
    if "://" not in location:
        return Path(location)
    return None


def _write_failure(job: Job) -> None:
    try:
        with _Output(job.failure) as out:
            out.write(job.error.encode() + b"\n")
    except Exception as exc:
        print(f"async: cannot write the failure location {job.failure}: {exc}", flush=True)
