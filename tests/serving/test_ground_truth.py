"""Ground truth: labels uploaded for requests a real endpoint captured (sent by boto3 with their
InferenceId), stored as SageMaker Model Monitor's ground-truth JSON lines and merged with the
captured traffic by inference id."""

from __future__ import annotations

import json

import boto3
import httpx
import pandas as pd
import pytest
from botocore.config import Config

from jupyter_mlops import EndpointNotFound, InvalidInput

from .endpoints import wait_until

ENDPOINT = "labelled"


@pytest.fixture(scope="module")
def endpoint(module_ws):
    """churn:1 capturing every request; stopped by pid with the module's workspace."""
    return module_ws.deploy("churn:1", ENDPOINT, capture=100)


@pytest.fixture(scope="module")
def smr(endpoint):
    return boto3.client("sagemaker-runtime", endpoint_url=endpoint.url, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": 1}))


def send(ws, smr, prefix: str, n: int, rows_each: int = 1) -> list[str]:
    """``n`` requests of ``rows_each`` rows with InferenceIds ``prefix-0``…, once all are captured."""
    X, _ = ws._test_data
    ids = [f"{prefix}-{i}" for i in range(n)]
    for i, inference_id in enumerate(ids):
        rows = X.iloc[i * rows_each:(i + 1) * rows_each].to_numpy().tolist()
        smr.invoke_endpoint(EndpointName=ENDPOINT, ContentType="text/csv", InferenceId=inference_id,
                            Body="\n".join(",".join(str(v) for v in row) for row in rows))
    assert wait_until(lambda: set(ids) <= set(ws.captured(ENDPOINT)["inference_id"].dropna()))
    return ids


def labelled(ws, prefix: str) -> pd.DataFrame:
    window = ws.captured(ENDPOINT, with_ground_truth=True)
    return window[window["inference_id"].fillna("").str.startswith(prefix + "-")].reset_index(drop=True)


def ground_truth_files(ws) -> list:
    return sorted((ws.home / "ground-truth" / ENDPOINT).glob("*/*/*/*/*.jsonl"))


def test_labels_are_stored_as_model_monitor_ground_truth_in_the_hour_they_came(module_ws, smr):
    ids = send(module_ws, smr, "fmt", 10)
    before = ground_truth_files(module_ws)
    upload = module_ws.ground_truth(ENDPOINT, pd.DataFrame({"inference_id": ids[:4], "label": [1, 0, 1, 0]}))
    assert (upload.labels, upload.matched, upload.unmatched, upload.repeated) == (4, 4, 0, 0)
    [path] = sorted(set(ground_truth_files(module_ws)) - set(before))
    assert str(path) == upload.path
    year, month, day, hour = path.relative_to(module_ws.home / "ground-truth" / ENDPOINT).parts[:4]
    assert len(year) == 4 and len(month) == len(day) == len(hour) == 2
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert records[0] == {"groundTruthData": {"data": "1", "encoding": "CSV"},
                          "eventMetadata": {"eventId": "fmt-0"}, "eventVersion": "0"}
    assert [r["eventMetadata"]["eventId"] for r in records] == ids[:4]
    [entry] = [e for e in module_ws.audit().to_dict("records") if e["action"] == "endpoint.ground_truth"
               and e["details"]["file"].endswith(path.name)]
    assert entry["target"] == ENDPOINT and entry["details"]["matched"] == 4


def test_captured_with_ground_truth_keeps_the_labelled_rows_with_their_labels(module_ws, smr):
    ids = send(module_ws, smr, "merge", 12)
    labels = {ids[1]: 1, ids[4]: 0, ids[7]: 1, ids[10]: 0}
    module_ws.ground_truth(ENDPOINT, labels)
    window = labelled(module_ws, "merge")
    assert dict(zip(window["inference_id"], window["label"])) == labels
    assert window["label"].dtype.kind == "i"
    everything = module_ws.captured(ENDPOINT)
    assert "label" not in everything.columns and set(ids) <= set(everything["inference_id"])
    X, _ = module_ws._test_data
    assert window[list(X.columns)].to_numpy().tolist() == X.iloc[[1, 4, 7, 10]].to_numpy().tolist()


def test_labels_for_ids_never_captured_are_counted_named_and_kept(module_ws, smr):
    ids = send(module_ws, smr, "unknown", 3)
    upload = module_ws.ground_truth(ENDPOINT, {ids[0]: 1, "never-sent-1": 0, "never-sent-2": 1})
    assert (upload.labels, upload.matched, upload.unmatched) == (3, 1, 2)
    assert upload.unmatched_ids == ["never-sent-1", "never-sent-2"]
    assert "2 name no captured request (never-sent-1, never-sent-2)" in repr(upload)
    assert "never-sent-2" in open(upload.path).read()
    assert list(labelled(module_ws, "unknown")["inference_id"]) == [ids[0]]


def test_an_id_labelled_twice_takes_the_last_label_and_the_result_says_so(module_ws, smr):
    ids = send(module_ws, smr, "twice", 3)
    upload = module_ws.ground_truth(ENDPOINT, pd.DataFrame({"inference_id": [ids[0], ids[1], ids[0]],
                                                            "label": [0, 1, 1]}))
    assert (upload.labels, upload.repeated, upload.repeated_ids) == (2, 1, [ids[0]])
    assert f"1 id(s) were given twice, the last label kept ({ids[0]})" in repr(upload)
    assert dict(zip(*labelled(module_ws, "twice")[["inference_id", "label"]].T.values)) == {ids[0]: 1, ids[1]: 1}
    again = module_ws.ground_truth(ENDPOINT, {ids[1]: 0})
    assert again.relabelled == 1 and "1 replace(s) labels uploaded before" in repr(again)
    assert dict(zip(*labelled(module_ws, "twice")[["inference_id", "label"]].T.values)) == {ids[0]: 1, ids[1]: 0}


def test_a_request_of_several_rows_takes_one_label_or_one_per_row(module_ws, smr):
    ids = send(module_ws, smr, "rows", 2, rows_each=3)
    module_ws.ground_truth(ENDPOINT, {ids[0]: "churned", ids[1]: ["stayed", "churned", "stayed"]})
    window = labelled(module_ws, "rows")
    assert list(window["label"]) == ["churned"] * 3 + ["stayed", "churned", "stayed"]


def test_a_request_without_inference_id_is_labelled_by_its_event_id(module_ws, endpoint):
    X, _ = module_ws._test_data
    httpx.post(f"{endpoint.url}/invocations", json={"instances": X.iloc[:1].to_numpy().tolist()},
               headers={"X-Test": "no-inference-id"}).raise_for_status()
    def event_ids():
        window = module_ws.captured(ENDPOINT)
        return set(window.loc[window["inference_id"].isna(), "event_id"])
    assert wait_until(lambda: len(event_ids()) >= 1)
    event = sorted(event_ids())[0]
    upload = module_ws.ground_truth(ENDPOINT, {event: 1})
    assert upload.matched == 1
    window = module_ws.captured(ENDPOINT, with_ground_truth=True)
    assert window.loc[window["event_id"] == event, "label"].tolist() == [1]


def test_ground_truth_written_by_other_tools_in_model_monitors_format_is_merged(module_ws, smr):
    [inference_id] = send(module_ws, smr, "foreign", 1)
    folder = module_ws.home / "ground-truth" / ENDPOINT / "2020" / "01" / "02" / "03"
    folder.mkdir(parents=True)
    (folder / "labels.jsonl").write_text(json.dumps({
        "groundTruthData": {"data": "yes", "encoding": "CSV"}, "eventMetadata": {"eventId": inference_id},
        "eventVersion": "0"}) + "\n")
    assert labelled(module_ws, "foreign")["label"].tolist() == ["yes"]


@pytest.mark.parametrize("labels, message", [
    (pd.DataFrame({"id": ["a"], "label": [1]}), r"The labels lack the column\(s\) inference_id; they have id, label"),
    (pd.DataFrame({"inference_id": ["a"], "y": [1]}), r"lack the column\(s\) label; they have inference_id, y"),
    (pd.Series([1, 0]), "Labels must be a DataFrame or a dict, got Series"),
    ({}, "There are no labels to upload"),
    ({"a": None}, r"The label of inference id 'a' is missing \(None\)"),
    (pd.DataFrame({"inference_id": ["a", "b"], "label": [1.0, float("nan")]}), "inference id 'b' is missing"),
    (pd.DataFrame({"inference_id": ["a", None], "label": [1, 0]}), "Label 2 has no inference id"),
    ({"a": {"nested": 1}}, "is a dict; a label is a number, a string, a boolean or a list of them"),
])
def test_bad_labels_are_refused_naming_what_is_wrong_and_nothing_is_written(module_ws, endpoint, labels,
                                                                           message):
    before = ground_truth_files(module_ws)
    with pytest.raises(InvalidInput, match=message):
        module_ws.ground_truth(ENDPOINT, labels)
    assert ground_truth_files(module_ws) == before


def test_labels_for_an_endpoint_that_does_not_exist_are_refused(module_ws, endpoint):
    with pytest.raises(EndpointNotFound, match="labeled"):
        module_ws.ground_truth("labeled", {"a": 1})
    assert not (module_ws.home / "ground-truth" / "labeled").exists()


def test_quality_of_an_endpoint_uses_the_uploaded_labels_when_none_are_given(module_ws):
    """Labels for 30 of 40 captured requests: quality is measured on those 30, not estimated."""
    X, y = module_ws._test_data
    endpoint = module_ws.deploy("churn:1", "graded", capture=100)
    smr = boto3.client("sagemaker-runtime", endpoint_url=endpoint.url, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x",
                       config=Config(retries={"total_max_attempts": 1}))
    for i in range(40):
        smr.invoke_endpoint(EndpointName="graded", ContentType="text/csv", InferenceId=f"g-{i}",
                            Body=",".join(str(v) for v in X.iloc[i].tolist()))
    assert wait_until(lambda: len(module_ws.captured("graded")) == 40)
    module_ws.ground_truth("graded", {f"g-{i}": int(y.iloc[i]) for i in range(30)})
    report = module_ws.quality("graded")
    assert not report.estimated and report.n == 30 and report.n_window == 40
    predicted = module_ws.load("churn:1").predict(X.iloc[:30])
    assert report.metrics["accuracy"] == pytest.approx(float((predicted == y.iloc[:30].to_numpy()).mean()))
