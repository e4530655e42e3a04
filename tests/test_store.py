"""The metadata store and artifact store behind a workspace: SQLite by default, PostgreSQL and
S3 by URL, with no code changes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import jupyter_mlops as mlops
from jupyter_mlops._core.store import db
from conftest import free_port, stop_process, wait_for_port


def test_the_code_expects_the_migration_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(db._MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == db.HEAD_REVISION


def test_sqlite_runs_in_wal_mode_and_is_migrated_on_first_use(ws):
    ws.status()
    assert ws.store.current_revision() == db.HEAD_REVISION
    with ws.store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_the_workspace_folder_is_created_on_first_write(home):
    ws = mlops.Workspace(home)
    assert not home.exists()
    ws.status()
    assert (home / "mlops.db").exists()


# -- PostgreSQL: the session's real server (conftest.postgres_url) ------------------------------
@pytest.fixture
def pg_ws(postgres_url, home, monkeypatch):
    import sqlalchemy

    engine = sqlalchemy.create_engine(postgres_url)
    with engine.begin() as conn:  # each test gets an empty schema
        conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    engine.dispose()
    monkeypatch.setenv("MLOPS_DB_URL", postgres_url)
    w = mlops.Workspace(home)
    yield w
    w.store.dispose()


@pytest.mark.postgres
def test_postgresql_holds_the_registry(pg_ws, clf, numeric_data):
    X, y = numeric_data
    pg_ws.register(clf, "churn", data=X, target=y, metrics={"auc": 0.9})
    pg_ws.approve("churn:1")
    pg_ws.promote("churn:1", "production")
    assert pg_ws.store.url.startswith("postgresql")
    assert pg_ws.get("churn@production").version == 1
    assert not (pg_ws.home / "mlops.db").exists()
    assert pg_ws.verify_audit().ok
    assert list(pg_ws.audit("churn")["action"]) == ["register", "baseline", "approve", "promote"]
    assert pg_ws.load("churn@production").predict(X).shape == (len(X),)


@pytest.mark.postgres
def test_postgresql_concurrent_writers_get_distinct_versions(pg_ws, tmp_path, postgres_url):
    from test_concurrency import WRITER

    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    pg_ws.status()
    env = {**os.environ, "MLOPS_DB_URL": postgres_url}
    procs = [subprocess.Popen([sys.executable, str(script), str(w), "10"], env=env) for w in range(4)]
    try:
        for p in procs:
            p.wait(300)
    finally:
        for p in procs:
            stop_process(p)
    assert [p.returncode for p in procs] == [0] * 4
    assert sorted(pg_ws.versions("shared").index) == list(range(1, 41))
    assert pg_ws.verify_audit().ok


# -- S3: moto's server on loopback ---------------------------------------------------------------
@pytest.fixture(scope="module")
def s3_endpoint():
    pytest.importorskip("moto")
    pytest.importorskip("s3fs")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
        url = f"http://127.0.0.1:{port}"
        import boto3

        boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x",
                     aws_secret_access_key="x").create_bucket(Bucket="models")
        yield url
    finally:
        stop_process(proc)


@pytest.mark.s3
def test_artifacts_on_s3_by_environment_only(s3_endpoint, home, tmp_path):
    script = tmp_path / "s3.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        from sklearn.linear_model import LinearRegression
        from jupyter_mlops import Workspace
        ws = Workspace()
        v = ws.register(LinearRegression().fit(np.arange(4.0).reshape(-1, 1), np.arange(4.0)), "m")
        assert ws.artifacts.url == "s3://models/team-a", ws.artifacts.url
        print(v.artifact_sha256)
        print(ws.load("m").predict([[10.0]])[0])
    """))
    env = {**os.environ, "MLOPS_HOME": str(home), "MLOPS_ARTIFACTS": "s3://models/team-a",
           "AWS_ENDPOINT_URL": s3_endpoint, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
           "AWS_DEFAULT_REGION": "us-east-1"}
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    sha, prediction = out.stdout.split()
    assert float(prediction) == pytest.approx(10.0)
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="x",
                      aws_secret_access_key="x")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="models")["Contents"]]
    assert f"team-a/sha256/{sha[:2]}/{sha}" in keys
    assert not (home / "artifacts").exists()


@pytest.mark.s3
def test_a_changed_s3_object_is_refused(s3_endpoint, home, clf):
    ws = mlops.Workspace(home, artifacts="s3://models/tamper",
                         storage_options={"endpoint_url": s3_endpoint, "key": "x", "secret": "x"})
    v = ws.register(clf, "churn")
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="x",
                      aws_secret_access_key="x")
    s3.put_object(Bucket="models", Key=f"tamper/sha256/{v.artifact_sha256[:2]}/{v.artifact_sha256}", Body=b"evil")
    with pytest.raises(mlops.ArtifactIntegrityError, match=f"s3://models/tamper/sha256/.*{v.artifact_sha256}"):
        ws.load("churn")
