"""What the first ``register`` of a kernel needs, imported ahead of it while the kernel is idle.

A fresh kernel's first ``register`` used to spend most of its time importing: skops (its trusted
types walk scikit-learn and NumPy/SciPy's ufuncs), SQLAlchemy (the metadata store), Alembic (a new
workspace's migrations), the installed packages' versions (lineage) and our own registry and
baseline modules. ``warm_up`` does those imports; ``jupyter_mlops/_idle.py`` runs its steps from the
kernel's event loop, on the kernel's main thread, once the kernel has been idle for half a
second after a cell: in the time a person takes to run the next cell, not in it (a notebook run
cell after cell, as papermill and nbval run it, never pauses, so it is never slowed).

On the main thread, not a background thread: imports and ``warnings.catch_warnings`` (which
skops' import uses) are not safe to run beside the user's code, and a ``fork`` while another
thread holds an import lock can hang the child. A cell sent while ``warm_up`` runs waits for it,
as it would have waited for the same imports inside ``register``. Nothing is opened or created:
no workspace, no database, no file.
"""

from __future__ import annotations

from typing import Callable


def _store_library() -> None:
    import sqlalchemy.orm  # noqa: F401  the metadata store's engine and sessions
    from .store import db, orm  # noqa: F401


def _artifact_format() -> None:
    from .skops_import import skops_io

    skops_io()


def _registry() -> None:
    # the Workspace parts a register opens, and what register(data=...) computes with
    from . import artifacts, audit, policy, trust  # noqa: F401
    from .monitor import baseline, modelquality, monitoring, window  # noqa: F401
    from .registry import datasets, registry  # noqa: F401
    from .serving.control import serving  # noqa: F401


def _lineage() -> None:
    from .lineage import installed_packages

    installed_packages()  # cached for the process


def _migrations() -> None:
    # a new workspace's database is created by migrations; an existing one (the usual case: a
    # notebook run again) never needs Alembic, so it is not imported for it
    import os

    from .home import find_home

    if os.environ.get("MLOPS_DB_URL") or (find_home() / "mlops.db").exists():
        return
    import alembic.command  # noqa: F401
    import alembic.config  # noqa: F401


#: most needed first: a cell sent meanwhile runs after the step under way, and imports the rest itself
STEPS: tuple[Callable[[], None], ...] = (_artifact_format, _store_library, _registry, _lineage, _migrations)


def run_step(step: Callable[[], None]) -> bool:
    """One step; False when it failed (an import that fails here fails again, with its real
    error, where it is needed)."""
    try:
        step()
        return True
    except Exception:
        return False


def warm_up() -> list[str]:
    """Every step now; returns the names of the steps that failed."""
    return [step.__name__.lstrip("_") for step in STEPS if not run_step(step)]
