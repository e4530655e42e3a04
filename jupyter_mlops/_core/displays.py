"""The view layer's live display, handed to the core (which imports no view library).

``jupyter_mlops/__init__.py`` installs a factory here at import; ``ws.deploy(..., wait=True)`` and
``ws.watch`` call it for an ``on_update`` when the caller passes none. Nothing is imported here,
so ``import jupyter_mlops`` stays light.
"""

from __future__ import annotations

from typing import Callable

_factory: Callable[[], Callable | None] | None = None


def set_default_display(factory: Callable[[], Callable | None] | None) -> None:
    global _factory
    _factory = factory


def default_display() -> Callable | None:
    """An ``on_update`` for this process (a notebook's updating output, a terminal line) or None."""
    return _factory() if _factory is not None else None
