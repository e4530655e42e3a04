"""Result objects of the scheduler: a ``Schedule`` and the daemon's ``SchedulerStatus``
(see ``results.Result``), detached from the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import html
from ..results import NOT_ON_THE_WIRE, Result


_START = '<span class="mlops-mono">%mlops scheduler start</span>'


@dataclass(frozen=True)
class Schedule(Result):
    id: str
    kind: str
    target: str
    trigger: str                      # "every 1h" / "cron 0 3 * * *"
    spec: dict                        # {"trigger": {...}, plus the kind's options}
    enabled: bool
    created_at: datetime
    next_run_at: datetime | None = None
    last_run_at: datetime | None = None
    last_status: str | None = None
    #: where the next run's window starts: the end of the last completed run's window, if any
    window_start: datetime | None = field(default=None, compare=False, metadata=NOT_ON_THE_WIRE)
    #: whether this workspace's scheduler daemon was running when the object was made (None: unknown)
    scheduler_running: bool | None = field(default=None, compare=False, metadata=NOT_ON_THE_WIRE)

    @property
    def options(self) -> dict:
        return {k: v for k, v in self.spec.items() if k != "trigger"}

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{"id": self.id, "kind": self.kind, "target": self.target, "trigger": self.trigger,
                              "next_run": self.next_run_at, "last_run": self.last_run_at,
                              "last_status": self.last_status, "enabled": self.enabled,
                              "options": self.options}])

    def _repr_html_(self) -> str:
        rows = [("kind", self.kind), ("target", self.target), ("when", self.trigger),
                ("next run", _when(self.next_run_at)), ("last run", _when(self.last_run_at)),
                ("last status", self.last_status), *self.options.items()]
        state = html.badge("enabled", "ok") if self.enabled else html.badge("disabled", "muted")
        if self.scheduler_running is False:
            note = html.note("The scheduler is not running, so this will not run until you start it: "
                             f"{_START}.", "warn")
        elif self.scheduler_running:
            note = html.note("The scheduler is running: this schedule is picked up within seconds.")
        else:
            note = html.note(f"Runs while the scheduler daemon runs: {_START}.")
        return html.card(f"Schedule {self.id}", state, [("", html.kv_table(rows) + note)])

    def __repr__(self) -> str:
        text = (f"Schedule {self.id}: {self.kind} {self.target} {self.trigger}, next run "
                f"{_when(self.next_run_at)}, last {self.last_status or 'never run'}")
        if self.scheduler_running is False:
            text += "\n  the scheduler is not running: start it with `mlops scheduler start`"
        return text


@dataclass(frozen=True)
class SchedulerStatus(Result):
    running: bool
    home: str
    pid: int | None = None
    started_at: datetime | None = None
    log: str | None = None
    schedules: int = 0
    note: str | None = None           # e.g. "removed a stale pid file (pid 123 is gone)"

    def _repr_html_(self) -> str:
        state = html.badge("running", "ok") if self.running else html.badge("stopped", "muted")
        rows = [("workspace", self.home), ("pid", self.pid), ("started", _when(self.started_at)),
                ("log", self.log), ("enabled schedules", self.schedules)]
        if self.note:
            rows.append(("note", self.note))
        return html.card("Scheduler", state, [("", html.kv_table(rows))])

    def __repr__(self) -> str:
        if self.running:
            text = f"scheduler running (pid {self.pid}) since {_when(self.started_at)}; log {self.log}"
        else:
            text = "scheduler not running"
        text += f"; {self.schedules} enabled schedule(s) in {self.home}"
        return text + (f"\n  {self.note}" if self.note else "")


@dataclass(frozen=True)
class ScheduledRun(Result):
    """One run of a schedule (a row of ``runs``), with what started it: ``schedule`` (its time or
    event trigger, run by the daemon) or ``manual`` (``Workspace.run_now``)."""

    id: int
    schedule: str | None
    kind: str
    target: str
    status: str                       # running, succeeded, violation, skipped, gate_failed, failed
    trigger: str
    started: datetime
    finished: datetime | None = None
    seconds: float | None = None
    result: dict = field(default_factory=dict)
    error: str | None = None

    def _repr_html_(self) -> str:
        tone = {"succeeded": "ok", "running": "info", "skipped": "muted", "failed": "bad"}.get(self.status, "warn")
        rows = [("schedule", self.schedule), ("kind", self.kind), ("target", self.target),
                ("trigger", self.trigger), ("started", _when(self.started)), ("finished", _when(self.finished)),
                ("seconds", self.seconds), *((k, v) for k, v in self.result.items() if k != "trigger")]
        if self.error:
            rows.append(("error", self.error.splitlines()[0] if self.error else ""))
        return html.card(f"Run {self.id}", html.badge(self.status, tone), [("", html.kv_table(rows))])

    def __repr__(self) -> str:
        text = f"Run {self.id} of {self.schedule} ({self.trigger}): {self.status}"
        if self.finished is None:
            text += f", started {_when(self.started)}"
        return text + (f"\n  {self.error.splitlines()[0]}" if self.error else "")


def _when(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)
