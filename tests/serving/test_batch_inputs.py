"""Batch transform inputs and outputs, as SageMaker names them: a CSV, JSON Lines or Parquet file,
a folder of them or an fsspec URL; ``<input>.out`` per input file in the output folder, records in
input order; ``join_input`` (JoinSource=Input); ``split``/``assemble`` "Line" or None; a bad record
fails with its file and line, or goes to ``<output>.err``; every job is a ``BatchJob`` record."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from jupyter_mlops._core.errors import InvalidInput, PayloadError


@pytest.fixture
def folder(sws, tmp_path):
    X, _ = sws._test_data
    src = tmp_path / "in"
    src.mkdir()
    X.to_csv(src / "a.csv", index=False)
    X.to_json(src / "b.jsonl", orient="records", lines=True)
    X.to_parquet(src / "c.parquet", row_group_size=50)
    return X, src


def expected(sws, frame, ref="churn:1"):
    return sws.load(ref).predict(frame).tolist()


def test_a_folder_gives_one_out_file_per_input_in_its_format_and_input_order(sws, folder, tmp_path):
    X, src = folder
    job = sws.batch("churn:1", str(src), str(tmp_path / "out"), chunk_rows=70, workers=2,
                    progress=False)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == \
        ["a.csv.out", "b.jsonl.out", "c.parquet.out"]
    assert job.rows == 3 * len(X) and job.status == "done" and job.engine == "2 process(es)"
    for out in [pd.read_csv(tmp_path / "out" / "a.csv.out"),
                pd.read_json(tmp_path / "out" / "b.jsonl.out", lines=True),
                pd.read_parquet(tmp_path / "out" / "c.parquet.out")]:
        assert list(out.columns) == [*X.columns, "prediction"]
        assert out["prediction"].tolist() == expected(sws, X)
        assert np.allclose(out[X.columns].to_numpy(float), X.to_numpy(), rtol=0, atol=1e-9)


def test_without_join_input_only_the_predictions_are_written(sws, folder, tmp_path):
    X, src = folder
    job = sws.batch("churn:1", str(src / "b.jsonl"), str(tmp_path / "o"), join_input=False,
                    progress=False)
    lines = (tmp_path / "o" / "b.jsonl.out").read_text().splitlines()
    assert [json.loads(x) for x in lines] == expected(sws, X) and job.files == [str(tmp_path / "o" / "b.jsonl.out")]


def test_assemble_none_writes_one_json_array_and_split_none_sends_the_file_whole(sws, folder, tmp_path):
    X, src = folder
    job = sws.batch("churn:1", str(src / "a.csv"), str(tmp_path / "o"), join_input=False,
                    assemble=None, chunk_rows=40, progress=False)
    assert json.loads((tmp_path / "o" / "a.csv.out").read_text()) == expected(sws, X)
    assert job.chunks == 8
    whole = sws.batch("churn:1", str(src / "a.csv"), str(tmp_path / "w"), split=None,
                      chunk_rows=40, progress=False)
    assert whole.chunks == 1
    assert pd.read_csv(tmp_path / "w" / "a.csv.out")["prediction"].tolist() == expected(sws, X)
    with pytest.raises(InvalidInput, match='"Line" or None'):
        sws.batch("churn:1", str(src / "a.csv"), str(tmp_path / "x"), split="RecordIO")


def test_an_fsspec_url_in_and_out(sws, folder, tmp_path):
    X, src = folder
    sws.batch("churn:1", f"file://{src}/c.parquet", f"file://{tmp_path}/u", progress=False)
    assert pd.read_parquet(tmp_path / "u" / "c.parquet.out")["prediction"].tolist() == expected(sws, X)


@pytest.fixture
def bad_csv(sws, tmp_path):
    X, _ = sws._test_data
    lines = X.to_csv(index=False).splitlines()
    lines[42] = "12.0,abc,2.0"     # file line 43 (the header is line 1)
    lines[201] = "1.0,2.0"          # line 202: a field short
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    return X, path


def test_a_bad_record_fails_with_its_file_and_line(sws, bad_csv, tmp_path):
    _, path = bad_csv
    with pytest.raises(PayloadError) as caught:
        sws.batch("churn:1", str(path), str(tmp_path / "o"), chunk_rows=100, workers=2,
                  job_id="bad", progress=False)
    message = str(caught.value)
    assert message.startswith(f"{path}, line 43: ") and "\n" not in message
    assert sws.batch_jobs()["status"].tolist()[0] == "failed"
    with pytest.raises(InvalidInput, match=r"ran with other parameters \(chunk_rows=100\)"):
        sws.batch("churn:1", str(path), str(tmp_path / "o"), chunk_rows=50, job_id="bad",
                  resume=True)
    with open(path, "a") as fh:
        fh.write("1.0,2.0,3.0\n")
    with pytest.raises(InvalidInput, match="its input files changed"):
        sws.batch("churn:1", str(path), str(tmp_path / "o"), chunk_rows=100, job_id="bad",
                  resume=True)


def test_bad_records_go_to_an_error_file_on_request(sws, bad_csv, tmp_path):
    X, path = bad_csv
    job = sws.batch("churn:1", str(path), str(tmp_path / "o"), chunk_rows=100, errors="file",
                    workers=2, progress=False)
    errors = [json.loads(x) for x in open(job.error_file)]
    assert job.error_file == str(tmp_path / "o" / "bad.csv.out.err")
    assert [e["line"] for e in errors] == [43, 202] and errors[0]["record"] == "12.0,abc,2.0"
    assert job.bad_records == 2 and job.rows == len(X) - 2
    good = X.drop(index=[41, 200]).reset_index(drop=True)
    assert pd.read_csv(tmp_path / "o" / "bad.csv.out")["prediction"].tolist() == expected(sws, good)


def test_every_job_is_listed_with_its_record(sws, folder, tmp_path):
    X, src = folder
    job = sws.batch("churn:2", str(src / "a.csv"), str(tmp_path / "one.parquet"), job_id="nightly",
                    progress=False)
    jobs = sws.batch_jobs()
    assert list(jobs.columns[:8]) == ["id", "ref", "input", "output", "status", "rows", "seconds", "engine"]
    row = jobs.set_index("id").loc["nightly"]
    assert (row.ref, row.status, row.rows, row.engine) == ("churn:2", "done", len(X), "in-process")
    assert "nightly" in job._repr_html_() and "done" in job._repr_html_()
    with pytest.raises(InvalidInput, match="exists: pass resume=True"):
        sws.batch("churn:2", str(src / "a.csv"), str(tmp_path / "two.csv"), job_id="nightly")


def test_a_bad_parquet_row_is_named_by_its_row_number_from_0(sws, tmp_path):
    X, _ = sws._test_data
    frame = X.assign(monthly=X["monthly"].astype(str))  # numbers as text: one is not a number
    frame.loc[120, "monthly"] = "abc"
    frame.to_parquet(tmp_path / "bad.parquet", row_group_size=100)
    with pytest.raises(PayloadError, match=r"bad.parquet, row 120: "):
        sws.batch("churn:1", str(tmp_path / "bad.parquet"), str(tmp_path / "o"), progress=False)
    job = sws.batch("churn:1", str(tmp_path / "bad.parquet"), str(tmp_path / "f"), errors="file",
                    progress=False)
    assert [json.loads(x)["row"] for x in open(job.error_file)] == [120]
    assert len(pd.read_parquet(tmp_path / "f" / "bad.parquet.out")) == len(X) - 1
