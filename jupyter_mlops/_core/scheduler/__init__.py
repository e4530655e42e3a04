"""The scheduler part: schedules stored in the metadata database, run by one APScheduler daemon
per workspace, every run recorded as a ``JobRun``.

* ``scheduler.py``  the part (``Scheduler``): add/monitor/remove/list schedules, list runs,
  start/stop/status of the daemon
* ``triggers.py``   intervals and cron strings, validated, as APScheduler triggers
* ``kinds.py``      job kinds: ``kind -> function(context, schedule) -> result dict``
* ``runner.py``     one recorded run of one schedule
* ``daemon.py``     the daemon (APScheduler, sync with the table, signals); ``__main__.py`` runs it
* ``control.py``    ``DaemonControl``: pid file, lock, start/stop/status from another process
* ``monitor_job.py``, ``alerts.py``  the ``monitor`` kind: check, report, audit, webhook
"""

from .results import Schedule, SchedulerStatus
from .scheduler import Scheduler

__all__ = ["Scheduler", "Schedule", "SchedulerStatus"]
