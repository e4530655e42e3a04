"""The scheduler daemon: APScheduler runs the workspace's schedules.

* The ``schedules`` table is the source of truth. A sync job (itself an APScheduler interval job)
  reads it every ``SYNC_SECONDS`` and adds, reschedules or removes APScheduler jobs, so a schedule
  made or removed while the daemon runs is picked up within a few seconds; it also writes each
  job's next run time back to ``schedules.next_run_at`` for ``ws.schedules()`` to show.
* Each job is added with ``max_instances=1`` (a run still going when the next is due makes that one
  skipped, never overlapping) and ``coalesce=True``. A restarted daemon gives each job the
  ``next_run_at`` it stored, which may lie in the past: APScheduler then finds all the runs missed
  meanwhile and, coalescing, runs once. ``misfire_grace_time`` is one period (plus a minute), so
  that single catch-up run, which is never more than a period late, is not dropped as missed.
* Event schedules (``on_event="drift:churn"``) have no time trigger: when a run's result lists
  events (``result["events"]``), the daemon runs the schedules waiting for each one right away, as
  one-off APScheduler jobs under the schedule's id (so still never two runs of one schedule at once).
* SIGTERM (``mlops scheduler stop``): no run starts any more, runs in progress get a grace period
  (``stopping.py``), those still going after it are marked interrupted and their schedules' next
  runs moved back to when they were due (the next start catches them up, coalesced as above); then
  the daemon releases its lock and pid file and exits. It never calls APScheduler's
  ``shutdown(wait=True)``: since APScheduler 3.9 ("Fixed RuntimeError when shutting down the
  scheduler from a scheduled job" in its version history) ``BaseScheduler.shutdown`` holds the
  job-store lock while it joins the executors' threads, and every run ends by asking APScheduler for
  its schedule's next run time (``get_job``, which takes that lock), as the sync job and event runs
  (``add_job``) do: the stop waited for runs that waited for the stop, until SIGKILL. The daemon
  shuts APScheduler down with ``wait=False`` (the lock is held only for a moment) and does the
  bounded waiting itself.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import sys
import threading
import time
from typing import Callable

from . import control, runner, triggers
from .kinds import JobContext
from .scheduler import Scheduler, utc
from .stopping import RunsInProgress, grace_setting

log = logging.getLogger("jupyter_mlops.scheduler")

SYNC_SECONDS = float(os.environ.get("MLOPS_SCHEDULER_SYNC_SECONDS", "2"))
WORKERS = int(os.environ.get("MLOPS_SCHEDULER_WORKERS", "4"))
_SYNC_JOB = "__sync__"


class Daemon:
    def __init__(self, schedules: Scheduler, context: JobContext, stopping: threading.Event | None = None):
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self.schedules = schedules
        self.context = context
        # The sync job has a thread of its own, so that long runs filling the pool never delay it.
        self.scheduler = BackgroundScheduler(
            timezone=dt.timezone.utc,
            executors={"default": ThreadPoolExecutor(WORKERS), "sync": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1},
        )
        self._triggers: dict[str, str] = {}  # schedule id -> its trigger spec as loaded (JSON)
        self._events: dict[str, str] = {}    # event schedule id -> the event it waits for
        self._stopping = stopping or threading.Event()
        self.runs = RunsInProgress()
        self._syncing = threading.Lock()  # held by a sync: a stop waits for it, then no sync writes
        self.grace = grace_setting()  # read at start: a bad value fails the start, not the stop

    # -- life cycle ------------------------------------------------------------------------------
    def load(self) -> None:
        """Mark the runs a killed daemon left behind, and read the schedules (errors end the start)."""
        log.info("scheduler loading schedules of %s", self.context.home)
        interrupted = runner.mark_interrupted_runs(self.schedules.store)
        if interrupted:
            log.warning("marked %d run(s) left running by a previous daemon as failed", interrupted)
        self.sync()

    def serve(self, grace: Callable[[], float | None] = lambda: None) -> list[int]:
        """Run the schedules until the ``stopping`` event is set (by SIGTERM or SIGINT, see
        :func:`main`), then stop (``grace()``: a shorter grace asked for by the stop, if any).
        Returns the ids of the runs interrupted: their threads are still going."""
        from apscheduler.events import EVENT_JOB_SUBMITTED

        interrupted: list[int] = []
        if not self._stopping.is_set():  # a stop while loading: never start APScheduler
            self.scheduler.add_listener(self._submitted, EVENT_JOB_SUBMITTED)
            self.scheduler.add_job(self._sync_safely, "interval", seconds=SYNC_SECONDS, id=_SYNC_JOB,
                                   name="sync schedules", executor="sync", misfire_grace_time=None)
            self.scheduler.start()
            log.info("scheduler started with %d schedule(s)", len(self._triggers))
            # Polled, not ``Event.wait()``: the signal handler sets the event in this thread, and
            # must never find the event's lock held by the wait it interrupted.
            while not self._stopping.is_set():
                time.sleep(0.2)
            asked = grace()
            interrupted = self.stop(self.grace if asked is None else min(self.grace, asked))
        log.info("scheduler stopped")
        return interrupted

    def stop(self, grace: float) -> list[int]:
        """Start no more runs, give those in progress ``grace`` seconds, mark the rest interrupted."""
        in_progress = self.runs.close()
        self.scheduler.shutdown(wait=False)  # never wait=True: see the module's docstring
        log.info("stopping: no new runs; %d run(s) in progress get up to %g s to finish", in_progress, grace)
        still_running = self.runs.drain(grace)
        with self._syncing:  # a sync under way finishes; none writes after this (runs are closed)
            pass
        if not still_running:
            return []
        interrupted = runner.interrupt_runs(self.schedules.store, still_running, grace, self.runs.due)
        log.warning("marked run(s) %s of %s interrupted after the %g s grace; the next start runs them again",
                    ", ".join(map(str, interrupted)) or "-", ", ".join(still_running), grace)
        return interrupted

    def _submitted(self, event) -> None:
        if event.job_id != _SYNC_JOB and event.scheduled_run_times:
            self.runs.note_due(event.job_id, max(event.scheduled_run_times))

    # -- keeping APScheduler's jobs equal to the schedules table ---------------------------------
    def _sync_safely(self) -> None:
        with self._syncing:
            if self.runs.closed:
                return
            try:
                self.sync()
            except Exception:  # noqa: BLE001 - a database hiccup must not end the sync job
                log.exception("syncing schedules failed; retrying in %g s", SYNC_SECONDS)

    def sync(self) -> None:
        from sqlalchemy import select

        from ..store import orm

        with self.schedules.store.read() as s:  # rows are detached after the session (expire_on_commit=False)
            rows = {r.id: r for r in s.execute(select(orm.Schedule).where(orm.Schedule.enabled.is_(True))).scalars()}
        for sid in [sid for sid in self._triggers if sid not in rows]:
            self._remove(sid)
        specs = {sid: _trigger_of(row) for sid, row in rows.items()}
        self._events = {sid: t["event"] for sid, t in specs.items() if t and triggers.is_event(t)}
        updates: dict[str, tuple[str, dt.datetime]] = {}
        for sid, row in rows.items():
            key = json.dumps(specs[sid], sort_keys=True)
            if self._triggers.get(sid) != key:
                self._add(row, specs[sid], key)
            if sid in self._events:
                continue
            job = self.scheduler.get_job(sid)
            upcoming = job.next_run_time if job else None
            stored = utc(row.next_run_at)
            if upcoming is not None and (stored is None or abs((upcoming - stored).total_seconds()) > 0.001):
                updates[sid] = (key, upcoming)
        if updates:  # take the write lock only when there is something to write
            with self.schedules.store.write() as s:
                for sid, (key, upcoming) in updates.items():
                    row = s.get(orm.Schedule, sid)
                    # skip a schedule changed since it was read: its new next run comes next sync
                    if row is not None and json.dumps(_trigger_of(row), sort_keys=True) == key:
                        row.next_run_at = upcoming

    def _add(self, row, spec: dict | None, key: str) -> None:
        from ..errors import InvalidInput

        if spec and triggers.is_event(spec):
            previous = self._triggers.get(row.id)
            if previous and not triggers.is_event(json.loads(previous)):
                self._remove(row.id, quiet=True)  # its time job, from before it waited for an event
            self._triggers[row.id] = key
            log.info("loaded schedule %s (%s %s, %s)", row.id, row.kind, row.target, triggers.describe(spec))
            return
        try:
            created = utc(row.created_at)
            trigger = triggers.build_trigger(spec, created)
            grace = int(triggers.period_seconds(spec, created)) + 60
        except (InvalidInput, KeyError, TypeError, AttributeError) as exc:
            # a row edited by hand: say so once (until it changes), keep running the others
            log.error("schedule %s has an unusable trigger %r: %s", row.id, spec, exc)
            self._remove(row.id, quiet=True)
            self._triggers[row.id] = key
            return
        now = dt.datetime.now(dt.timezone.utc)
        first = utc(row.next_run_at) or trigger.get_next_fire_time(None, now)
        self.scheduler.add_job(self._run, trigger, args=[row.id], id=row.id, name=f"{row.kind} {row.target}",
                               next_run_time=first, misfire_grace_time=grace, replace_existing=True)
        verb = "rescheduled" if row.id in self._triggers else "loaded"
        self._triggers[row.id] = key
        log.info("%s schedule %s (%s %s, %s), next run %s", verb, row.id, row.kind, row.target,
                 triggers.describe(spec), first.isoformat())

    def _remove(self, sid: str, quiet: bool = False) -> None:
        from apscheduler.jobstores.base import JobLookupError

        try:
            self.scheduler.remove_job(sid)
        except JobLookupError:
            pass
        if not quiet:
            self._triggers.pop(sid, None)
            log.info("dropped schedule %s (removed or disabled)", sid)

    def _run(self, schedule_id: str, cause: str | None = None, source_run: int | None = None) -> None:
        if not self.runs.begin(schedule_id):
            log.info("not starting a run of %s: the scheduler is stopping", schedule_id)
            return
        try:
            outcome = runner.run_schedule(self.schedules, self.context, schedule_id,
                                          next_run_at=lambda: self._next_run(schedule_id), cause=cause,
                                          source_run=source_run)
        finally:
            self.runs.end(schedule_id)
        for event in outcome.events if outcome else []:
            self.fire(event, f"{event} (run {outcome.run_id} of {schedule_id})", outcome.run_id)

    def fire(self, event: str, cause: str, source_run: int | None = None) -> list[str]:
        """Run now every schedule waiting for ``event`` (emitted by run ``source_run``, which the
        job can read); returns their ids. Read from the table, not from the last sync, so that a
        schedule made a moment ago is not missed."""
        from sqlalchemy import select

        from ..store import orm

        with self.schedules.store.read() as s:
            rows = s.execute(select(orm.Schedule.id, orm.Schedule.spec).where(orm.Schedule.enabled.is_(True))).all()
        waiting = [sid for sid, spec in rows if (spec or {}).get("trigger", {}).get("event") == event]
        if self.runs.closed:
            log.info("event %s: not running %s, the scheduler is stopping", event, ", ".join(waiting) or "anything")
            return []
        now = dt.datetime.now(dt.timezone.utc)
        for sid in waiting:
            # replace_existing keeps one job per schedule id, and APScheduler counts running
            # instances by id: a run of it still going makes this one skipped, not overlapping.
            self.scheduler.add_job(self._run, "date", run_date=now, args=[sid],
                                   kwargs={"cause": cause, "source_run": source_run}, id=sid,
                                   name=f"{sid} on {event}", replace_existing=True, misfire_grace_time=None)
        log.info("event %s: running %s", event, ", ".join(waiting) or "no schedule (none waits for it)")
        return waiting

    def _next_run(self, schedule_id: str) -> dt.datetime | None:
        job = self.scheduler.get_job(schedule_id)
        return job.next_run_time if job else None


def _trigger_of(row) -> dict | None:
    spec = row.spec if isinstance(row.spec, dict) else {}
    trigger = spec.get("trigger")
    return trigger if isinstance(trigger, dict) else None


def main(build: Callable[[], tuple[Scheduler, JobContext]], log_file: str | None = None) -> int:
    """Run the daemon in this process until SIGTERM or SIGINT. ``build`` makes the scheduler part
    and the jobs' context (the process's composition root passes it: ``__main__.py``, or
    ``Workspace.run_scheduler`` for ``mlops scheduler start --foreground``). The log goes to
    stderr, which a detached daemon has redirected to ``log_file``.

    When a stop interrupted runs, their threads are still going (Python cannot stop a thread) and
    the interpreter would join them at exit: the process then ends with ``os._exit`` once its
    lock and pid file are released (their runs are recorded already)."""
    import psutil

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s [pid %(process)d] %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # Handlers first: a stop that comes while the daemon is still loading must not kill it
    # midway (the default SIGTERM action), but end it cleanly.
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    schedules, context = build()
    home = context.home
    paths = control.Paths.of(home)
    lock = control.acquire_lock(paths)
    if lock is None:
        info = control.read_pid_file(paths) or {}
        log.error("another scheduler (pid %s) already runs for %s; exiting", info.get("pid", "?"), home)
        return 3
    pid = os.getpid()
    control.remove_stop_request(paths)  # one left by an earlier daemon's stop is not for this one
    daemon = None
    try:
        daemon = Daemon(schedules, context, stopping)
        daemon.load()
        # The pid file is the sign of a started daemon (``DaemonControl.start`` waits for it), so
        # it is written once the schedules are loaded: a database that cannot be read fails the start.
        control.write_pid_file(paths, {"pid": pid, "create_time": psutil.Process(pid).create_time(),
                                       "started_at": dt.datetime.now(dt.timezone.utc).isoformat(),
                                       "home": str(home), "log": log_file or "stderr",
                                       "python": sys.executable})
        daemon.serve(lambda: control.requested_grace(paths, pid))
        code = 0
    except Exception:  # noqa: BLE001 - the reason goes to the log, which start() shows
        log.exception("the scheduler stopped on an error")
        code = 1
    finally:
        control.remove_pid_file(paths, pid)
        lock.close()
    if daemon is not None and daemon.runs.drain(0):
        logging.shutdown()
        sys.stdout.flush()
        os._exit(code)
    return code
