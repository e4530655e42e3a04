"""The panel's background timer: a daemon thread that calls ``tick`` every ``interval`` seconds.

It never runs in the kernel's shell thread, so a refresh never delays a cell. A tick that raises is
reported through ``on_error`` and the next tick runs as usual (a database briefly locked by another
writer must not freeze the panel for good). The thread ends when ``stop()`` is called (the panel's
``close()``), when ``should_stop()`` says so (the widget's comm is gone), or when the interpreter
exits (the kernel shuts down: an ``atexit`` hook holding only a weak reference stops it).
"""

from __future__ import annotations

import atexit
import threading
import weakref
from typing import Callable

DEFAULT_INTERVAL = 3.0


class Refresher:
    def __init__(self, tick: Callable[[], None], interval: float = DEFAULT_INTERVAL,
                 on_error: Callable[[BaseException], None] = lambda exc: None,
                 should_stop: Callable[[], bool] = lambda: False):
        if not interval > 0:
            raise ValueError(f"interval must be a positive number of seconds, got {interval!r}")
        self.interval = float(interval)
        self._tick, self._on_error, self._should_stop = tick, on_error, should_stop
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.ticks = 0
        self.errors = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> "Refresher":
        if not self.running:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._loop, name="mlops-panel-refresher", daemon=True)
            self._thread.start()
            ref = weakref.ref(self)
            atexit.register(_stop_at_exit, ref)
        return self

    def poke(self) -> None:
        """Tick now rather than at the end of the interval (after an action)."""
        self._wake.set()

    def stop(self, timeout: float | None = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stopping.is_set() or self._should_stop():
                break
            try:
                self._tick()
            except Exception as exc:  # noqa: BLE001 - reported, and the next tick runs as usual
                self.errors += 1
                try:
                    self._on_error(exc)
                except Exception:  # noqa: BLE001 - a failing reporter must not end the timer
                    pass
            self.ticks += 1


def _stop_at_exit(ref: "weakref.ref[Refresher]") -> None:
    refresher = ref()
    if refresher is not None:
        refresher.stop(timeout=1.0)
