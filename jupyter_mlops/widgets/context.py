"""What the panel hands each tab, and the small helpers tabs share to update widgets coarsely."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable

import ipywidgets as w

from .actions import Actions, ConfirmBar, MessageLine


@dataclass
class Context:
    """The workspace the tabs read and act on, and the panel's shared parts."""

    ws: Any
    message: MessageLine
    confirm: ConfirmBar
    actions: Actions
    #: ask the refresher to tick now (after a selection changed)
    poke: Callable[[], None]
    #: held while widgets are rebuilt, so a click never sees half a refresh
    lock: threading.RLock = field(default_factory=threading.RLock)


def set_html(widget: w.HTML, value: str) -> None:
    """Send ``value`` only when it changed: an unchanged refresh costs no comm message."""
    if widget.value != value:
        widget.value = value


def set_options(dropdown: w.Dropdown, options: list[tuple[str, Any]], keep: Any = None) -> None:
    """New options for ``dropdown``. Its value stays when still offered (the user may have picked
    it while this refresh read the workspace), else ``keep``, else the first option."""
    values = [value for _, value in options]
    if tuple(dropdown.options) == tuple(options) and dropdown.value in values + [None]:
        return
    current = dropdown.value
    with dropdown.hold_sync():
        dropdown.options = options
        dropdown.value = (current if current in values and current is not None else
                          keep if keep in values else (values[0] if values else None))


def button(description: str, style: str = "", tooltip: str = "", icon: str = "") -> w.Button:
    b = w.Button(description=description, button_style=style, tooltip=tooltip or description, icon=icon,
                 layout=w.Layout(width="auto"))
    return b
