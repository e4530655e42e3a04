"""Live displays of a rollout (the view side of ``_core/serving/control/watch.py``): one
updating output in a notebook, one redrawn line in a terminal. ``ws.deploy(..., wait=True)`` and
``ws.watch(endpoint)`` use ``for_this_process()`` when the caller passes no ``on_update``;
``%mlops watch`` and ``mlops watch`` pass theirs."""

from __future__ import annotations

import sys
from typing import Any, Callable, TextIO


def notebook_display(clear_at_end: bool = True) -> Callable[[Any], None]:
    """Shows the first look, then updates that same output in place (an IPython display handle).
    With ``clear_at_end`` the output empties once the rollout has ended: the call's own result
    (the ``RolloutWatch`` of watch, the ``Endpoint`` of deploy) shows the outcome, once."""
    from IPython.display import display

    handle = None

    def on_update(look) -> None:
        nonlocal handle
        if look.finished and clear_at_end:
            if handle is not None:
                handle.update({"text/plain": ""}, raw=True)
            return
        if handle is None:
            handle = display(look, display_id=True)
        else:
            handle.update(look)

    return on_update


def terminal_display(stream: TextIO | None = None) -> Callable[[Any], None]:
    """On a terminal one line, redrawn in place and ended when the rollout ends; on a pipe or a
    file, a line each time the step or the state changes, and the last look."""
    stream = stream or sys.stderr
    redraw = bool(getattr(stream, "isatty", lambda: False)())
    last: list[tuple] = []

    def on_update(look) -> None:
        text = look.to_text()
        if redraw:
            stream.write("\r\x1b[K" + text + ("\n" if look.finished else ""))
        else:
            key = (look.status, look.step)
            if look.finished or not last or last[-1] != key:
                stream.write(text + "\n")
            last.append(key)
        stream.flush()

    return on_update


def _in_a_kernel() -> bool:
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def for_this_process() -> Callable[[Any], None] | None:
    """The display for a wait that was given none: a notebook's updating output in a kernel, the
    redrawn line on an interactive terminal, else nothing (a script's log, a server thread)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    if _in_a_kernel():
        return notebook_display()
    try:
        return terminal_display(sys.stderr) if sys.stderr.isatty() else None
    except (AttributeError, ValueError):
        return None
