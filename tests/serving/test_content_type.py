"""Content-type parameters, read as MLflow's scoring server reads them: ``charset`` (UTF-8 only) is
the one parameter there is; any other (MLflow 1.x clients' ``format=pandas-split``, CSV's
``header=present``) is refused with 415 naming it, on every route that reads a content type,
instead of being silently ignored."""

from __future__ import annotations

import boto3
import httpx
import pytest
from botocore.config import Config


@pytest.mark.parametrize("content_type, body", [
    ("application/json; format=pandas-split", b'{"columns": ["a"], "data": [[1]]}'),
    ("application/json; format=pandas-records", b'[{"tenure": 1, "monthly": 70, "support_calls": 3}]'),
    ("text/csv; header=present", b"tenure,monthly,support_calls\n1,70,3\n"),
    ("text/csv; charset=utf-8; header=absent", b"1,70,3\n"),
    ("application/x-npy; dtype=float64", b"\x93NUMPY"),
])
def test_only_charset_is_read_any_other_parameter_is_refused(url, expected, content_type, body):
    r = httpx.post(f"{url}/invocations", content=body, headers={"content-type": content_type})
    assert r.status_code == 415
    name = content_type.split(";")[-1].split("=")[0].strip()
    assert r.text.startswith(f"Unrecognized content type parameters: {name}.")
    X, preds = expected
    for charset in ("text/csv; charset=utf-8", "text/csv;charset=UTF-8", "text/csv; Charset=utf8"):
        r = httpx.post(f"{url}/invocations", content=X.to_csv(index=False),
                       headers={"content-type": charset})
        assert r.status_code == 200 and r.json() == {"predictions": preds}, (charset, r.text)


def test_the_runtime_route_refuses_them_as_the_containers_415(url):
    smr = boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x",
                       config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(smr.exceptions.ModelError) as e:
        smr.invoke_endpoint(EndpointName="churn", Body="1,70,3", ContentType="text/csv; header=absent")
    assert e.value.response["OriginalStatusCode"] == 415
    assert "Unrecognized content type parameters: header" in e.value.response["OriginalMessage"]
