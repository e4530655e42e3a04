"""The ``BatchJob`` record: one JSON file per job in ``<home>/batch/<id>/job.json``, replaced
atomically at each change of status, so that ``ws.batch_jobs()`` lists every job, a killed one
included (shown ``interrupted``: its process is gone while it still says ``running``). The job's
folder also holds the finished chunks (``parts/``) until the output is assembled."""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ... import html
from ...errors import InvalidInput
from ...results import Result, jsonable

STATUS_KIND = {"done": "ok", "running": "info", "failed": "bad", "interrupted": "warn"}


@dataclass
class BatchJob(Result):
    id: str
    ref: str
    input: str
    output: str
    status: str = "running"
    rows: int = 0
    chunks: int = 0
    seconds: float = 0.0
    engine: str = ""
    files: list = field(default_factory=list)   # the output files written
    bad_records: int = 0
    error_file: str | None = None
    error: str | None = None
    started: float = field(default_factory=time.time)
    pid: int = field(default_factory=os.getpid)
    params: dict = field(default_factory=dict)  # what a resumed run must repeat

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("nan")

    def to_dict(self) -> dict:
        return {**super().to_dict(), "rows_per_second": jsonable(self.rows_per_second)}

    def _repr_html_(self) -> str:
        shown = {k: v for k, v in self.to_dict().items() if k not in ("params", "pid", "started")}
        return html.card(f"batch transform {self.id} ({self.ref})",
                         html.badge(self.status, STATUS_KIND.get(self.status, "info")),
                         [("", html.kv_table(shown.items()))])

    def __repr__(self) -> str:
        return (f"BatchJob({self.id} {self.status}: {self.ref}, {self.rows} rows in {self.chunks} "
                f"chunks, {self.seconds:.2f} s, {self.rows_per_second:,.0f} rows/s, {self.engine}) "
                f"-> {self.output}")


def new_id() -> str:
    return time.strftime("bt-%Y%m%d-%H%M%S-", time.gmtime()) + secrets.token_hex(3)


def folder(home: Path, job_id: str) -> Path:
    if not job_id or any(c in job_id for c in "/\\") or job_id.startswith("."):
        raise InvalidInput(f"{job_id!r} is not a batch job id (letters, digits, - and _).")
    return Path(home) / "batch" / job_id


def save(home: Path, job: BatchJob) -> None:
    path = folder(home, job.id) / "job.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"job.json.tmp{os.getpid()}")
    tmp.write_text(json.dumps(asdict(job), default=str, indent=1))
    os.replace(tmp, path)


def load(home: Path, job_id: str) -> BatchJob | None:
    path = folder(home, job_id) / "job.json"
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    known = {f.name for f in fields(BatchJob)}
    job = BatchJob(**{k: v for k, v in data.items() if k in known})
    if job.status == "running" and not _alive(job.pid):
        job.status = "interrupted"
    return job


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError, OSError):
        return False
    return True


def listing(home: Path):
    """Every job, newest first: id, ref, input, output, status, rows, seconds, engine."""
    import pandas as pd

    root = Path(home) / "batch"
    jobs = [load(home, p.name) for p in root.iterdir()] if root.exists() else []
    rows = [{"id": j.id, "ref": j.ref, "input": j.input, "output": j.output, "status": j.status,
             "rows": j.rows, "seconds": round(j.seconds, 3), "engine": j.engine,
             "bad_records": j.bad_records,
             "started": pd.Timestamp(j.started, unit="s", tz="UTC")}
            for j in sorted((j for j in jobs if j), key=lambda j: -j.started)]
    columns = ["id", "ref", "input", "output", "status", "rows", "seconds", "engine",
               "bad_records", "started"]
    return pd.DataFrame(rows, columns=columns)
