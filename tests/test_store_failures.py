"""When the metadata database fails, the user gets one of our errors saying what happened and what
to do, never a raw sqlite3/SQLAlchemy/psycopg exception; an emptied or foreign mlops.db is refused,
never silently made a new, empty registry. Every failure here is real: a full database (SQLite's
max_page_count), garbage bytes in the file, a lock held by another connection, an immutable file,
a port where no PostgreSQL listens."""

from __future__ import annotations

import os
import sqlite3
import subprocess

import pytest
from sqlalchemy import event, text

import jupyter_mlops as mlops
from jupyter_mlops._core.store import db
from conftest import free_port
from jupyter_mlops._core.errors import (StoreDamaged, StoreFull, StoreLocked,
                                        StorePermissionDenied, StoreUnreachable,
                                        UnrecognizedStore, http_status)
from jupyter_mlops._core.store.db import Store


def _fresh(home) -> None:
    """A workspace database with its schema, closed again."""
    ws = mlops.Workspace(home)
    ws.status()
    ws.store.dispose()


def test_a_full_database_says_so_and_writes_nothing(ws, clf):
    ws.register(clf, "churn")
    with ws.store.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

    @event.listens_for(ws.store.engine, "connect")
    def _no_room_to_grow(dbapi_connection, _record):  # SQLite's own size limit: a real "full"
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    ws.store.engine.dispose()
    with pytest.raises(StoreFull, match=r"mlops\.db is full \(database or disk is full.*Free "
                                        r"disk space") as e:
        ws.register(clf, "churn", description="x" * 19_000)
    assert http_status(e.value) == 507
    assert list(ws.versions("churn").index) == [1]  # reads still work, nothing was half-written


def test_garbage_in_the_file_names_it_and_the_recovery_step(home):
    home.mkdir()
    (home / "mlops.db").write_bytes(os.urandom(16384))
    with pytest.raises(StoreDamaged) as e:
        mlops.Workspace(home).models()
    message = str(e.value)
    assert str(home / "mlops.db") in message and "file is not a database" in message
    assert "restore mlops.db from a backup" in message and ".recover" in message


def test_a_database_damaged_while_in_use_is_named_too(ws, clf):
    ws.register(clf, "churn")
    ws.store.engine.dispose()
    path = ws.home / "mlops.db"
    with open(path, "r+b") as fh:  # keep the header, ruin every page after the first
        fh.seek(4096)
        fh.write(os.urandom(path.stat().st_size - 4096))
    for leftover in (path.with_name("mlops.db-wal"), path.with_name("mlops.db-shm")):
        leftover.unlink(missing_ok=True)
    with pytest.raises(StoreDamaged, match="is damaged .*malformed.*\\.recover"):
        ws.versions("churn")


def test_a_lock_held_too_long_is_a_retryable_503(home):
    _fresh(home)
    holder = sqlite3.connect(home / "mlops.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another connection's write transaction
    store = Store(f"sqlite:///{home / 'mlops.db'}", home=home, lock_timeout=0.3)
    try:
        with pytest.raises(StoreLocked, match="stayed locked by another connection for more "
                                              "than 0.3 s.*Retry") as e:
            with store.write() as session:
                session.execute(text("SELECT 1"))  # the first statement takes the write lock
        assert http_status(e.value) == 503
    finally:
        holder.rollback()
        holder.close()
        store.dispose()


def test_a_database_this_user_cannot_write_says_what_to_fix(home, clf):
    _fresh(home)
    path = home / "mlops.db"
    if os.geteuid() == 0:  # root ignores file modes; an immutable file stops root too
        lock, unlock = ["chattr", "+i", str(path)], ["chattr", "-i", str(path)]
    else:
        lock, unlock = ["chmod", "a-w", str(path), str(home)], ["chmod", "u+w", str(path), str(home)]
    if subprocess.run(lock, capture_output=True).returncode != 0:
        pytest.skip("cannot make the database file read-only here")
    try:
        with pytest.raises(StorePermissionDenied, match="permission denied.*Give this user write "
                                                        "access to"):
            mlops.Workspace(home).register(clf, "churn")
    finally:
        subprocess.run(unlock, check=True)


def test_postgresql_refusing_the_connection_is_a_503_without_the_password(home, monkeypatch):
    port = free_port()  # nothing listens there
    monkeypatch.setenv("MLOPS_DB_URL", f"postgresql+psycopg://team:s3cret@127.0.0.1:{port}/mlops")
    with pytest.raises(StoreUnreachable) as e:
        mlops.Workspace(home).models()
    assert http_status(e.value) == 503
    assert f"127.0.0.1:{port}" in str(e.value) and "Connection refused" in str(e.value)
    assert "s3cret" not in str(e.value) and "MLOPS_DB_URL" in str(e.value)


def test_an_emptied_database_file_is_refused_not_reinitialised(home):
    home.mkdir()
    (home / "mlops.db").write_bytes(b"")
    with pytest.raises(UnrecognizedStore, match=r"mlops\.db is empty \(0 bytes\).*backup"):
        mlops.Workspace(home).models()
    assert (home / "mlops.db").stat().st_size == 0


@pytest.mark.parametrize("tables", [["notes"], ["models", "versions"]])
def test_another_applications_sqlite_file_is_refused_and_left_alone(home, tables):
    home.mkdir()
    conn = sqlite3.connect(home / "mlops.db")
    for table in tables:
        conn.execute(f"CREATE TABLE {table} (x)")
    conn.commit()
    conn.close()
    with pytest.raises(UnrecognizedStore, match="not a jupyter_mlops database.*no alembic_version"
                                                f".*{tables[0]}"):
        mlops.Workspace(home).models()
    conn = sqlite3.connect(home / "mlops.db")
    found = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    conn.close()
    assert sorted(found) == sorted(tables)


def test_a_new_home_still_gets_its_database_created_whole(home):
    ws = mlops.Workspace(home)
    assert ws.models().empty
    assert ws.store.current_revision() == db.HEAD_REVISION
    assert sorted(p.name for p in home.iterdir() if p.name.startswith((".mlops.db", "mlops.db"))
                  and not p.name.endswith(("-wal", "-shm"))) == ["mlops.db"]  # no temporary left
    ws.store.dispose()
