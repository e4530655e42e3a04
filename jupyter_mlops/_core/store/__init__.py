"""Metadata store: SQLAlchemy 2 (SQLite in WAL mode by default, any URL via MLOPS_DB_URL).

Parts open sessions through :class:`Store` and hand entities (plain dataclasses) to callers,
never sessions or ORM rows.
"""

from .db import Store

__all__ = ["Store"]
