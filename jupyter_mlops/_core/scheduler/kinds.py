"""Job kinds: what a schedule of each kind does when it runs.

A kind is a function ``(context, schedule) -> dict``: ``context`` is a :class:`JobContext` (the
workspace's home, its audit log, the parts a built-in kind uses, and ``run``: this run's row and
why it started; a plug-in kind that wants the whole public API makes its own
``jupyter_mlops.Workspace()``, whose environment the daemon has), ``schedule`` the
:class:`~.results.Schedule` being run (its ``spec`` holds the kind's options and ``window_start``
the end of the window the previous completed run covered). The dict it returns is stored as the
run's result; a ``"status"`` key of ``"violation"``, ``"skipped"``, ``"gate_failed"`` or
``"failed"`` (with the reason under ``"error"``) sets the run's status (anything else is
``succeeded``); an exception marks the run ``failed`` with its text.

Built-in kinds are named here as ``"module:function"`` and imported when first used, so the
daemon pays only for the kinds it runs. Other packages add kinds through the entry-point group
``jupyter_mlops.job_kinds`` (``retrain = "mypkg.jobs:retrain"``), which is also how a kind can be
added without editing this table.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

from ..collaborators import AuditRecorder
from ..errors import InvalidInput

ENTRY_POINT_GROUP = "jupyter_mlops.job_kinds"

#: kind -> "module:function" of the built-in kinds
BUILTIN_KINDS: dict[str, str] = {
    "monitor": "jupyter_mlops._core.scheduler.monitor_job:run_monitor",
    "retrain": "jupyter_mlops._core.scheduler.retrain_job:run_retrain",
}

class Checker(Protocol):
    """Monitoring, as a job sees it: a check of an endpoint's captured traffic."""

    def check(self, target: str, data: Any = None, since: Any = None, variant: str | None = None) -> Any: ...


class ScheduledRuns(Protocol):
    """Retraining, as a job sees it: one run of a ``retrain`` schedule."""

    def run_schedule(self, schedule: Any, run: "RunInfo | None" = None) -> Any: ...


class PreviousReports(Protocol):
    """The reports kept so far, as a check sees them: which one came before it."""

    def previous(self, schedule_id: str, before_run: int) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class RunInfo:
    """The run a job is: its ``job_runs`` row, and why it started when not at its time."""

    id: int
    cause: str | None = None          # e.g. "drift:churn (run 12 of monitor-churn)"
    source_run: int | None = None     # the run whose event started this one


@dataclass(frozen=True)
class JobContext:
    """What a running job is handed (built by the workspace, the daemon's composition root)."""

    home: Path
    audit: AuditRecorder
    monitoring: Checker
    pipelines: ScheduledRuns | None = None
    run: RunInfo | None = None        # set by the runner for each run
    reports: PreviousReports | None = None


JobFunction = Callable[[JobContext, Any], dict]


def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def known_kinds() -> list[str]:
    return sorted({*BUILTIN_KINDS, *_entry_points()})


def check_kind(kind: str) -> None:
    if kind not in BUILTIN_KINDS and kind not in _entry_points():
        raise InvalidInput(f"Unknown job kind {kind!r}. Known kinds: {', '.join(known_kinds())}.",
                           hint=f"Packages add kinds through the entry-point group {ENTRY_POINT_GROUP!r}.")


def job_function(kind: str) -> JobFunction:
    """The function that runs schedules of ``kind`` (imported on first use)."""
    if kind in BUILTIN_KINDS:
        module, _, name = BUILTIN_KINDS[kind].partition(":")
        return getattr(importlib.import_module(module), name)
    ep = _entry_points().get(kind)
    if ep is None:
        check_kind(kind)  # raises, naming the known kinds
    return ep.load()
