"""boto3 sagemaker-runtime against a local endpoint, unchanged client code (the SageMaker Runtime API)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.config import Config


@pytest.fixture(scope="module")
def smr(churn_endpoint):
    return boto3.client("sagemaker-runtime", endpoint_url=churn_endpoint.url,
                        region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": 1}))


def test_csv_rows_without_header_get_csv_predictions(smr, module_ws):
    X, _ = module_ws._test_data
    body = "\n".join(",".join(str(v) for v in row) for row in X.head(3).to_numpy().tolist())
    r = smr.invoke_endpoint(EndpointName="churn", Body=body, ContentType="text/csv")
    assert r["ContentType"] == "text/csv"
    assert r["InvokedProductionVariant"] == "churn-v1"
    expected = module_ws.load("churn:1").predict(X.head(3))
    assert [int(x) for x in r["Body"].read().decode().split()] == expected.tolist()
    assert r["ResponseMetadata"]["RequestId"]


def test_json_records_with_accept_json(smr, module_ws):
    X, _ = module_ws._test_data
    body = json.dumps({"dataframe_records": X.head(4).to_dict(orient="records")})
    r = smr.invoke_endpoint(EndpointName="churn", Body=body, ContentType="application/json",
                            Accept="application/json")
    assert r["ContentType"] == "application/json"
    assert json.loads(r["Body"].read())["predictions"] == \
        module_ws.load("churn:1").predict(X.head(4)).tolist()


def test_target_variant_overrides_weights(smr, module_ws):
    X, _ = module_ws._test_data
    r = smr.invoke_endpoint(EndpointName="churn", Body=X.head(1).to_csv(index=False),
                            ContentType="text/csv", TargetVariant="churn-v2")
    assert r["InvokedProductionVariant"] == "churn-v2"
    assert [int(x) for x in r["Body"].read().decode().split()] == \
        module_ws.load("churn:2").predict(X.head(1)).tolist()


def test_custom_attributes_echoed_and_inference_id_captured(smr, module_ws):
    X, _ = module_ws._test_data
    r = smr.invoke_endpoint(EndpointName="churn", Body="1,70,3", ContentType="text/csv",
                            CustomAttributes="trace=abc", InferenceId="req-17")
    assert r["CustomAttributes"] == "trace=abc"
    import time

    deadline = time.time() + 10
    while time.time() < deadline:
        df = module_ws.captured("churn")
        if "req-17" in set(df["inference_id"].dropna()):
            break
        time.sleep(0.2)
    row = df[df["inference_id"] == "req-17"].iloc[0]
    assert (row["tenure"], row["monthly"], row["support_calls"]) == (1.0, 70.0, 3.0)
    assert row["variant"] == "churn-v1"


def test_wrong_column_count_is_a_model_error_naming_the_columns(smr):
    with pytest.raises(smr.exceptions.ModelError) as e:
        smr.invoke_endpoint(EndpointName="churn", Body="1,2", ContentType="text/csv")
    err = e.value.response
    assert err["Error"]["Code"] == "ModelError"
    assert err["OriginalStatusCode"] == 400
    assert "tenure, monthly, support_calls" in err["OriginalMessage"]
    assert "has 2 values" in err["OriginalMessage"]


def test_non_numeric_value_names_column_and_row(smr):
    with pytest.raises(smr.exceptions.ModelError) as e:
        smr.invoke_endpoint(EndpointName="churn", Body="1,70,3\n2,abc,4", ContentType="text/csv")
    msg = e.value.response["OriginalMessage"]
    assert "'monthly'" in msg and "row 2" in msg and "'abc'" in msg


def test_unknown_variant_and_unknown_endpoint_are_validation_errors(smr):
    with pytest.raises(smr.exceptions.ValidationError, match="churn-v9"):
        smr.invoke_endpoint(EndpointName="churn", Body="1,70,3", ContentType="text/csv",
                            TargetVariant="churn-v9")
    with pytest.raises(smr.exceptions.ValidationError, match="not found"):
        smr.invoke_endpoint(EndpointName="other", Body="1,70,3", ContentType="text/csv")


def test_payload_over_the_limit_is_refused(smr):
    body = b"1,70,3\n" * (6 * 1024 * 1024 // 7 + 10)
    with pytest.raises(smr.exceptions.ValidationError, match="limit"):
        smr.invoke_endpoint(EndpointName="churn", Body=body, ContentType="text/csv")


def test_missing_content_type_is_sniffed(smr):
    r = smr.invoke_endpoint(EndpointName="churn", Body=b"[[1, 70, 3]]")
    assert r["ContentType"] == "application/json"
    assert json.loads(r["Body"].read()) in ([0], [1])  # a JSON array in, the bare array out


def test_model_exception_is_model_error_with_status_500(sws):
    ws = sws
    ws.deploy("churn:3", "flaky")
    smr = boto3.client("sagemaker-runtime", endpoint_url=ws.endpoint("flaky").url,
                       region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x",
                       config=Config(retries={"total_max_attempts": 1}))
    assert smr.invoke_endpoint(EndpointName="flaky", Body="1,70,3",
                               ContentType="text/csv")["Body"].read()
    with pytest.raises(smr.exceptions.ModelError) as e:
        smr.invoke_endpoint(EndpointName="flaky", Body="1,70,300", ContentType="text/csv")
    assert e.value.response["OriginalStatusCode"] == 500
    assert "support_calls out of range" in e.value.response["OriginalMessage"]


def test_a_token_endpoint_accepts_boto3_signed_with_the_token_as_secret(sws):
    ep = sws.deploy("churn:1", "locked", token="s3cret-token")

    def client(secret):
        return boto3.client("sagemaker-runtime", endpoint_url=ep.url, region_name="us-east-1",
                            aws_access_key_id="me", aws_secret_access_key=secret,
                            config=Config(retries={"total_max_attempts": 1}))

    r = client("s3cret-token").invoke_endpoint(EndpointName="locked", Body="1,70,3",
                                               ContentType="text/csv", TargetVariant="churn-v1")
    assert r["Body"].read().strip() in (b"0", b"1")
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as e:
        client("wrong").invoke_endpoint(EndpointName="locked", Body="1,70,3", ContentType="text/csv")
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    import httpx

    assert httpx.post(f"{ep.url}/invocations", json={"instances": [[1, 70, 3]]},
                      headers={"authorization": "Bearer s3cret-token"}).status_code == 200
    # the workspace's own handle finds the token (kept owner-only next to the endpoint)
    assert len(sws.endpoint("locked").predict([[1, 70, 3]])) == 1
    assert oct((sws.home / "endpoints" / "locked" / "token").stat().st_mode & 0o777) == "0o600"


def test_response_stream_yields_the_prediction_as_a_payload_part(smr, module_ws):
    X, _ = module_ws._test_data
    r = smr.invoke_endpoint_with_response_stream(
        EndpointName="churn", Body=X.head(2).to_csv(index=False, header=False),
        ContentType="text/csv", Accept="application/json", TargetVariant="churn-v2")
    assert r["ContentType"] == "application/json"
    assert r["InvokedProductionVariant"] == "churn-v2"
    parts = [e["PayloadPart"]["Bytes"] for e in r["Body"] if "PayloadPart" in e]
    # CSV in, JSON asked for: the bare array, as AWS's scikit-learn container answers
    assert json.loads(b"".join(parts)) == module_ws.load("churn:2").predict(X.head(2)).tolist()


def test_a_model_failure_in_a_stream_is_a_model_stream_error(sws):
    from botocore.exceptions import EventStreamError

    ep = sws.deploy("churn:3", "flaky-stream")
    smr = boto3.client("sagemaker-runtime", endpoint_url=ep.url, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x",
                       config=Config(retries={"total_max_attempts": 1}))
    r = smr.invoke_endpoint_with_response_stream(EndpointName="flaky-stream", Body="1,70,300",
                                                 ContentType="text/csv")
    with pytest.raises(EventStreamError) as e:
        list(r["Body"])
    assert e.value.response["Error"]["Code"] == "ModelStreamError"
    assert "support_calls out of range" in e.value.response["Error"]["Message"]
