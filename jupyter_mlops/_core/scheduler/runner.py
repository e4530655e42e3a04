"""One run of one schedule, recorded: a ``JobRun`` row is written ``running`` before the job
starts and finished with its status, result and error; the schedule's ``last_run_at`` and
``next_run_at`` follow. The daemon calls :func:`run_schedule` from APScheduler's worker threads.

A run still going when the daemon stops is marked interrupted (:func:`interrupt_runs`) and its
schedule's next run is moved back to the time that run was due, so the next start runs it again
(one catch-up run, coalesced with any missed meanwhile; ``daemon.py``). Whichever writes first
wins: a run that finishes after being marked keeps the mark, and one marked after it finished is
not touched. A daemon killed outright leaves its runs ``running``; the next start marks them
(:func:`mark_interrupted_runs`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import traceback
from dataclasses import dataclass, field
from typing import Callable

from . import kinds
from .scheduler import Scheduler, utc

log = logging.getLogger("jupyter_mlops.scheduler")

MAX_ERROR_CHARS = 20_000
#: statuses a job may report in its result (a retraining run that failed keeps its record)
_RESULT_STATUSES = {"violation", "skipped", "gate_failed", "failed"}


def _jsonable(result) -> dict:
    if not isinstance(result, dict):
        result = {"value": result}
    return json.loads(json.dumps(result, default=str))


@dataclass(frozen=True)
class Outcome:
    run_id: int
    status: str
    #: events the job emitted (``result["events"]``): the daemon runs the schedules waiting for them
    events: list[str] = field(default_factory=list)


def run_schedule(scheduler: Scheduler, context: kinds.JobContext, schedule_id: str,
                 next_run_at: Callable[[], dt.datetime | None] | None = None,
                 cause: str | None = None, source_run: int | None = None) -> Outcome | None:
    """Run schedule ``schedule_id`` once (``cause``: why, when not its time trigger, kept in the
    result; ``source_run``: the run whose event started it). Returns the outcome, or None if the
    schedule was removed in the meantime or a run of it (a manual one) is still going. Never
    raises for a failing job: the failure is the run's record."""
    from ..errors import Conflict, ScheduleNotFound

    try:
        started = begin_run(scheduler, schedule_id)
    except ScheduleNotFound:
        log.info("schedule %s was removed before its run; skipping", schedule_id)
        return None
    except Conflict as exc:
        log.info("not running %s: %s", schedule_id, exc)
        return None
    if started is None:
        return None
    schedule, run_id = started
    return finish_run(scheduler, context, schedule, run_id, next_run_at, cause=cause, source_run=source_run)


def begin_run(scheduler: Scheduler, schedule_id: str, trigger: str | None = None):
    """Write the ``running`` row of a run of ``schedule_id``; returns ``(schedule, run_id)``, or
    None for a disabled schedule. Raises ``Conflict`` when a run of it is still going: the check
    and the insert are one transaction, so two starters (the daemon, a manual ``run_now``) never
    overlap. ``trigger`` ("manual") is kept in the run's result from the start."""
    from sqlalchemy import select

    from ..errors import Conflict
    from ..store import orm

    schedule = scheduler.get(schedule_id)
    if not schedule.enabled:
        return None
    started = dt.datetime.now(dt.timezone.utc)
    with scheduler.store.write() as s:
        running = s.execute(select(orm.JobRun.id).where(orm.JobRun.schedule_id == schedule.id,
                                                        orm.JobRun.status == "running").limit(1)).scalar()
        if running is not None:
            raise Conflict(f"Schedule {schedule.id!r} is already running (run {running}); runs of one "
                           "schedule never overlap.", hint="Wait for it to finish (see runs).")
        run = orm.JobRun(schedule_id=schedule.id, kind=schedule.kind, target=schedule.target, status="running",
                         started_at=started, result={"trigger": trigger} if trigger else {})
        s.add(run)
        row = s.get(orm.Schedule, schedule.id)
        if row is not None:
            row.last_run_at = started
        s.flush()
        run_id = run.id
    log.info("run %s of %s (%s %s) started%s", run_id, schedule.id, schedule.kind, schedule.target,
             f" ({trigger})" if trigger else "")
    return schedule, run_id


def finish_run(scheduler: Scheduler, context: kinds.JobContext, schedule, run_id: int,
               next_run_at: Callable[[], dt.datetime | None] | None = None, cause: str | None = None,
               source_run: int | None = None, trigger: str | None = None) -> Outcome:
    """Run the job of the run ``begin_run`` wrote and record how it ended."""
    from dataclasses import replace

    from ..store import orm

    with scheduler.store.read() as s:
        started = utc(s.get(orm.JobRun, run_id).started_at)
    status, result, error = "succeeded", {}, None
    try:
        job_context = replace(context, run=kinds.RunInfo(run_id, cause, source_run))
        result = _jsonable(kinds.job_function(schedule.kind)(job_context, schedule) or {})
        if result.get("status") in _RESULT_STATUSES:
            status = result["status"]
        if status == "failed":
            error = str(result.pop("error", None) or "the job reported a failure")[:MAX_ERROR_CHARS]
    except Exception as exc:  # noqa: BLE001 - any failure of the job is recorded, the daemon carries on
        status = "failed"
        error = (f"{type(exc).__name__}: {exc}\n\n" + traceback.format_exc())[:MAX_ERROR_CHARS]
        log.warning("run %s of %s failed: %s: %s", run_id, schedule.id, type(exc).__name__, exc)

    if cause:
        result = {**result, "cause": cause}
    if trigger:
        result = {**result, "trigger": trigger}
    finished = dt.datetime.now(dt.timezone.utc)
    upcoming = next_run_at() if next_run_at else None
    with scheduler.store.write() as s:
        run = s.get(orm.JobRun, run_id)
        if run.status != "running":  # a stop marked it interrupted while it ran on past the grace
            log.warning("run %s of %s finished (%s) after it was marked %s; keeping that", run_id, schedule.id,
                        status, run.status)
            return Outcome(run_id, run.status)
        run.status, run.result, run.error, run.finished_at = status, result, error, finished
        row = s.get(orm.Schedule, schedule.id)
        # its next run, unless the trigger changed meanwhile (the daemon reschedules that one)
        if row is not None and upcoming is not None and row.spec.get("trigger") == schedule.spec.get("trigger"):
            row.next_run_at = upcoming
    log.info("run %s of %s %s in %.2f s", run_id, schedule.id, status, (finished - started).total_seconds())
    events = [str(e) for e in result.get("events") or []] if status != "failed" else []
    return Outcome(run_id, status, events)


def mark_interrupted_runs(store) -> int:
    """Runs left ``running`` by a daemon that was killed: mark them failed, saying so."""
    def why(run) -> str:
        return (f"interrupted: the scheduler stopped while this run was in progress "
                f"(started {utc(run.started_at).isoformat()})")

    return len(_mark_failed(store, None, why))


def interrupt_runs(store, schedule_ids: list[str], grace: float, due: Callable[[str], dt.datetime | None]) -> list[int]:
    """Mark the runs of ``schedule_ids`` still ``running`` as interrupted by a stop (now, after
    ``grace`` seconds), and move each schedule's next run back to when that run was due (``due``,
    else its start) so the next start catches up. Returns the run ids marked."""
    from ..store import orm

    now = dt.datetime.now(dt.timezone.utc)

    def why(run) -> str:
        return (f"interrupted by a stop of the scheduler at {now.isoformat()}: the run, started "
                f"{utc(run.started_at).isoformat()}, was still in progress after the {grace:g} s grace; "
                "the next start of the scheduler runs it again")

    def catch_up(session, run) -> None:
        row = session.get(orm.Schedule, run.schedule_id)
        trigger = (row.spec or {}).get("trigger") if row is not None and isinstance(row.spec, dict) else None
        if not isinstance(trigger, dict) or "event" in trigger:
            return  # an event schedule runs when its event comes again, not at a time
        when = due(run.schedule_id) or utc(run.started_at)
        if row.next_run_at is None or utc(row.next_run_at) > when:
            row.next_run_at = when

    return _mark_failed(store, schedule_ids, why, catch_up, now)


def _mark_failed(store, schedule_ids: list[str] | None, why: Callable, then: Callable | None = None,
                 now: dt.datetime | None = None) -> list[int]:
    """Mark the ``running`` runs of ``schedule_ids`` (of every schedule: None) failed with ``why(run)``."""
    from sqlalchemy import select

    from ..store import orm

    now = now or dt.datetime.now(dt.timezone.utc)
    query = select(orm.JobRun).where(orm.JobRun.status == "running", orm.JobRun.schedule_id.is_not(None))
    if schedule_ids is not None:
        query = query.where(orm.JobRun.schedule_id.in_(schedule_ids))
    with store.write() as s:
        rows = list(s.execute(query).scalars())
        for r in rows:
            r.status, r.finished_at, r.error = "failed", now, why(r)
            if then is not None:
                then(s, r)
        return [r.id for r in rows]
