"""The durable queue of asynchronous requests: one JSON file per request, moved between folders
by atomic renames, under ``<endpoint>/async/``.

    queue/<id>.json     accepted, waiting (written to a temporary name, fsynced, renamed in)
    running/<id>.json   claimed by a processor (a rename: of two claimers exactly one wins)
    done/<id>.json      finished: succeeded or failed, with timings and the error

A request is answered 202 only once its file is in ``queue/`` and the folder entry is on disk,
so a killed endpoint loses none. A processor that dies leaves its claims in ``running/``; the next
one to start moves them back (``recover``) and runs them again. Files work across the endpoint's
worker processes and the kernel (``ws.async_result``) with no server in between, and survive a
restart of either.
"""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import orjson

PENDING, RUNNING, SUCCEEDED, FAILED = "pending", "running", "succeeded", "failed"
#: SageMaker's InferenceId is up to 64 printable characters; ours also names a file
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
DEFAULT_INVOCATION_TIMEOUT = 900.0   # SageMaker's default (15 min); at most 3600
DEFAULT_TTL = 6 * 3600.0             # SageMaker keeps a queued request 6 h by default


@dataclass
class Job:
    id: str
    input: str
    output: str
    failure: str
    content_type: str | None = None
    accept: str | None = None
    custom_attributes: str | None = None
    ttl_s: float = DEFAULT_TTL
    timeout_s: float = DEFAULT_INVOCATION_TIMEOUT
    received_at: float = field(default_factory=time.time)
    status: str = PENDING
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    rows: int | None = None
    attempts: int = 0
    variant: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Job":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def new_id() -> str:
    return str(uuid.uuid4())


class AsyncQueue:
    def __init__(self, folder: Path | str):
        self.root = Path(folder)
        self.queued, self.running, self.done = (self.root / n for n in ("queue", "running", "done"))

    def ensure(self) -> "AsyncQueue":
        for d in (self.queued, self.running, self.done):
            d.mkdir(parents=True, exist_ok=True)
        return self

    # -- accepting ---------------------------------------------------------------------------
    def exists(self, job_id: str) -> bool:
        return any((d / f"{job_id}.json").exists() for d in (self.queued, self.running, self.done))

    def put(self, job: Job) -> None:
        """Durable on return: the file and its folder entry are on disk. Two requests with one
        InferenceId at once: the second gets ``FileExistsError`` (a hard link never replaces)."""
        self.ensure()
        _write_durably(self.queued / f"{job.id}.json", job.to_dict(), replace=False)

    # -- processing --------------------------------------------------------------------------
    def recover(self) -> int:
        """Claims of a processor that died go back to the queue (unless they finished)."""
        self.ensure()
        moved = 0
        for path in self.running.glob("*.json"):
            if (self.done / path.name).exists():
                path.unlink(missing_ok=True)
                continue
            try:
                os.rename(path, self.queued / path.name)
                moved += 1
            except FileNotFoundError:
                pass
        _fsync_dir(self.queued)
        return moved

    def claim(self) -> Job | None:
        """The oldest waiting request, moved to ``running/``; None when the queue is empty."""
        for path in self._oldest_first():
            target = self.running / path.name
            try:
                os.rename(path, target)  # atomic: a concurrent claimer gets FileNotFoundError
            except FileNotFoundError:
                continue
            job = Job.from_dict(orjson.loads(target.read_bytes()))
            job.status, job.started_at, job.attempts = RUNNING, time.time(), job.attempts + 1
            # not fsynced: after a crash the claim is requeued whatever this file says
            _write_durably(target, job.to_dict(), sync=False)
            return job
        return None

    def finish(self, job: Job) -> None:
        job.finished_at = time.time()
        _write_durably(self.done / f"{job.id}.json", job.to_dict())
        (self.running / f"{job.id}.json").unlink(missing_ok=True)

    def _oldest_first(self) -> Iterator[Path]:
        try:
            entries = list(os.scandir(self.queued))
        except FileNotFoundError:
            return iter(())
        entries = [e for e in entries if e.name.endswith(".json")]
        entries.sort(key=lambda e: e.stat().st_mtime_ns if _exists(e) else 0)
        return (Path(e.path) for e in entries)

    # -- reading -----------------------------------------------------------------------------
    def depth(self) -> dict[str, int]:
        return {PENDING: _count(self.queued), RUNNING: _count(self.running)}

    def get(self, job_id: str) -> Job | None:
        for folder in (self.done, self.running, self.queued):  # the latest state first
            try:
                return Job.from_dict(orjson.loads((folder / f"{job_id}.json").read_bytes()))
            except (FileNotFoundError, ValueError):
                continue
        return None


def _exists(entry: os.DirEntry) -> bool:
    try:
        entry.stat()
        return True
    except FileNotFoundError:
        return False


def _count(folder: Path) -> int:
    try:
        return sum(1 for n in os.listdir(folder) if n.endswith(".json"))
    except FileNotFoundError:
        return 0


def _write_durably(path: Path, document: dict[str, Any], sync: bool = True,
                   replace: bool = True) -> None:
    """Atomic (a temporary file renamed in, or linked in when it must not ``replace`` one);
    with ``sync``, on disk before returning."""
    tmp = path.parent / f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(orjson.dumps(document))
        if sync:
            fh.flush()
            os.fsync(fh.fileno())
    if replace:
        os.replace(tmp, path)
    else:
        try:
            os.link(tmp, path)
        finally:
            tmp.unlink()
    if sync:
        _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
