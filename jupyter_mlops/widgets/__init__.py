"""The notebook's control panel (ipywidgets): ``panel(ws=None, part=None)``, or ``%mlops panel
[registry|endpoints|drift|jobs]``. A view like the magics: every button is one ``Workspace`` call."""

from __future__ import annotations

from typing import Any

from .panel import PARTS, Panel, close_all, part_name
from .refresher import DEFAULT_INTERVAL


def panel(ws: Any = None, part: str | None = None, interval: float | None = DEFAULT_INTERVAL) -> Panel:
    """The control panel over ``ws`` (default: ``Workspace()``): all of it, or one ``part``
    (registry, endpoints, drift, jobs), refreshing every ``interval`` seconds in the background
    (None: only when asked). ``close()`` it to stop the refresher."""
    return Panel(ws, part=part, interval=interval)


__all__ = ["panel", "Panel", "close_all", "PARTS", "part_name", "DEFAULT_INTERVAL"]
