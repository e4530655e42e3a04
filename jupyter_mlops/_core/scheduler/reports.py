"""``ReportHistory``: the monitoring reports kept so far, to list and to open again.

Where they are today: each completed run of a ``monitor`` schedule (by the daemon, or by hand with
``run_now``) saves its ``MonitoringReport`` under ``<home>/reports/<schedule>/<time>.json`` (+
``.html``) and its ``job_runs`` row keeps the figures (rows, violations, drifted features, the
summary) and the files' paths. So a report's id is the id of the run that made it, the listing
reads only the rows (no file is opened to list), and ``get`` rebuilds the rich result from the
JSON. An explicit ``Workspace.check`` returns its report without storing it, so it is not here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import InvalidInput, ReportNotFound
from .scheduler import run_trigger, utc

REPORT_COLUMNS = ["id", "endpoint", "kind", "schedule", "created", "status", "ref", "rows", "violations",
                  "drifted_features", "summary", "trigger"]
#: run statuses of a monitor run that made a report (skipped and failed runs made none)
CHECKED = ("succeeded", "violation")
MAX_LIMIT = 10_000


def report_status(result: dict) -> str:
    """The report's own status from the run's figures, as ``MonitoringReport.status()`` says it:
    alert (violations or dataset drift), warn (some features drifted), ok."""
    if result.get("status") == "violation":
        return "alert"
    return "warn" if result.get("drifted_features") else "ok"


class ReportHistory:
    def __init__(self, store, home: Path):
        self.store = store
        self.home = Path(home)

    def reports(self, endpoint: str | None = None, limit: int | None = 20):
        """The latest monitoring reports, newest first (of one endpoint, if given)."""
        import pandas as pd
        from sqlalchemy import select

        from ..listing_frame import listing
        from ..store import orm

        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT):
            raise InvalidInput(f"limit must be a whole number from 1 to {MAX_LIMIT}, got {limit!r}.")
        q = (select(orm.JobRun).where(orm.JobRun.kind == "monitor", orm.JobRun.status.in_(CHECKED))
             .order_by(orm.JobRun.id.desc()))
        if endpoint is not None:
            q = q.where(orm.JobRun.target == str(endpoint))
        if limit:
            q = q.limit(limit)
        with self.store.read() as s:
            rows = [self._record(r) for r in s.execute(q).scalars()]
        frame = pd.DataFrame(rows, columns=REPORT_COLUMNS)
        frame["created"] = pd.to_datetime(frame["created"], utc=True)
        return listing("reports", frame.set_index("id"))

    def report(self, id: Any):
        """The report ``id`` (see ``reports``) as its ``MonitoringReport``."""
        from ..monitor.reports.monitoring import MonitoringReport
        from ..store import orm

        run_id = _report_id(id)
        with self.store.read() as s:
            row = s.get(orm.JobRun, run_id)
            result = dict(row.result or {}) if row is not None else {}
            is_report = row is not None and row.kind == "monitor" and row.status in CHECKED
        if not is_report:
            raise ReportNotFound(f"There is no monitoring report {id!r}.",
                                 hint="See reports() for the ids of the reports kept.")
        path = (result.get("report") or {}).get("json")
        if not path:
            raise ReportNotFound(f"Report {run_id} was not kept: the run that made it saved only its figures "
                                 "(runs before this version saved the report on a violation only).")
        path = Path(path)
        if not path.resolve().is_relative_to((self.home / "reports").resolve()):
            # the path comes from the database, which may be shared: read only inside this home
            raise ReportNotFound(f"Report {run_id} names a file outside this workspace's reports folder: {path}.")
        try:
            return MonitoringReport.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise ReportNotFound(f"The file of report {run_id} is gone: {path}.") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise ReportNotFound(f"The file of report {run_id} cannot be read as a report ({exc}): {path}.") from None

    def previous(self, schedule_id: str, before_run: int) -> dict[str, Any] | None:
        """The latest report of ``schedule_id`` made before run ``before_run``: ``{"id", "html"}``."""
        from sqlalchemy import select

        from ..store import orm

        q = (select(orm.JobRun).where(orm.JobRun.schedule_id == schedule_id, orm.JobRun.kind == "monitor",
                                      orm.JobRun.status.in_(CHECKED), orm.JobRun.id < int(before_run))
             .order_by(orm.JobRun.id.desc()).limit(1))
        with self.store.read() as s:
            row = s.execute(q).scalar()
            if row is None:
                return None
            return {"id": row.id, "html": ((row.result or {}).get("report") or {}).get("html")}

    def drift_history(self, endpoint: str, last: Any = None):
        """Per-feature drift across ``endpoint``'s kept checks (``drift_history.py``)."""
        from .drift_history import drift_history

        return drift_history(self, endpoint, last)

    @staticmethod
    def _record(r) -> dict[str, Any]:
        result = dict(r.result or {})
        finished = utc(r.finished_at) or utc(r.started_at)
        return {"id": r.id, "endpoint": r.target, "kind": "check", "schedule": r.schedule_id,
                "created": finished, "status": report_status(result), "ref": result.get("ref"),
                "rows": result.get("rows"), "violations": int(result.get("violations") or 0),
                "drifted_features": list(result.get("drifted_features") or []),
                "summary": str(result.get("summary") or ""), "trigger": run_trigger(result)}


def _report_id(id: Any) -> int:
    if isinstance(id, bool):
        raise InvalidInput(f"A report id is a whole number (see reports()), got {id!r}.")
    if isinstance(id, int):
        return id
    if isinstance(id, str) and id.strip().isdigit() and len(id.strip()) < 19:
        return int(id.strip())
    raise InvalidInput(f"A report id is a whole number (see reports()), got {id!r}.")

