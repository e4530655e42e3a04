"""The ``monitor`` job kind: check an endpoint's captured traffic since the previous run against
its baseline (monitoring's ``check``), and on a violation write an alert.

The window of a run starts where the last completed run's window ended, or, for the first run,
``since`` (default: one period of the schedule) before now, and ends when the run starts. A window
with too little traffic (fewer than 2 rows) is ``skipped``, not failed, and the next run looks back
to the same start. ``check`` bounds a window from below only, so the edges are approximate: a
request captured while a run reads the files is counted in that window and the next, and one made
in the last moment before a run but still in the endpoint's capture buffer (flushed every 0.5 s)
is counted in neither. Exact edges need an ``until=`` in ``check``.

Every completed check saves its report to ``<home>/reports/<schedule>/<time>.html`` (+ ``.json``,
which ``Workspace.report(run id)`` reads back; the run's result names both under ``report``). On
a violation, also an ``alert`` entry to the audit log and, when the schedule has a webhook, a JSON
POST to it.
``on_violation="retrain"`` does all that, records ``retrain_requested`` in the run's result and
emits the event ``drift:<endpoint>``: the daemon then runs every schedule made with
``on_event="drift:<endpoint>"`` (retraining's ``ws.schedule(name, notebook, on_drift=endpoint)``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ..durations import since_time
from ..lineage import actor
from . import alerts, triggers

MAX_VIOLATIONS_IN_ALERT = 20


def drift_event(endpoint: str) -> str:
    """The event a violation on ``endpoint`` emits when its schedule says ``on_violation="retrain"``."""
    return f"drift:{endpoint}"


def window_start(schedule, now: dt.datetime) -> dt.datetime:
    if schedule.window_start is not None:
        return schedule.window_start
    since = schedule.spec.get("since")
    if since:
        return since_time(since, now)
    return now - dt.timedelta(seconds=triggers.period_seconds(schedule.spec["trigger"], schedule.created_at))


def run_monitor(context, schedule) -> dict[str, Any]:
    from ..errors import InsufficientData

    until = dt.datetime.now(dt.timezone.utc)
    since = window_start(schedule, until)
    window = {"since": since.isoformat(), "until": until.isoformat()}
    try:
        report = context.monitoring.check(schedule.target, since=since)
    except InsufficientData as exc:
        return {"status": "skipped", "window": window, "reason": str(exc)}
    previous = _link_predecessor(context, schedule, report)
    files = alerts.save_report(report, alerts.report_path(context.home, schedule.id, until))
    result: dict[str, Any] = {
        "status": "violation" if report.has_violations else "ok",
        "window": window, "rows": report.n_rows, "ref": report.ref, "summary": report.summary(),
        "violations": len(report.violations), "drifted_features": report.drift.drifted_columns,
        "report": files, "previous_report": previous,
        # every feature's statistic, so drift_history reads rows, not report files
        "features": feature_statistics(report.drift),
    }
    if report.has_violations:
        result.update(_alert(context, schedule, report, until, files))
    return result


def _link_predecessor(context, schedule, report) -> int | None:
    """The report's own id (its run's) and the id of the previous check of this schedule."""
    run = context.run
    if run is None:
        return None
    report.report_id = run.id
    previous = context.reports.previous(schedule.id, run.id) if context.reports is not None else None
    if previous is None:
        return None
    report.previous_report = previous["id"]
    if previous.get("html"):  # a link that works in the saved page: both live in one folder
        report.previous_report_file = Path(previous["html"]).name
    return previous["id"]


def feature_statistics(drift) -> list[dict[str, Any]]:
    return [{"feature": c.column, "method": c.method, "statistic": c.statistic, "p_value": c.p_value,
             "score_name": c.score_name, "threshold": c.threshold, "drifted": c.drifted}
            for c in drift.columns]


def _alert(context, schedule, report, when: dt.datetime, files: dict[str, str]) -> dict[str, Any]:
    on_violation = schedule.spec.get("on_violation", "alert")
    violations = [{"feature": v.get("feature_name"), "check": v.get("constraint_check_type"),
                   "description": v.get("description")} for v in report.violations[:MAX_VIOLATIONS_IN_ALERT]]
    details = {"schedule": schedule.id, "ref": report.ref, "summary": report.summary(), "report": files["html"],
               "violations": violations, "drifted_features": report.drift.drifted_columns,
               "on_violation": on_violation}
    context.audit.record("alert", schedule.target, details, actor=f"scheduler:{actor()}")
    out: dict[str, Any] = {"alert": True}
    if on_violation == "retrain":
        out["retrain_requested"] = True
        out["events"] = [drift_event(schedule.target)]
    webhook = schedule.spec.get("webhook")
    if webhook:
        payload = {"event": "jupyter_mlops.monitoring.violation", "endpoint": schedule.target,
                   "schedule": schedule.id, "workspace": str(context.home), "time": when.isoformat(),
                   "ref": report.ref, "rows": report.n_rows, "summary": report.summary(),
                   "violations": violations, "drifted_features": report.drift.drifted_columns,
                   "report": files["html"], "report_json": files["json"],
                   "retrain_requested": on_violation == "retrain"}
        out["webhook"] = alerts.post_webhook(webhook, payload)
    return out
