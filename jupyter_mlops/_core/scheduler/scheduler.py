"""``Scheduler``: schedules and their runs in the metadata database, plus the daemon's controls.

A schedule is a row (``id, kind, target, spec, enabled, created_at, last_run_at, next_run_at``);
``spec`` holds ``{"trigger": {...}}`` (see ``triggers.py``) and the kind's options. The daemon
(``daemon.py``) reads these rows and runs them; every run is a ``JobRun`` row. Other parts make
schedules of their own kinds with :meth:`Scheduler.add` (retraining: ``kind="retrain"``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

from ..collaborators import AuditAppender, EndpointDirectory
from ..durations import duration_seconds, since_time
from ..errors import Conflict, EndpointNotFound, InvalidInput, ScheduleNotFound
from ..names import validate_name, validate_text
from . import kinds, triggers
from .control import DaemonControl
from .results import Schedule, ScheduledRun, SchedulerStatus

ON_VIOLATION = ("alert", "retrain")
RUN_STATUSES = ("running", "succeeded", "violation", "skipped", "gate_failed", "failed")
RUN_COLUMNS = ["id", "schedule", "kind", "target", "status", "started", "finished", "seconds", "result", "error"]
SCHEDULE_COLUMNS = ["id", "kind", "target", "trigger", "next_run", "last_run", "last_status", "enabled", "options"]


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes; every time stored here is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value


def run_trigger(result: dict) -> str:
    """What started a run: "manual" (``run_now``), "event" (another run's event) or "schedule"."""
    return str(result.get("trigger") or ("event" if result.get("cause") else "schedule"))


def schedule_id(kind: str, target: str) -> str:
    """``monitor-churn``: readable, and the same for the same kind and target, so re-running a
    notebook cell updates its schedule instead of adding a twin."""
    raw = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{kind}-{target}")
    if len(raw) <= 64:
        return raw
    return raw[:55] + "-" + hashlib.sha256(raw.encode()).hexdigest()[:8]


def _since_option(since: Any) -> str | None:
    """``since`` (how far back the first run looks) as stored: a duration or an ISO time, checked
    now with the one grammar of ``durations.py``."""
    if since is None:
        return None
    if isinstance(since, dt.datetime):
        return utc(since).isoformat()
    if isinstance(since, (dt.timedelta, int, float)) and not isinstance(since, bool):
        return f"{duration_seconds(since, 'since'):g}s"
    since_time(since)  # raises InvalidInput naming the text, with examples
    return since.strip()


def _webhook_option(webhook: Any) -> str | None:
    if webhook is None:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(str(webhook))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"webhook={webhook!r} is not an http(s) URL.",
                           hint="Give the full address, e.g. 'https://hooks.example.com/mlops'.")
    return str(webhook)


class Scheduler:
    def __init__(self, store, audit: AuditAppender, endpoints: EndpointDirectory, daemon: DaemonControl):
        self.store = store
        self.audit = audit
        self.endpoints = endpoints
        self.daemon = daemon

    # -- schedules ---------------------------------------------------------------------------
    def add(self, kind: str, target: str, every: Any = None, cron: str | None = None,
            options: dict | None = None, id: str | None = None, timezone: str | None = None,
            on_event: str | None = None) -> Schedule:
        """Store (or update) a schedule of ``kind`` for ``target``, run ``every`` interval, on a
        ``cron`` string, or ``on_event`` (each time a run emits that event, e.g. ``"drift:churn"``).
        Same id: the trigger and options are replaced, and the next run is counted from now if the
        trigger changed."""
        from ..store import orm

        kinds.check_kind(kind)
        validate_text(target, "schedule target", max_len=256)
        trigger = triggers.make_spec(every=every, cron=cron, timezone=timezone, event=on_event)
        options = dict(options or {})
        if "trigger" in options:
            raise InvalidInput("options may not contain 'trigger': give every=, cron= or on_event= instead.")
        try:
            json.dumps(options, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"Schedule options must be plain JSON values (they are stored in the database): {exc}.") from None
        spec = {"trigger": trigger, **options}
        sid = id or schedule_id(kind, target)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", sid):
            raise InvalidInput(f"Schedule id {sid!r} is not allowed: use 1-64 letters, digits, '.', '_' or '-'.")
        now = dt.datetime.now(dt.timezone.utc)
        with self.store.write() as s:
            row = s.get(orm.Schedule, sid)
            action = "schedule" if row is None else "reschedule"
            if row is None:
                row = orm.Schedule(id=sid, kind=kind, target=target, created_at=now, enabled=True)
                s.add(row)
            elif row.kind != kind:
                raise Conflict(f"Schedule {sid!r} already exists with kind {row.kind!r}; pick another id= "
                               f"or unschedule it first.")
            if row.spec is None or row.spec.get("trigger") != trigger or not row.enabled:
                row.next_run_at = triggers.next_fire_time(trigger, now, now)
            row.spec, row.target, row.enabled = spec, target, True
            s.flush()
            self.audit.append(s, action, target, {"schedule": sid, "kind": kind, "spec": spec})
            entity = self._entity(s, row)
        return self._with_daemon_state(entity)

    def monitor(self, endpoint: str, every: Any = None, on_violation: str = "alert", webhook: str | None = None,
                since: Any = None, cron: str | None = None, timezone: str | None = None) -> Schedule:
        """A monitoring schedule: each run checks the endpoint's captured traffic since the previous
        run against its baseline; a violation writes an alert (audit entry, saved report, webhook)."""
        validate_name(endpoint, "endpoint name")
        self._require_endpoint(endpoint)
        if on_violation not in ON_VIOLATION:
            raise InvalidInput(f"on_violation={on_violation!r}: use 'alert' (report and notify) or 'retrain' "
                               "(the same, and request a retraining run).")
        if every is None and cron is None:
            every = "1h"
        options = {"on_violation": on_violation, "webhook": _webhook_option(webhook), "since": _since_option(since)}
        return self.add("monitor", endpoint, every=every, cron=cron, timezone=timezone, options=options)

    def get(self, schedule: str) -> Schedule:
        from ..store import orm

        with self.store.read() as s:
            row = s.get(orm.Schedule, schedule)
            if row is None:
                self._not_found(s, schedule)
            entity = self._entity(s, row)
        return self._with_daemon_state(entity)

    def remove(self, id: str) -> None:
        """Delete the schedule (its runs stay, for the record). A running daemon drops it within
        a few seconds; a run already in progress finishes."""
        from ..store import orm

        with self.store.write() as s:
            row = s.get(orm.Schedule, id)
            if row is None:
                self._not_found(s, id)
            details = {"schedule": row.id, "kind": row.kind, "spec": row.spec}
            target = row.target
            s.delete(row)
            self.audit.append(s, "unschedule", target, details)

    def list(self):
        import pandas as pd
        from sqlalchemy import select

        from ..listing_frame import listing
        from ..store import orm

        with self.store.read() as s:
            rows = [self._entity(s, r) for r in s.execute(select(orm.Schedule).order_by(orm.Schedule.id)).scalars()]
        frame = pd.DataFrame([r.to_frame().iloc[0].to_dict() for r in rows], columns=SCHEDULE_COLUMNS)
        return listing("schedules", frame.set_index("id"))

    def runs(self, name: str | None = None, limit: int | None = 200):
        """Runs, newest first: all, or those of one schedule id or target (endpoint, model)."""
        import pandas as pd
        from sqlalchemy import or_, select

        from ..listing_frame import listing
        from ..store import orm

        q = select(orm.JobRun).order_by(orm.JobRun.id.desc())
        if name:
            q = q.where(or_(orm.JobRun.schedule_id == name, orm.JobRun.target == name))
        if limit:
            q = q.limit(int(limit))
        with self.store.read() as s:
            rows = [{"id": r.id, "schedule": r.schedule_id, "kind": r.kind, "target": r.target, "status": r.status,
                     "started": utc(r.started_at), "finished": utc(r.finished_at),
                     "seconds": (utc(r.finished_at) - utc(r.started_at)).total_seconds() if r.finished_at else None,
                     "result": r.result, "error": r.error} for r in s.execute(q).scalars()]
        frame = pd.DataFrame(rows, columns=RUN_COLUMNS)
        for col in ("started", "finished"):
            frame[col] = pd.to_datetime(frame[col], utc=True)
        return listing("runs", frame.set_index("id"))

    def run_now(self, schedule_id: str, wait: bool = True, context: Any = None) -> ScheduledRun:
        """Run schedule ``schedule_id``'s job once, now, recorded like the daemon's runs with the
        trigger "manual" (``context``: the ``JobContext`` the composition root builds). Raises
        ``Conflict`` while a run of it is going. ``wait=False`` returns the ``running`` run at
        once and finishes it on a thread of this process (a server stays responsive); events the
        run emits (``drift:<endpoint>``) are recorded in its result, not fired: only the daemon
        fires them."""
        import threading

        from . import runner

        started = runner.begin_run(self, schedule_id, trigger="manual")
        if started is None:
            raise Conflict(f"Schedule {schedule_id!r} is disabled.")
        schedule, run_id = started
        with self.store.write() as s:
            self.audit.append(s, "run_now", schedule.target, {"schedule": schedule.id, "run": run_id})

        def finish() -> None:
            try:
                runner.finish_run(self, context, schedule, run_id, trigger="manual")
            except Exception:  # noqa: BLE001 - on a thread there is no caller to raise to
                runner.log.exception("manual run %s of %s could not be recorded", run_id, schedule.id)

        if wait:
            finish()
        else:
            threading.Thread(target=finish, name=f"mlops run {run_id} of {schedule.id}", daemon=False).start()
        return self.run(run_id)

    def run(self, run_id: int) -> ScheduledRun:
        """The run ``run_id`` as a result object."""
        from ..errors import InvalidInput
        from ..store import orm

        with self.store.read() as s:
            r = s.get(orm.JobRun, run_id)
            if r is None:
                raise InvalidInput(f"There is no run {run_id!r}.")
            started, finished = utc(r.started_at), utc(r.finished_at)
            result = dict(r.result or {})
            return ScheduledRun(id=r.id, schedule=r.schedule_id, kind=r.kind, target=r.target, status=r.status,
                                trigger=run_trigger(result), started=started,
                                finished=finished,
                                seconds=(finished - started).total_seconds() if finished else None,
                                result=result, error=r.error)

    # -- the daemon --------------------------------------------------------------------------
    def start(self, timeout: float = 30) -> SchedulerStatus:
        return self._status(self.daemon.start(timeout=timeout))

    def stop(self, timeout: float = 30) -> SchedulerStatus:
        return self._status(self.daemon.stop(timeout=timeout))

    def status(self) -> SchedulerStatus:
        return self._status(self.daemon.state())

    def log(self, lines: int = 50) -> str:
        if not isinstance(lines, int) or lines < 1:
            raise InvalidInput(f"lines must be a whole number >= 1, got {lines!r}.")
        return self.daemon.log_tail(lines)

    def _status(self, state) -> SchedulerStatus:
        return SchedulerStatus(state.running, str(self.daemon.home), pid=state.pid, started_at=state.started_at,
                               log=state.log, schedules=self.enabled_count(), note=state.note)

    # -- helpers -----------------------------------------------------------------------------
    def _with_daemon_state(self, schedule: Schedule) -> Schedule:
        from dataclasses import replace

        return replace(schedule, scheduler_running=self.daemon.is_running())

    def enabled_count(self) -> int:
        from sqlalchemy import func, select

        from ..store import orm

        with self.store.read() as s:
            return s.execute(select(func.count()).select_from(orm.Schedule)
                             .where(orm.Schedule.enabled.is_(True))).scalar()

    def _require_endpoint(self, endpoint: str) -> None:
        names = self.endpoints.names()
        if endpoint not in names:
            raise EndpointNotFound(f"There is no endpoint named {endpoint!r} to monitor.",
                                   hint=f"Endpoints: {', '.join(names) or 'none'}. Deploy one with "
                                        "deploy(ref, endpoint, capture=100) so there is traffic to check.")

    @staticmethod
    def _not_found(session, schedule: str):
        from sqlalchemy import select

        from ..store import orm

        ids = list(session.execute(select(orm.Schedule.id)).scalars())
        raise ScheduleNotFound(f"There is no schedule {schedule!r}.", candidates=ids, wanted=schedule)

    @staticmethod
    def _entity(session, row) -> Schedule:
        from sqlalchemy import select

        from ..store import orm

        last = session.execute(select(orm.JobRun).where(orm.JobRun.schedule_id == row.id)
                               .order_by(orm.JobRun.id.desc()).limit(1)).scalar_one_or_none()
        done = session.execute(select(orm.JobRun).where(orm.JobRun.schedule_id == row.id,
                                                        orm.JobRun.status.in_(("succeeded", "violation")))
                               .order_by(orm.JobRun.id.desc()).limit(1)).scalar_one_or_none()
        window_end = ((done.result or {}).get("window") or {}).get("until") if done else None
        spec = dict(row.spec) if isinstance(row.spec, dict) else {}
        trigger = spec.get("trigger")
        return Schedule(id=row.id, kind=row.kind, target=row.target,
                        trigger=triggers.describe(trigger) if isinstance(trigger, dict) else "no trigger", spec=spec,
                        enabled=bool(row.enabled), created_at=utc(row.created_at),
                        next_run_at=utc(row.next_run_at), last_run_at=utc(row.last_run_at),
                        last_status=last.status if last else None,
                        window_start=utc(dt.datetime.fromisoformat(window_end)) if window_end else None)
