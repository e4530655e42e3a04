"""Batch transform from and to S3 (moto's S3 server on loopback, started and stopped by pid): a
folder of inputs under an ``s3://`` prefix, ``<input>.out`` per file under the output prefix, the
same bytes a local run writes."""

from __future__ import annotations

import pytest

from conftest import moto_server


@pytest.fixture
def s3(monkeypatch):
    pytest.importorskip("moto")
    pytest.importorskip("s3fs")
    with moto_server() as url:
        try:
            for key, value in {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "x",
                               "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}.items():
                monkeypatch.setenv(key, value)
            import boto3
            import fsspec

            boto3.client("s3").create_bucket(Bucket="data")
            fsspec.filesystem("s3").invalidate_cache()
            yield boto3.client("s3")
        finally:
            import s3fs

            s3fs.S3FileSystem.clear_instance_cache()


@pytest.mark.s3
def test_a_folder_on_s3_in_and_out(sws, s3, tmp_path):
    X, _ = sws._test_data
    csv = X.to_csv(index=False).encode()
    jsonl = X.to_json(orient="records", lines=True).encode()
    s3.put_object(Bucket="data", Key="in/a.csv", Body=csv)
    s3.put_object(Bucket="data", Key="in/b.jsonl", Body=jsonl)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_bytes(csv)
    (tmp_path / "in" / "b.jsonl").write_bytes(jsonl)

    job = sws.batch("churn:1", "s3://data/in", "s3://data/out", chunk_rows=70, workers=2,
                    progress=False)
    assert job.files == ["s3://data/out/a.csv.out", "s3://data/out/b.jsonl.out"]
    assert job.rows == 2 * len(X) and job.status == "done"
    sws.batch("churn:1", str(tmp_path / "in"), str(tmp_path / "out"), chunk_rows=70, progress=False)
    for name in ("a.csv.out", "b.jsonl.out"):
        on_s3 = s3.get_object(Bucket="data", Key=f"out/{name}")["Body"].read()
        assert on_s3 == (tmp_path / "out" / name).read_bytes()
