"""Engine, sessions, write serialisation and migrations."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import StoreError

#: The Alembic revision this code expects; ``tests/test_store.py`` checks it is the script head.
HEAD_REVISION = "0001_initial"

_MIGRATIONS = Path(__file__).with_name("migrations")
_WRITE_LOCK_KEY = int.from_bytes(hashlib.sha256(b"jupyter_mlops.write").digest()[:8], "big", signed=True)


def _owner_only(url: str) -> None:
    """The database file (and its WAL and shared-memory files, which SQLite creates with the
    database's mode) readable by its owner only, whatever the umask."""
    from sqlalchemy.engine import make_url

    path = make_url(url).database
    if path and path != ":memory:" and os.path.exists(path):
        st = os.stat(path)
        if st.st_uid == os.getuid() and st.st_mode & 0o077:
            os.chmod(path, 0o600)


def default_url(home: Path) -> str:
    return f"sqlite:///{home / 'mlops.db'}"


class Store:
    """The metadata database of one workspace.

    ``read()`` yields a session for reading; ``write()`` yields a session that holds the
    workspace-wide write lock (SQLite ``BEGIN IMMEDIATE``; a PostgreSQL transaction-level advisory
    lock), so a read-modify-write such as "next version number" cannot interleave with another
    kernel's. Both commit on success and roll back on error.
    """

    def __init__(self, url: str, home: Path | None = None):
        from sqlalchemy import create_engine, event
        from sqlalchemy.orm import sessionmaker

        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite and home is not None:
            home.mkdir(parents=True, exist_ok=True)
        kwargs: dict = {"future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 60, "check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
        try:
            self.engine = create_engine(url, **kwargs)
        except Exception as exc:
            raise StoreError(f"Cannot open the metadata database {url!r}: {exc}") from exc
        if self.is_sqlite:
            @event.listens_for(self.engine, "connect")
            def _on_connect(dbapi_connection, _record):
                # Let SQLAlchemy's "begin" event choose DEFERRED or IMMEDIATE (pysqlite would
                # otherwise issue its own BEGIN lazily, and a reader upgrading to a writer in WAL
                # mode fails with "database is locked" instead of waiting).
                dbapi_connection.isolation_level = None
                cur = dbapi_connection.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA busy_timeout=60000")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.close()
                _owner_only(url)

            @event.listens_for(self.engine, "begin")
            def _on_begin(conn):
                write = conn.get_execution_options().get("mlops_write", False)
                conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        self._read_sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            bind=self.engine.execution_options(mlops_write=True), expire_on_commit=False
        )
        self._migrated = False
        self._migrate_lock = threading.Lock()

    # -- sessions ---------------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator:
        self.migrate()
        with self._read_sessions() as session:
            with session.begin():
                yield session

    @contextmanager
    def write(self) -> Iterator:
        self.migrate()
        with self._write_sessions() as session:
            with session.begin():
                if not self.is_sqlite:
                    from sqlalchemy import text

                    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _WRITE_LOCK_KEY})
                yield session

    session = write  # the safe default for parts that read and then write

    # -- migrations -------------------------------------------------------------------------
    def current_revision(self) -> str | None:
        from sqlalchemy import inspect, text

        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def migrate(self) -> None:
        """Bring the schema to ``HEAD_REVISION`` with Alembic, once per process, under the lock."""
        if self._migrated:
            return
        with self._migrate_lock:
            if self._migrated:
                return
            try:
                if self.current_revision() != HEAD_REVISION:
                    self._upgrade()
            except StoreError:
                raise
            except Exception as exc:
                raise StoreError(
                    f"Cannot prepare the metadata database {self.url!r}: {type(exc).__name__}: {exc}"
                ) from exc
            self._migrated = True

    def _upgrade(self) -> None:
        from alembic import command
        from alembic.config import Config
        from sqlalchemy import text

        cfg = Config()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        with self.engine.execution_options(mlops_write=True).connect() as conn:
            with conn.begin():
                if not self.is_sqlite:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _WRITE_LOCK_KEY})
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")

    def dispose(self) -> None:
        self.engine.dispose()


def store_for(home: Path, url: str | None = None) -> Store:
    return Store(url or os.environ.get("MLOPS_DB_URL") or default_url(home), home=home)
