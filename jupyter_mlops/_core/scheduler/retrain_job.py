"""The ``retrain`` job kind: one run of a retraining schedule (``Workspace.schedule``), by the
pipelines part (``Pipelines.run_schedule``) in the row the runner opened for it.

A run started by drift (the event ``drift:<endpoint>`` a monitoring run emits on a violation with
``on_violation="retrain"``) receives the monitoring run's report and window as the parameters
``drift_report``, ``window_start`` and ``window_end`` when the notebook declares them. The daemon
runs one instance of a schedule at a time: a drift that comes while a run of the schedule is
still going starts no second one (``daemon.py``).
"""

from __future__ import annotations

from typing import Any


def run_retrain(context, schedule) -> dict[str, Any]:
    if context.pipelines is None:
        raise RuntimeError("this scheduler was built without the pipelines part")
    run = context.pipelines.run_schedule(schedule, context.run)
    result = run.to_dict()
    if run.status == "failed":
        result["error"] = run.summary()
    return result
