"""What a failure of the metadata database means, in the words of our error tree (ARCHITECTURE.md,
"One error tree"): the SQLite, PostgreSQL, SQLAlchemy or OS error becomes a ``StoreError`` subclass
saying what happened and what to do. ``Store`` (``db.py``) applies it at its one door: engine
creation, migration and the session context managers.

SQLite errors are told apart by their result code (``sqlite_errorname``, Python 3.11+; the SQLite
documentation, "Result and Error Codes"), PostgreSQL errors by their SQLSTATE (the PostgreSQL
documentation, Appendix A "Error Codes"), and both by their message when a driver gives neither.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

from ..errors import (StoreDamaged, StoreError, StoreFull, StoreLocked, StorePermissionDenied,
                      StoreUnreachable)


def _db_error(exc: BaseException) -> BaseException | None:
    """The driver's own exception inside SQLAlchemy's wrapper, or None when ``exc`` does not come
    from the database (then it is not ours to translate)."""
    import sqlite3

    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if isinstance(exc, DBAPIError):
        return exc.orig if exc.orig is not None else exc
    if isinstance(exc, (SQLAlchemyError, sqlite3.Error)):
        return exc
    try:
        import psycopg
    except ImportError:
        return None
    return exc if isinstance(exc, psycopg.Error) else None


def translate(exc: BaseException, place: str, path: Path | None, lock_timeout: float,
              os_errors: bool = False) -> StoreError | None:
    """The ``StoreError`` for ``exc``, or None when it is not a database failure.

    ``place``: the database as users know it (the file, or the URL without its password);
    ``path``: the SQLite file, if any; ``os_errors``: OSErrors count too (engine creation and
    migration only: inside a session an OSError is the caller's own, e.g. an artifact write).
    """
    if isinstance(exc, OSError) and not isinstance(exc, ConnectionError):
        return _os_error(exc, place, path) if os_errors else None
    orig = _db_error(exc)
    if orig is None:
        return None
    said = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    code = getattr(orig, "sqlite_errorname", None) or ""
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or ""
    text = said.lower()
    if code == "SQLITE_FULL" or state == "53100" or "database or disk is full" in text \
            or "no space left" in text:
        return _full(place, path, said)
    if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or state in ("XX001", "XX002") \
            or "file is not a database" in text or "malformed" in text:
        return _damaged(place, path, said)
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or state in ("55P03", "40P01") \
            or "database is locked" in text:
        return StoreLocked(
            f"The metadata database {place} stayed locked by another connection for more than "
            f"{lock_timeout:g} s ({said}): a kernel, an endpoint or the scheduler held a long "
            f"write, or a stopped process still holds it.",
            hint="Retry; if it stays locked, find the holder"
                 + (f" (fuser {path}) " if path else " ") + "and stop it.")
    if code.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_AUTH")) \
            or state == "42501" or state.startswith("28") or "readonly database" in text:
        return _denied(place, path, said)
    if code.startswith("SQLITE_CANTOPEN") or "unable to open database file" in text:
        return _cannot_open(place, path, said)
    if state.startswith(("08", "57P")) or any(
            s in text for s in ("connection refused", "could not connect", "connection failed",
                                "timeout expired", "server closed the connection")):
        return StoreUnreachable(
            f"Cannot reach the metadata database {place}: {said}.",
            hint="Start the database server (or check its address), or set MLOPS_DB_URL to the "
                 "right one, then retry.")
    return StoreError(f"The metadata database {place} refused the operation: "
                      f"{type(orig).__name__}: {said}")


def _full(place: str, path: Path | None, said: str) -> StoreFull:
    free = ""
    if path is not None:
        try:
            free = f"; {_size(shutil.disk_usage(path.parent).free)} free on its disk"
        except OSError:
            pass
    return StoreFull(
        f"The metadata database {place} is full ({said}{free}). Nothing of this operation was "
        "written.",
        hint="Free disk space (or raise the database's size limit), then retry.")


def _damaged(place: str, path: Path | None, said: str) -> StoreDamaged:
    if path is None:
        return StoreDamaged(f"The metadata database {place} reports damaged data ({said}).",
                            hint="Restore the database from a backup.")
    return StoreDamaged(
        f"The metadata database {path} is damaged ({said}); it was left as it is.",
        hint=f"Stop every kernel, endpoint and scheduler using this workspace, then restore "
             f"{path.name} from a backup, or recover what is readable: "
             f"`sqlite3 {path} .recover | sqlite3 {path.with_name('recovered.db')}` and put "
             f"recovered.db in its place.")


def _denied(place: str, path: Path | None, said: str) -> StorePermissionDenied:
    where = f"{path.parent} and the files {path.name}, {path.name}-wal, {path.name}-shm in it" \
        if path is not None else "the database"
    return StorePermissionDenied(
        f"Cannot write the metadata database {place}: permission denied ({said}).",
        hint=f"Give this user write access to {where}, or set MLOPS_HOME to a folder you can "
             "write.")


def _cannot_open(place: str, path: Path | None, said: str) -> StoreError:
    if path is not None and not path.parent.exists():
        return StoreError(f"Cannot open the metadata database {place}: its folder "
                          f"{path.parent} does not exist ({said}).",
                          hint="Create the folder, or fix MLOPS_HOME / MLOPS_DB_URL.")
    return _denied(place, path, said)


def _os_error(exc: OSError, place: str, path: Path | None) -> StoreError:
    said = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    if exc.errno == errno.ENOSPC:
        return _full(place, path, said)
    if isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
        return _denied(place, path, said)
    return StoreError(f"Cannot open the metadata database {place}: {said}.")


def _size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover
