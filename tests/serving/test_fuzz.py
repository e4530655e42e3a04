"""Nothing a client sends crashes or wedges the server: hypothesis throws bodies, content types,
headers and paths at a live endpoint; every answer is a well-formed error or a prediction, and
the endpoint keeps serving."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.sampled_from(["tenure", "monthly", "support_calls", "instances",
                                       "inputs", "dataframe_split", "dataframe_records",
                                       "columns", "data", "x"]), children, max_size=5),
    max_leaves=20)

bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.lists(st.lists(st.sampled_from(["1", "2.5", "", "abc", "-3", "1e9", "nan", '"q"', " "]),
                      max_size=5), max_size=4)
    .map(lambda rows: "\n".join(",".join(r) for r in rows).encode()),
    st.builds(lambda n, d: json.dumps({"inputs": [{"name": "input-0", "shape": [n, 3],
                                                    "datatype": d, "data": list(range(n * 3))}]})
              .encode(), st.integers(-1, 3), st.sampled_from(["FP32", "INT64", "BYTES", "FOO"])),
)
paths = st.sampled_from(["/invocations", "/endpoints/churn/invocations",
                         "/endpoints/other/invocations", "/v2/models/churn/infer",
                         "/endpoints/churn/invocations-response-stream",
                         "/v2/models/churn/versions/2/infer", "/v2/models/zzz/infer"])
content_types = st.sampled_from([None, "text/csv", "application/json", "application/xml",
                                 "text/csv; charset=utf-16", "application/json; charset=utf-8",
                                 "multipart/form-data", ""])


@pytest.fixture(scope="module")
def client(churn_endpoint):
    with httpx.Client(base_url=churn_endpoint.url, timeout=10) as c:
        yield c


@settings(max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=bodies, path=paths, ctype=content_types,
       header_len=st.one_of(st.none(), st.integers(-5, 400).map(str), st.just("x")),
       accept=st.sampled_from([None, "text/csv", "application/json", "image/png", "*/*"]))
def test_any_request_gets_a_well_formed_answer(client, body, path, ctype, header_len, accept):
    headers = {}
    if ctype is not None:
        headers["content-type"] = ctype
    if header_len is not None:
        headers["inference-header-content-length"] = header_len
    if accept is not None:
        headers["accept"] = accept
    r = client.post(path, content=body, headers=headers)
    assert r.status_code in (200, 400, 404, 406, 413, 415, 424, 500), (r.status_code, r.text)
    if r.status_code not in (200, 415):
        doc = r.json()
        message = doc.get("message") or doc.get("error")
        assert message
        if r.status_code == 500:  # only the model itself may fail (e.g. NaN from empty cells)
            assert message.startswith("The model raised"), message


def test_still_serving_after_the_fuzzing(client):
    assert client.get("/ping").status_code == 200
    assert client.post("/invocations", json={"instances": [[1, 70, 3]]}).status_code == 200
