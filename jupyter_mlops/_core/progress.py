"""Progress bars for the long verbs (batch, baseline, drift, reproduce, sweep), with ``tqdm.auto``:
a widget in a notebook, a line on stderr in a terminal.

Every such verb takes ``progress=``: ``None`` (the default) shows a bar only when the work turns
out to take more than about a second (tqdm's ``delay``) and someone is there to see it (the main
thread of a kernel or of a terminal process); ``True`` shows it at once, wherever; ``False``
never. ``MLOPS_PROGRESS=1`` (or ``0``) turns the default to True (or False) for a process and
its children: ``mlops --progress`` / ``--no-progress`` set it. The REST routes run their calls on worker threads and the scheduler daemon switches bars
off for its whole process (``disable_everywhere``), so neither ever draws one.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any, Iterable

#: how long auto mode waits before drawing a bar: work that ends sooner shows nothing
AUTO_DELAY_S = 1.0
_OFF_ENV = "MLOPS_NO_PROGRESS"
_DEFAULT_ENV = "MLOPS_PROGRESS"


def disable_everywhere() -> None:
    """No bar in this process, whatever a call asks (the scheduler daemon, the endpoint)."""
    os.environ[_OFF_ENV] = "1"


def choose_default(progress: bool) -> None:
    """What ``progress=None`` means in this process from now on: always (True) or never (False)."""
    os.environ[_DEFAULT_ENV] = "1" if progress else "0"


def _in_a_kernel() -> bool:
    """A Jupyter kernel's shell runs this process (read from sys.modules: no IPython import here)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def _someone_watching() -> bool:
    if _in_a_kernel():
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def wanted(progress: Any) -> bool | None:
    """Whether to draw: False (never), True (at once) or None (auto: once the work takes > 1 s)."""
    if os.environ.get(_OFF_ENV) or progress is False:
        return False
    if progress is True:
        return True
    if progress is not None:
        raise TypeError(f"progress must be True, False or None (auto), got {progress!r}")
    if threading.current_thread() is not threading.main_thread():
        return False  # a server's worker thread, a sweep's trial thread: nobody sees it
    chosen = os.environ.get(_DEFAULT_ENV, "").strip().lower()
    if chosen in ("1", "true", "yes"):
        return True  # mlops --progress: stderr may be a pipe that someone reads
    if chosen in ("0", "false", "no"):
        return False
    return None if _someone_watching() else False


class _Silent:
    """The bar's interface when no bar is drawn."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def bar(progress: Any, total: int | None = None, desc: str = "", unit: str = "it"):
    """A tqdm bar (a context manager with ``update(n)``), or a silent stand-in."""
    mode = wanted(progress)
    if mode is False:
        return _Silent()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True,
                delay=0 if mode else AUTO_DELAY_S, leave=True)


def track(iterable: Iterable, progress: Any, total: int | None = None, desc: str = "", unit: str = "it"):
    """``iterable``, advancing a bar by one per item (see :func:`bar`)."""
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)  # type: ignore[arg-type]
    with bar(progress, total=total, desc=desc, unit=unit) as b:
        for item in iterable:
            yield item
            b.update(1)
