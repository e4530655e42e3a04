"""Idle-time work in a Jupyter kernel: ``_core/warmup.py``'s imports, run on the kernel's event
loop after the cell that imported ``jupyter_mlops`` (see that module for why the main thread).

Only in a kernel (an IPython shell with a ``kernel``) on its main thread with a running asyncio
loop; once per process; ``MLOPS_WARMUP=0`` turns it off. Elsewhere (a script, the CLI, a
terminal IPython) imports stay lazy, where they are needed.
"""

from __future__ import annotations

import os
import sys
import threading

#: seconds the kernel must stay idle (no cell run) before warming up: a person reading the
#: importing cell's output, never a notebook run cell after cell by papermill or nbval, which
#: shuts its kernel down right after the last cell (a step under way would delay the shutdown)
IDLE = 0.5
STEP_GAP = 0.005
_scheduled = False


def _in_a_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def schedule_warm_up() -> bool:
    """Schedule ``warm_up`` on the kernel's loop; True when it was scheduled (now or before)."""
    global _scheduled
    if _scheduled:
        return True
    if os.environ.get("MLOPS_WARMUP", "1") == "0" or not _in_a_kernel():
        return False
    if threading.current_thread() is not threading.main_thread():
        return False
    import asyncio

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return False
    from ._core.warmup import STEPS, run_step

    import time

    shell = sys.modules["IPython"].get_ipython()
    last_cell_end = [time.monotonic()]  # the importing cell's end, then each later cell's

    def cell_ended(*_args) -> None:
        last_cell_end[0] = time.monotonic()

    shell.events.register("post_run_cell", cell_ended)

    def when_idle() -> None:
        if getattr(shell, "exit_now", False):
            return
        quiet = time.monotonic() - last_cell_end[0]
        if quiet < IDLE:  # a cell ended less than IDLE ago: wait for a pause
            loop.call_later(IDLE - quiet, when_idle)
            return
        shell.events.unregister("post_run_cell", cell_ended)
        next_step(0)

    def next_step(index: int) -> None:
        if getattr(shell, "exit_now", False):  # the kernel is shutting down: nothing to warm
            return
        run_step(STEPS[index])
        if index + 1 < len(STEPS):
            # a timer, not call_soon: a cell that arrived meanwhile runs before the next step
            loop.call_later(STEP_GAP, next_step, index + 1)

    loop.call_later(IDLE, when_idle)
    _scheduled = True
    return True
