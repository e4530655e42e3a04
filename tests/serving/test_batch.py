"""Batch transform: a file scored in chunks, on threads or a Dask cluster, with the endpoints'
signature checks; the output is the input plus a prediction column."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from jupyter_mlops._core.errors import PayloadError


@pytest.fixture
def big(sws, tmp_path):
    X, _ = sws._test_data
    rng = np.random.default_rng(1)
    frame = X.sample(2500, replace=True, random_state=1).reset_index(drop=True)
    frame["monthly"] += rng.normal(0, 1, len(frame))
    path = tmp_path / "in.csv"
    frame.to_csv(path, index=False)
    return frame, path


def test_csv_in_chunks_on_threads(sws, big, tmp_path):
    frame, path = big
    job = sws.batch("churn:1", str(path), str(tmp_path / "out.csv"), chunk_rows=700, workers=2)
    assert (job.rows, job.chunks) == (2500, 4)
    out = pd.read_csv(tmp_path / "out.csv")
    assert list(out.columns) == [*frame.columns, "prediction"]
    assert out["prediction"].tolist() == sws.load("churn:1").predict(frame).tolist()
    assert sws.audit("churn:1")["action"].tolist()[-1] == "batch"


def test_parquet_out_and_a_missing_column_named(sws, big, tmp_path):
    frame, path = big
    job = sws.batch("churn:2", str(path), str(tmp_path / "out.parquet"))
    assert pd.read_parquet(tmp_path / "out.parquet")["prediction"].tolist() == \
        sws.load("churn:2").predict(frame).tolist()
    assert job.chunks == 1
    frame.drop(columns=["tenure"]).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(PayloadError, match="lacks column.*'tenure'"):
        sws.batch("churn:1", str(tmp_path / "bad.csv"), str(tmp_path / "x.csv"))


def test_on_a_dask_cluster(sws, big, tmp_path):
    from dask.distributed import LocalCluster

    frame, path = big
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        job = sws.batch("churn:1", str(path), str(tmp_path / "out.csv"), dask=cluster.scheduler_address)
    assert job.engine.startswith("dask ")
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["prediction"].tolist() == sws.load("churn:1").predict(frame).tolist()


def test_a_json_lines_file_on_a_dask_cluster_gives_its_out_file(sws, big, tmp_path):
    from dask.distributed import LocalCluster

    frame, _ = big
    frame.to_json(tmp_path / "in.jsonl", orient="records", lines=True)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        job = sws.batch("churn:1", str(tmp_path / "in.jsonl"), str(tmp_path / "out"),
                        dask=cluster.scheduler_address, join_input=False)
    assert job.files == [str(tmp_path / "out" / "in.jsonl.out")] and job.status == "done"
    lines = (tmp_path / "out" / "in.jsonl.out").read_text().splitlines()
    assert [json.loads(x) for x in lines] == sws.load("churn:1").predict(frame).tolist()
    assert sws.batch_jobs().loc[0, "engine"].startswith("dask ")
