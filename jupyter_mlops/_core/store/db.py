"""Engine, sessions, write serialisation and migrations.

This is the store's one door: engine creation, migration and the session context managers turn
every database failure into an error of our tree (``failures.py``), so no call site handles
SQLite, PostgreSQL or SQLAlchemy exceptions. A workspace's SQLite file is created whole (built
under a temporary name, then linked into place), so an ``mlops.db`` that is empty or has no
``alembic_version`` was never ours in the making: it is refused, not made a new empty registry.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import MlopsError, StoreError, UnrecognizedStore
from .failures import translate

#: The Alembic revision this code expects; ``tests/test_store.py`` checks it is the script head.
HEAD_REVISION = "0003_reproduction"

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


def _sqlite_sessions(engine, url: str, busy_ms: int) -> None:
    """WAL, a busy timeout and foreign keys on every connection, and the write lock taken at the
    start of a write transaction (``BEGIN IMMEDIATE``)."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event choose DEFERRED or IMMEDIATE (pysqlite would otherwise
        # issue its own BEGIN lazily, and a reader upgrading to a writer in WAL mode fails with
        # "database is locked" instead of waiting).
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()
        _owner_only(url)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        write = conn.get_execution_options().get("mlops_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def default_url(home: Path) -> str:
    return f"sqlite:///{home / 'mlops.db'}"


class Store:
    """The metadata database of one workspace.

    ``read()`` yields a session for reading; ``write()`` yields a session that holds the
    workspace-wide write lock (SQLite ``BEGIN IMMEDIATE``; a PostgreSQL transaction-level advisory
    lock), so a read-modify-write such as "next version number" cannot interleave with another
    kernel's. Both commit on success and roll back on error.
    """

    def __init__(self, url: str, home: Path | None = None, lock_timeout: float = 60.0):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url
        from sqlalchemy.orm import sessionmaker

        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.lock_timeout = float(lock_timeout)
        try:
            parsed = make_url(url)
        except Exception as exc:
            raise StoreError(f"Cannot open the metadata database: {url!r} is not a database "
                             f"URL ({exc}).", hint="Fix MLOPS_DB_URL.") from exc
        database = parsed.database if self.is_sqlite else None
        #: the SQLite file (None for PostgreSQL and in-memory SQLite)
        self.path = Path(database) if database and database != ":memory:" \
            and not database.startswith("file:") else None
        #: the database as messages name it: the file, or the URL without its password
        self.place = str(self.path) if self.path else parsed.render_as_string(hide_password=True)
        kwargs: dict = {"future": True}
        if self.is_sqlite:
            kwargs["connect_args"] = {"timeout": self.lock_timeout, "check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
        with self.failures(os_errors=True):
            if self.is_sqlite and home is not None:
                home.mkdir(parents=True, exist_ok=True)
            try:
                self.engine = create_engine(url, **kwargs)
            except MlopsError:
                raise
            except Exception as exc:
                raise StoreError(f"Cannot open the metadata database {self.place}: "
                                 f"{type(exc).__name__}: {exc}") from exc
        if self.is_sqlite:
            _sqlite_sessions(self.engine, url, int(self.lock_timeout * 1000))
        self._read_sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(
            bind=self.engine.execution_options(mlops_write=True), expire_on_commit=False
        )
        self._migrated = False
        self._migrate_lock = threading.Lock()

    # -- sessions ---------------------------------------------------------------------------
    @contextmanager
    def failures(self, os_errors: bool = False) -> Iterator[None]:
        """Database failures inside become ``StoreError`` subclasses (``failures.py``); our own
        errors and everything else pass unchanged."""
        try:
            yield
        except MlopsError:
            raise
        except Exception as exc:
            error = translate(exc, self.place, self.path, self.lock_timeout, os_errors)
            if error is None:
                raise
            raise error from exc

    @contextmanager
    def read(self) -> Iterator:
        with self.failures():
            self.migrate()
            with self._read_sessions() as session:
                with session.begin():
                    yield session

    @contextmanager
    def write(self) -> Iterator:
        with self.failures():
            self.migrate()
            with self._write_sessions() as session:
                with session.begin():
                    if not self.is_sqlite:
                        from sqlalchemy import text

                        session.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                                        {"k": _WRITE_LOCK_KEY})
                    yield session

    session = write  # the safe default for parts that read and then write

    # -- migrations -------------------------------------------------------------------------
    def current_revision(self) -> str | None:
        from sqlalchemy import inspect, text

        with self.failures(), self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()

    def migrate(self) -> None:
        """Bring the schema to ``HEAD_REVISION`` with Alembic, once per process, under the lock;
        create a missing SQLite file whole, refuse one that is empty or not ours."""
        if self._migrated:
            return
        with self._migrate_lock:
            if self._migrated:
                return
            with self.failures(os_errors=True):
                try:
                    if self.path is not None:
                        self._create_or_check_file(self.path)
                    revision = self.current_revision()
                    if revision != HEAD_REVISION:
                        self._refuse_foreign(revision)
                        self._upgrade()
                except MlopsError:
                    raise
                except Exception as exc:
                    if translate(exc, self.place, self.path, self.lock_timeout, True) is not None:
                        raise
                    raise StoreError(f"Cannot prepare the metadata database {self.place}: "
                                     f"{type(exc).__name__}: {exc}") from exc
            self._migrated = True

    def _create_or_check_file(self, path: Path) -> None:
        if not path.exists():
            self._create_whole(path)
        elif path.stat().st_size == 0:
            raise UnrecognizedStore(
                f"The metadata database {path} is empty (0 bytes): it was emptied or truncated, "
                "so it holds no registry. It was left as it is.",
                hint=f"Restore {path.name} from a backup; to start a new, empty registry here, "
                     "delete the file.")

    def _create_whole(self, path: Path) -> None:
        """Build the new database under a temporary name and link it into place: another process
        never sees a half-made mlops.db, and if one of them links first, theirs is kept."""
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.new")
        fresh = Store(f"sqlite:///{temporary}", lock_timeout=self.lock_timeout)
        try:
            fresh._upgrade()
            with fresh.engine.connect() as conn:  # everything into the main file: no -wal left
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            fresh.dispose()
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
            except OSError:  # a file system without hard links: a plain rename, if still free
                if not path.exists():
                    os.replace(temporary, path)
        finally:
            fresh.dispose()
            for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
                leftover.unlink(missing_ok=True)

    def _refuse_foreign(self, revision: str | None) -> None:
        """A database with tables but none of our migrations belongs to someone else."""
        from sqlalchemy import inspect

        if revision is not None:
            if not _is_our_revision(revision):
                raise UnrecognizedStore(
                    f"The metadata database {self.place} has alembic revision {revision!r}, "
                    "which is not one of jupyter_mlops's migrations: it belongs to another "
                    "application, or to a newer jupyter_mlops. It was left as it is.",
                    hint="Upgrade jupyter_mlops if a newer one made it; otherwise point "
                         "MLOPS_HOME / MLOPS_DB_URL at this workspace's own database.")
            return
        with self.engine.connect() as conn:
            tables = sorted(inspect(conn).get_table_names())
        if tables or self.path is not None:  # a SQLite file of ours always has the schema
            shown = ", ".join(tables[:8]) + (", …" if len(tables) > 8 else "") or "none"
            raise UnrecognizedStore(
                f"The metadata database {self.place} is not a jupyter_mlops database: it has no "
                f"alembic_version table (its tables: {shown}). It was left as it is.",
                hint="Point MLOPS_HOME / MLOPS_DB_URL at this workspace's own database, or move "
                     "this one away to start a new registry here.")

    def _upgrade(self) -> None:
        from alembic import command
        from sqlalchemy import text

        cfg = _alembic_config()
        with self.engine.execution_options(mlops_write=True).connect() as conn:
            with conn.begin():
                if not self.is_sqlite:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _WRITE_LOCK_KEY})
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")

    def dispose(self) -> None:
        self.engine.dispose()


def _alembic_config():
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg


def _is_our_revision(revision: str) -> bool:
    from alembic.script import ScriptDirectory

    try:
        return ScriptDirectory.from_config(_alembic_config()).get_revision(revision) is not None
    except Exception:  # alembic: "Can't locate revision identified by ..."
        return False


def store_for(home: Path, url: str | None = None) -> Store:
    return Store(url or os.environ.get("MLOPS_DB_URL") or default_url(home), home=home)
