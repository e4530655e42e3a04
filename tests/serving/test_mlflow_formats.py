"""MLflow scoring formats, CSV, Accept, /metrics, Server-Timing, token auth, limits (httpx)."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .endpoints import start_endpoint, variant_spec


@pytest.mark.parametrize("shape", ["dataframe_split", "dataframe_records", "instances",
                                   "inputs_rows", "inputs_columns", "split_reordered"])
def test_mlflow_json_formats_answer_predictions(url, expected, shape):
    X, preds = expected
    cols = list(X.columns)
    body = {
        "dataframe_split": {"dataframe_split": {"columns": cols, "data": X.values.tolist(),
                                                "index": [7, 8]}},
        "dataframe_records": {"dataframe_records": X.to_dict(orient="records")},
        "instances": {"instances": X.values.tolist()},
        "inputs_rows": {"inputs": X.values.tolist()},
        "inputs_columns": {"inputs": X.to_dict(orient="list")},
        "split_reordered": {"dataframe_split": {"columns": cols[::-1],
                                                "data": X[cols[::-1]].values.tolist()}},
    }[shape]
    r = httpx.post(f"{url}/invocations", json=body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"predictions": preds}


def test_csv_with_and_without_header_and_accept(url, expected):
    X, preds = expected
    with_header = X.to_csv(index=False)
    without = X.to_csv(index=False, header=False)
    for body in (with_header, without):
        r = httpx.post(f"{url}/invocations", content=body, headers={"content-type": "text/csv"})
        assert r.json() == {"predictions": preds}
    r = httpx.post(f"{url}/invocations", content=with_header,
                   headers={"content-type": "text/csv", "accept": "text/csv"})
    assert r.headers["content-type"] == "text/csv"
    assert [int(v) for v in r.text.split()] == preds


def test_server_timing_splits_parse_predict_serialize(url, expected):
    X, _ = expected
    r = httpx.post(f"{url}/invocations", json={"instances": X.values.tolist()})
    parts = dict(p.strip().split(";dur=") for p in r.headers["server-timing"].split(","))
    assert set(parts) == {"parse", "predict", "serialize"}
    assert all(float(v) >= 0 for v in parts.values())


@pytest.mark.parametrize("body,ctype,status,needle", [
    (b"", "application/json", 400, "empty"),
    (b"{not json", "application/json", 400, "not valid JSON"),
    (b'{"foo": 1}', "application/json", 400, "dataframe_split"),
    (b'{"dataframe_records": [{"tenure": 1, "monthly": 2}]}', "application/json", 400,
     "missing column(s) 'support_calls'"),
    (b'{"dataframe_records": [{"tenure": 1, "monthly": 2, "support_calls": 3, "x": 4}]}',
     "application/json", 400, "unexpected column(s) 'x'"),
    (b'{"instances": [[1, "two", 3]]}', "application/json", 400, "'monthly' expects a number"),
    (b"1,2,3", "application/xml", 415, "only supports"),
    (b"1,2,3", "text/csv; charset=latin-1", 415, "UTF-8"),
])
def test_bad_input_gets_the_mlflow_error_shape(url, body, ctype, status, needle):
    r = httpx.post(f"{url}/invocations", content=body, headers={"content-type": ctype})
    assert r.status_code == status
    text = r.text if status == 415 else r.json()["message"]
    assert needle in text
    if status == 400:
        assert r.json()["error_code"] == "BAD_REQUEST"


def test_health_version_ping(url):
    assert httpx.get(f"{url}/ping").status_code == 200
    assert httpx.get(f"{url}/health").status_code == 200
    from jupyter_mlops import __version__

    assert httpx.get(f"{url}/version").text == __version__


def test_metrics_in_prometheus_text_format(url):
    for _ in range(3):
        httpx.post(f"{url}/invocations", json={"instances": [[1, 70, 3]]})
    httpx.post(f"{url}/invocations", json={"instances": [[1, 70]]})
    families = {f.name: f for f in text_string_to_metric_families(httpx.get(f"{url}/metrics").text)}
    req = {s.labels["variant"]: s.value for s in families["mlops_requests"].samples}
    assert req["churn-v1"] >= 4
    errs = {(s.labels["variant"], s.labels["kind"]): s.value for s in families["mlops_errors"].samples}
    assert errs[("churn-v1", "client")] >= 1
    hist = families["mlops_request_duration_seconds"]
    counts = [s.value for s in hist.samples if s.name.endswith("_count")
              and s.labels["variant"] == "churn-v1"]
    assert counts == [req["churn-v1"]]
    assert any(s.value > 0 for s in families["process_resident_memory_bytes"].samples)


def test_token_required_when_set(tmp_path, module_ws):
    X, y = module_ws._test_data
    spec = variant_spec(tmp_path / "art", module_ws.load("churn:1"), X, y, name="churn-v1")
    ep = start_endpoint(tmp_path, "secure", [spec],
                        token_sha256=hashlib.sha256(b"s3cret").hexdigest())
    try:
        body = {"instances": [[1, 70, 3]]}
        assert httpx.post(f"{ep.url}/invocations", json=body).status_code == 401
        assert httpx.post(f"{ep.url}/invocations", json=body,
                          headers={"authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(f"{ep.url}/metrics").status_code == 401
        ok = httpx.post(f"{ep.url}/invocations", json=body,
                        headers={"authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        assert httpx.get(f"{ep.url}/ping").status_code == 200  # health checks stay open
    finally:
        ep.stop()


def test_configurable_payload_limit(tmp_path, module_ws):
    X, y = module_ws._test_data
    spec = variant_spec(tmp_path / "art", module_ws.load("churn:1"), X, y, name="churn-v1")
    ep = start_endpoint(tmp_path, "small", [spec], max_payload_bytes=1000)
    try:
        r = httpx.post(f"{ep.url}/invocations", content=b"1,70,3\n" * 200,
                       headers={"content-type": "text/csv"})
        assert r.status_code == 413
        assert "limit of 1000 bytes" in r.json()["message"]
        assert httpx.post(f"{ep.url}/invocations", content=b"1,70,3\n",
                          headers={"content-type": "text/csv"}).status_code == 200
    finally:
        ep.stop()


def test_mixed_types_use_the_dataframe_path_and_check_categories(mixed_endpoint):
    ep = mixed_endpoint
    X = ep.X.head(6)
    r = httpx.post(f"{ep.url}/invocations",
                   json={"dataframe_records": X.to_dict(orient="records")})
    assert r.json()["predictions"] == ep.model.predict(X).tolist()
    csv = httpx.post(f"{ep.url}/invocations", content=X.to_csv(index=False, header=False),
                     headers={"content-type": "text/csv"})
    assert csv.json()["predictions"] == ep.model.predict(X).tolist()
    bad = httpx.post(f"{ep.url}/invocations",
                     json={"dataframe_records": [{"tenure": 3, "plan": {"a": 1}}]})
    assert bad.status_code == 400
    assert "'plan' expects a category" in bad.json()["message"]
    unknown = httpx.post(f"{ep.url}/invocations",
                         json={"dataframe_records": [{"tenure": 3, "plan": "platinum"}]})
    assert unknown.status_code == 500  # the model itself refuses an unseen category
    assert "platinum" in unknown.json()["message"]


def test_a_client_that_stops_mid_body_gets_408_and_others_are_served(tmp_path, module_ws):
    import socket

    X, y = module_ws._test_data
    spec = variant_spec(tmp_path / "art", module_ws.load("churn:1"), X, y, name="churn-v1")
    ep = start_endpoint(tmp_path, "slowloris", [spec], request_timeout_s=0.5)
    try:
        with socket.create_connection(("127.0.0.1", ep.port), timeout=10) as s:
            s.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                      b"Content-Length: 100\r\n\r\n1,70,")
            assert httpx.post(f"{ep.url}/invocations", content=b"1,70,3",
                              headers={"content-type": "text/csv"}).status_code == 200
            answer = s.recv(4096)
            assert answer.startswith(b"HTTP/1.1 408")
    finally:
        ep.stop()
