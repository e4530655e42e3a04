"""``ws.async_result(endpoint, inference_id)``: an asynchronous request's state, read from the
endpoint's durable queue (``serving/async_inference/queue.py``), running or not."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ... import html
from ...errors import AsyncRequestNotFound, EndpointNotFound
from ...results import Result
from ..async_inference.queue import AsyncQueue, Job
from ..contract import EndpointPaths

TONES = {"succeeded": "ok", "failed": "bad", "running": None, "pending": None}


@dataclass
class AsyncResult(Result):
    endpoint: str
    inference_id: str
    status: str                      # pending | running | succeeded | failed
    input_location: str
    output_location: str
    failure_location: str
    error: str | None = None
    received_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    queued_seconds: float | None = None    # acceptance to start
    run_seconds: float | None = None       # start to end
    rows: int | None = None
    variant: str | None = None
    attempts: int = 0

    @property
    def title(self) -> str:
        return f"async request {self.inference_id}"

    @property
    def done(self) -> bool:
        return self.status in ("succeeded", "failed")

    def _repr_html_(self) -> str:
        when = [(k, _iso(getattr(self, k))) for k in ("received_at", "started_at", "finished_at")]
        rows = [("endpoint", self.endpoint), ("input", self.input_location),
                ("output" if self.status != "failed" else "failure",
                 self.output_location if self.status != "failed" else self.failure_location),
                ("rows", self.rows), ("variant", self.variant), ("queued s", self.queued_seconds),
                ("run s", self.run_seconds), *when]
        sections = [("", html.kv_table([(k, v) for k, v in rows if v is not None]))]
        if self.error:
            sections.append(("error", html.note(html.esc(self.error), "bad")))
        return html.card(self.title, html.badge(self.status, TONES.get(self.status)), sections)

    def to_text(self) -> str:
        where = self.failure_location if self.status == "failed" else self.output_location
        return f"{self.inference_id}: {self.status} -> {where}" + (f"\n{self.error}" if self.error else "")


def _iso(t: float | None) -> str | None:
    return None if t is None else dt.datetime.fromtimestamp(t).isoformat(timespec="seconds")


def from_job(endpoint: str, job: Job) -> AsyncResult:
    queued = (job.started_at - job.received_at) if job.started_at else None
    run = (job.finished_at - job.started_at) if job.finished_at and job.started_at else None
    return AsyncResult(endpoint, job.id, job.status, job.input, job.output, job.failure, job.error,
                       job.received_at, job.started_at, job.finished_at,
                       round(queued, 6) if queued is not None else None,
                       round(run, 6) if run is not None else None, job.rows, job.variant,
                       job.attempts)


def async_result(paths: EndpointPaths, inference_id: str) -> AsyncResult:
    if not paths.dir.exists():
        raise EndpointNotFound(f"No endpoint {paths.name!r} in this workspace.")
    job = AsyncQueue(paths.dir / "async").get(str(inference_id))
    if job is None:
        raise AsyncRequestNotFound(f"No asynchronous request {inference_id!r} on endpoint {paths.name!r}.")
    return from_job(paths.name, job)
