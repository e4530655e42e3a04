"""How the scheduler daemon stops: the grace period runs in progress get, and the runs in progress.

A stop (SIGTERM) closes :class:`RunsInProgress` (no run starts after that), waits up to the grace
period for the runs in progress, then the daemon marks those still going as interrupted and exits.
The grace is the ``MLOPS_SCHEDULER_STOP_GRACE`` setting (seconds, default :data:`DEFAULT_GRACE`),
shortened to fit the timeout of ``DaemonControl.stop(timeout)``, which asks for it in the stop
request file (``control.write_stop_request``): the daemon is then gone before that timeout, and
nothing needs SIGKILL.
"""

from __future__ import annotations

import datetime as dt
import os
import threading

from ..errors import SchedulerError

GRACE_VARIABLE = "MLOPS_SCHEDULER_STOP_GRACE"
#: below the 30 s default timeout of ``mlops scheduler stop``, leaving time to mark runs and exit
DEFAULT_GRACE = 20.0


def grace_setting() -> float:
    """The configured grace in seconds; a clear error for a value that is not one."""
    raw = os.environ.get(GRACE_VARIABLE)
    if raw is None or not raw.strip():
        return DEFAULT_GRACE
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise SchedulerError(f"{GRACE_VARIABLE}={raw!r} is not a number of seconds >= 0.",
                             hint=f"Set it to how long runs in progress may take to finish when the scheduler "
                                  f"stops, e.g. {GRACE_VARIABLE}=20, or unset it for {DEFAULT_GRACE:g} s.")
    return value


def grace_within(timeout: float) -> float:
    """The longest grace that still lets a daemon stopped with ``timeout`` exit before it: a quarter
    of it (at least a second) is kept for marking interrupted runs and releasing the files."""
    return max(0.0, float(timeout) - max(1.0, float(timeout) / 4))


class RunsInProgress:
    """The schedules this daemon runs right now (by id), and the switch that stops new runs.

    APScheduler's own ``shutdown(wait=True)`` cannot serve here: it waits without a limit, holding
    the scheduler's job-store lock, which a run needs to finish (see ``daemon.py``)."""

    def __init__(self):
        self._changed = threading.Condition()
        self._running: dict[str, int] = {}
        self._due: dict[str, dt.datetime] = {}
        self._closed = False

    def begin(self, schedule_id: str) -> bool:
        """Count a run as started; False once closed (the run must not start)."""
        with self._changed:
            if self._closed:
                return False
            self._running[schedule_id] = self._running.get(schedule_id, 0) + 1
            return True

    def end(self, schedule_id: str) -> None:
        with self._changed:
            left = self._running.get(schedule_id, 0) - 1
            if left > 0:
                self._running[schedule_id] = left
            else:
                self._running.pop(schedule_id, None)
            self._changed.notify_all()

    def note_due(self, schedule_id: str, when: dt.datetime) -> None:
        """The time the run just submitted for ``schedule_id`` was due (for a catch-up after a stop)."""
        with self._changed:
            self._due[schedule_id] = when

    def due(self, schedule_id: str) -> dt.datetime | None:
        with self._changed:
            return self._due.get(schedule_id)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> int:
        """Start no more runs; returns how many are in progress."""
        with self._changed:
            self._closed = True
            return len(self._running)

    def drain(self, grace: float) -> list[str]:
        """Wait up to ``grace`` seconds for the runs in progress; the schedule ids still running."""
        with self._changed:
            self._changed.wait_for(lambda: not self._running, timeout=grace)
            return sorted(self._running)
