"""Job kinds for the scheduler tests, installed into the daemon the way any package adds a kind:
an entry point in the ``jupyter_mlops.job_kinds`` group (see ``conftest.plugin``)."""

import datetime as dt
import time


def sleep_job(ws, schedule):
    """Sleeps ``spec["seconds"]``: a slow job, to show runs of one schedule never overlap."""
    began = dt.datetime.now(dt.timezone.utc)
    time.sleep(float(schedule.spec.get("seconds", 0)))
    result = {"slept": schedule.spec.get("seconds", 0), "began": began.isoformat()}
    if schedule.spec.get("emit"):
        result["events"] = [schedule.spec["emit"]]  # for schedules waiting on that event
    return result


def failing_job(ws, schedule):
    raise RuntimeError(f"this job always fails ({schedule.id})")
