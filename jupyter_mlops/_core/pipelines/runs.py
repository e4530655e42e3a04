"""``Run``: the record of one retraining run or pipeline run, and ``RunStore``, where it is kept.

A run is a row of the scheduler's ``job_runs`` table (no table of its own): ``kind`` is
``retrain`` or ``pipeline``, ``target`` the model, ``schedule_id`` the schedule that started it,
``status`` the run's, ``result`` the JSON of the ``Run``. So ``Workspace.runs("churn")`` lists
retraining runs next to the monitoring runs of the endpoint ``churn``. A run started by the
scheduler daemon uses the row the daemon opened for it; the daemon writes its end
(``scheduler/runner.py``), from the dict the ``retrain`` job kind returns.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import html
from ..results import Result

STATUSES = ("running", "succeeded", "failed", "gate_failed")
_TONES = {"succeeded": "ok", "cached": "info", "failed": "bad", "gate_failed": "warn", "not run": "muted",
          "running": "info"}


def utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


@dataclass(frozen=True)
class RunStep:
    """One notebook of a run: what it received, how it ended, what it made."""

    index: int                       # 1-based
    notebook: str                    # absolute path
    sha256: str                      # of the notebook as read for the run
    status: str                      # succeeded | failed | cached | not run
    cached: bool = False                             # its result was reused, it did not run
    parameters: dict = field(default_factory=dict)   # as received (a DataFrame: {"frame": sha256})
    outputs: dict = field(default_factory=dict)      # output() values: key -> record (outputs.collect)
    output_notebook: str | None = None               # artifact sha256 of the executed notebook
    output_path: str | None = None                   # its copy under <home>/runs/<run id>/
    versions: list = field(default_factory=list)     # refs it registered
    cached_from: int | None = None                   # the run whose result a cached step reused
    attempts: int = 0
    seconds: float | None = None
    failure: dict | None = None                      # cell, execution_count, ename, evalue, source



@dataclass(frozen=True)
class Run(Result):
    """A retraining run: its notebooks (and their sha256), parameters, trigger, steps, the
    versions it registered, the metrics it reported, the gate's verdict, what was deployed, and on
    failure the failing cell's index, error name and message."""

    id: int
    name: str
    kind: str                        # retrain | pipeline
    status: str                      # running | succeeded | failed | gate_failed
    trigger: dict                    # {"kind": "manual" | "schedule" | "drift", …}
    notebooks: list
    pipeline_version: str            # sha256 of the notebooks' sha256s, in order
    parameters: dict
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    steps: list = field(default_factory=list)        # RunStep
    versions: list = field(default_factory=list)     # refs registered during the run
    metrics: dict = field(default_factory=dict)      # numbers output() reported, else the version's
    gate: dict | None = None                         # the GateVerdict's dict
    release: dict | None = None                      # approved / rejected / promoted, with the comment
    deployed: dict | None = None                     # the endpoint after the deploy, and how
    failure: dict | None = None                      # which step (and stage) failed, and how
    schedule: str | None = None
    options: dict = field(default_factory=dict)      # gate, deploy, promote, endpoint, timeout, retries, cache

    # -- reading -------------------------------------------------------------------------------
    @property
    def notebook(self) -> str:
        return self.notebooks[0]

    @property
    def sha256(self) -> str | None:
        return self.steps[0].sha256 if self.steps else None

    @property
    def version(self) -> str | None:
        """The version of ``name`` the run registered last (what a gate judges)."""
        own = [v for v in self.versions if v.split(":")[0] == self.name]
        return own[-1] if own else None

    @property
    def output_notebook(self) -> str | None:
        """The executed notebook of the last step that ran (a local path)."""
        ran = [s for s in self.steps if s.output_path]
        return ran[-1].output_path if ran else None

    @property
    def seconds(self) -> float | None:
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else None

    # -- showing -------------------------------------------------------------------------------
    def summary(self) -> str:
        took = f" in {self.seconds:.1f} s" if self.seconds is not None else ""
        text = f"{self.kind} run {self.id} of {self.name} {self.status}{took}"
        if self.versions:
            text += f"; registered {', '.join(self.versions)}"
        if self.gate:
            text += f"; gate {'passed' if self.gate.get('passed') else 'failed'}: {self.gate.get('reason')}"
        if self.failure:
            text += f"; {_failure_text(self.failure)}"
        return text

    def _repr_html_(self) -> str:
        run_rows = [("trigger", _trigger_text(self.trigger)), ("started", _when(self.started_at)),
                    ("took", f"{self.seconds:.1f} s" if self.seconds is not None else "running"),
                    ("parameters", self.parameters or "—"), ("pipeline version", self.pipeline_version[:16]),
                    ("versions", self.versions or "none"), ("metrics", self.metrics or "—")]
        if self.schedule:
            run_rows.insert(1, ("schedule", self.schedule))
        sections = [("run", html.kv_table(run_rows)), ("steps", self._steps_table())]
        if self.gate is not None:
            sections.append(("gate", html.kv_table([
                ("expression", self.gate.get("expression")),
                ("verdict", html.Raw(html.badge("passed", "ok") if self.gate.get("passed") else html.badge("failed", "bad"))),
                ("why", self.gate.get("reason")), *sorted((self.gate.get("values") or {}).items())])))
        if self.release or self.deployed:
            rows = list((self.release or {}).items())
            if self.deployed:
                rows += [("deployed to", self.deployed.get("endpoint")), ("rollout", self.deployed.get("strategy")),
                         ("percent", self.deployed.get("percent")), ("endpoint status", self.deployed.get("status"))]
            sections.append(("release", html.kv_table(rows)))
        if self.failure:
            sections.append(("failure", html.kv_table(self.failure.items())))
        badges = html.badge(self.status, _TONES.get(self.status)) + " " + html.badge(self.kind, "info")
        return html.card(f"Run {self.id}: {self.name}", badges, sections)

    def _steps_table(self) -> str:
        rows = []
        for s in self.steps:
            state = s.status + (f" (from run {s.cached_from})" if s.cached_from else "")
            link = html.Raw(_link(s.output_path)) if s.output_path else None
            rows.append([s.index, Path(s.notebook).name, s.sha256[:12], state, s.attempts or None,
                         round(s.seconds, 2) if s.seconds is not None else None, ", ".join(s.versions) or None, link])
        return html.table(["#", "notebook", "sha256", "status", "attempts", "seconds", "registered", "output"], rows)

    def __repr__(self) -> str:
        text = f"<Run {self.summary()}"
        if self.output_notebook:
            text += f"\n  output notebook: {self.output_notebook}"
        return text + ">"


def _link(path: str) -> str:
    """A link to the output notebook, relative to the current folder (where the notebook showing
    this runs, so that JupyterLab opens it)."""
    try:
        href = os.path.relpath(path)
    except ValueError:  # another drive
        href = path
    return f'<a href="{html.esc(href)}" target="_blank">{html.esc(Path(path).name)}</a>'


def _when(value: dt.datetime | None) -> str:
    return value.isoformat(sep=" ", timespec="seconds") if value else "—"


def _trigger_text(trigger: dict) -> str:
    kind = trigger.get("kind")
    if kind == "drift":
        return f"drift on {trigger.get('endpoint')} (report {trigger.get('report')})"
    if kind == "schedule":
        return f"schedule {trigger.get('schedule')} ({trigger.get('when')})"
    return f"manual, by {trigger.get('by')}" if trigger.get("by") else str(kind)


def _failure_text(failure: dict) -> str:
    where = f"step {failure['step']}" if failure.get("step") else failure.get("stage", "the run")
    cell = f", cell {failure['cell']}" if failure.get("cell") is not None else ""
    return f"{where}{cell} failed: {failure.get('ename')}: {failure.get('evalue')}"


def failure_text(run: Run) -> str:
    return _failure_text(run.failure) if run.failure else f"{run.kind} run {run.id} {run.status}"


class RunStore:
    """Runs in the ``job_runs`` table."""

    def __init__(self, store):
        self.store = store

    def open(self, kind: str, name: str, row: int | None = None,
             schedule: str | None = None) -> tuple[int, dt.datetime]:
        """A new ``running`` row, or the one the scheduler opened (``row``): its id and start."""
        from ..store import orm

        with self.store.write() as s:
            if row is not None:
                existing = s.get(orm.JobRun, row)
                return existing.id, utc(existing.started_at)
            started = dt.datetime.now(dt.timezone.utc)
            record = orm.JobRun(schedule_id=schedule, kind=kind, target=name, status="running",
                                started_at=started, result={})
            s.add(record)
            s.flush()
            return record.id, started

    def save(self, run: Run, final: bool, error: str | None = None) -> bool:
        """Write the run into its row; ``final`` also writes its status and end. A row no longer
        ``running`` (marked interrupted by a stop of the scheduler) keeps its mark: returns False."""
        from ..store import orm

        with self.store.write() as s:
            row = s.get(orm.JobRun, run.id)
            if row is None or row.status != "running":
                return False
            row.result = run.to_dict()
            if final:
                row.status, row.finished_at, row.error = run.status, run.finished_at, error
        return True

    def result(self, run_id: int) -> dict | None:
        """The result another run recorded (the monitoring run whose violation started this one)."""
        from ..store import orm

        with self.store.read() as s:
            row = s.get(orm.JobRun, run_id)
            return dict(row.result or {}) if row is not None else None

    def registered(self, run_id: int, since: dt.datetime) -> list[tuple[str, int | None]]:
        """(ref, step) of every version whose lineage names run ``run_id``, oldest first."""
        from sqlalchemy import select

        from ..store import orm

        query = (select(orm.Model.name, orm.ModelVersion.version, orm.ModelVersion.lineage)
                 .join(orm.Model, orm.Model.id == orm.ModelVersion.model_id)
                 .where(orm.ModelVersion.created_at >= since - dt.timedelta(seconds=5))
                 .order_by(orm.ModelVersion.id))
        with self.store.read() as s:
            rows = s.execute(query).all()
        out = []
        for name, version, lineage in rows:
            link = (lineage or {}).get("run") or {}
            if link.get("id") == run_id:
                out.append((f"{name}:{version}", link.get("step")))
        return out
