"""The control panel: tabs (Registry, Endpoints, Monitoring, Jobs) over one ``Workspace``, a message
line, a confirmation bar, and a background refresher.

Every tab is a thin view: ``refresh()`` reads workspace results and listings and updates its
widgets; its buttons make one ``Workspace`` call each through ``Actions`` (a worker thread), so the
audit log records them and the kernel stays free. The refresher ticks every ``interval`` seconds
in its own thread and refreshes the tab on show (and the Endpoints tab always, whose charts are a
history); it stops on ``close()``, when the widget's comm is gone, or at interpreter exit.

The root widget has the CSS class ``mlops-panel`` (and ``mlops-panel-<part>`` for one part); the
live charts are ``.mlops-chart``: the browser tests look for both.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from typing import Any

import ipywidgets as w

from .._core.html import esc
from .actions import Actions, ConfirmBar, MessageLine
from .context import Context, button, set_html
from .refresher import DEFAULT_INTERVAL, Refresher
from .style import stylesheet

#: the panels of this kernel not closed yet (``close_all``)
_OPEN: "weakref.WeakSet[Panel]" = weakref.WeakSet()

#: the parts in the order of the tabs; "monitoring" is another name of "drift"
PARTS = ("registry", "endpoints", "drift", "jobs")
ALIASES = {"monitoring": "drift", "models": "registry", "schedules": "jobs"}


def _tab_class(part: str):
    if part == "registry":
        from .registry_tab import RegistryTab
        return RegistryTab
    if part == "endpoints":
        from .endpoints_tab import EndpointsTab
        return EndpointsTab
    if part == "drift":
        from .drift_tab import DriftTab
        return DriftTab
    from .jobs_tab import JobsTab
    return JobsTab


def part_name(part: str | None) -> str | None:
    """The part ``part`` names (None: all), or ``InvalidInput`` listing the parts."""
    if part is None:
        return None
    key = ALIASES.get(str(part).lower(), str(part).lower())
    if key not in PARTS:
        from .._core.errors import InvalidInput

        raise InvalidInput(f"No panel part named {part!r}.", hint=f"Parts: {', '.join(PARTS)}.")
    return key


class Panel(w.VBox):
    """``Panel(ws, part=None, interval=3.0)``: the whole control panel, or one ``part``."""

    def __init__(self, ws: Any = None, part: str | None = None, interval: float | None = DEFAULT_INTERVAL,
                 **kwargs):
        if interval is not None and (isinstance(interval, bool) or not isinstance(interval, (int, float))
                                     or not interval > 0):
            from .._core.errors import InvalidInput

            raise InvalidInput(f"interval must be a number of seconds above 0 (or None: refresh by hand), "
                               f"got {interval!r}.")
        part = part_name(part)
        if ws is None:
            from .._core.workspace import Workspace

            ws = Workspace()
        self.ws = ws
        self.part = part
        self.message = MessageLine()
        self.confirm = ConfirmBar()
        self.actions = Actions(self.message, after=self._refresh_soon)
        self.context = Context(ws, self.message, self.confirm, self.actions, poke=self._poke)
        self.tabs = [_tab_class(p)(self.context) for p in ([self.part] if self.part else PARTS)]
        self.updated = w.HTML()
        self.updated.add_class("mlops-panel-header")
        self.refresh_button = button("Refresh", "", "refresh now", "refresh")
        self.refresh_button.on_click(lambda _: self._refresh_soon())
        header = w.HBox([w.HTML(f"<b>MLOps</b> · <span class='mlops-mono'>{esc(ws.home)}</span>"), self.updated,
                         self.refresh_button])
        header.add_class("mlops-panel-row")
        header.add_class("mlops-panel-header")
        if self.part:
            body = self.tabs[0].widget
        else:
            body = w.Tab(children=[t.widget for t in self.tabs], titles=[t.title for t in self.tabs])
            body.observe(lambda _: self._poke(), "selected_index")
        self.body = body
        super().__init__([w.HTML(stylesheet()), header, self.message.widget, self.confirm.widget, body], **kwargs)
        self.add_class("mlops-panel")
        if self.part:
            self.add_class(f"mlops-panel-{self.part}")
        self._ticking = threading.Lock()
        self.refresh()  # the first view is there when the cell's output appears
        self.refresher = Refresher(self._tick, interval or DEFAULT_INTERVAL,
                                   on_error=lambda exc: self.message.error(exc, source="refresh"),
                                   should_stop=lambda: self.comm is None)
        if interval:
            self.refresher.start()
        _OPEN.add(self)

    def __repr__(self) -> str:
        # what a terminal (or a front end without widgets) shows, instead of every child widget
        refresher = getattr(self, "refresher", None)
        timer = (f"refreshing every {refresher.interval:g} s" if refresher is not None and refresher.running
                 else "not refreshing")
        return (f"<jupyter_mlops panel of {self.ws.home}: {', '.join(t.title for t in self.tabs)}; {timer}"
                + (f"; {self.message.text}" if self.message.text else "") + ">")

    # -- the tabs by part, for code and tests: panel["endpoints"] ---------------------------------
    def __getitem__(self, part: str):
        key = part_name(part)
        for tab in self.tabs:
            if tab.part == key:
                return tab
        raise KeyError(part)

    @property
    def visible(self) -> list:
        """The tabs on show: the one part, or the selected tab."""
        if self.part:
            return self.tabs
        return [self.tabs[self.body.selected_index or 0]]

    def refresh(self) -> None:
        """Refresh the tab on show (and the Endpoints tab's history) now, in this thread. A failure
        shows as one line on the message line; the next refresh tries again."""
        with self._ticking:
            tabs = list(dict.fromkeys([*self.visible, *(t for t in self.tabs if t.part == "endpoints")]))
            failed = None
            for tab in tabs:
                try:
                    tab.refresh()
                except Exception as exc:  # noqa: BLE001 - shown as one line; the other tabs still refresh
                    failed = exc
            if failed is not None:
                self.message.error(failed, source="refresh")
            else:
                self.message.clear_refresh_error()
            set_html(self.updated, f"updated {dt.datetime.now():%H:%M:%S}")

    def _tick(self) -> None:
        if self.comm is not None:
            self.refresh()

    def _poke(self) -> None:
        refresher = getattr(self, "refresher", None)
        if refresher is not None and refresher.running:
            refresher.poke()

    def _refresh_soon(self) -> None:
        """After an action, or on Refresh: the refresher ticks now; without one, refresh here."""
        if getattr(self, "refresher", None) is not None and self.refresher.running:
            self.refresher.poke()
        else:
            self.refresh()

    def wait(self, timeout: float | None = 120) -> "Panel":
        """Wait for the action in progress to end (for scripts and tests); returns the panel."""
        self.actions.wait(timeout)
        return self

    def close(self) -> None:
        """Stop the refresher, then close the widgets (the kernel side of the panel ends)."""
        refresher = getattr(self, "refresher", None)
        if refresher is not None:
            refresher.stop()
        _OPEN.discard(self)
        for child in self._descendants():
            child.close()
        super().close()

    def _descendants(self) -> list:
        out, stack = [], list(self.children)
        while stack:
            child = stack.pop()
            out.append(child)
            stack.extend(getattr(child, "children", ()) or ())
        return out


def close_all() -> int:
    """Close every panel of this kernel (a panel whose output was cleared keeps refreshing until
    closed: its widget lives on in the front end's widget manager). Returns how many."""
    panels = list(_OPEN)
    for p in panels:
        p.close()
    return len(panels)
