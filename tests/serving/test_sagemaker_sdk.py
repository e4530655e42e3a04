"""The SageMaker Python SDK's ``Predictor`` against a local endpoint, unchanged client code: its
serializers (CSV, JSON, NPY) and deserializers (JSON, NPY, NPY reading JSON) each give the model's
predictions, as they do against AWS's scikit-learn container. The SDK's session talks to the
endpoint through a boto3 ``sagemaker-runtime`` client with ``endpoint_url``; no AWS call is made."""

from __future__ import annotations

import io
import os
import time

import boto3
import numpy as np
import pytest
from botocore.config import Config

os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")

from sagemaker.deserializers import JSONDeserializer, NumpyDeserializer  # noqa: E402
from sagemaker.predictor import Predictor  # noqa: E402
from sagemaker.serializers import CSVSerializer, JSONSerializer, NumpySerializer  # noqa: E402
from sagemaker.session import Session  # noqa: E402
from sagemaker.sklearn import SKLearnPredictor  # noqa: E402

SERIALIZERS = {"csv": CSVSerializer, "json": JSONSerializer, "npy": NumpySerializer}
DESERIALIZERS = {"json": JSONDeserializer, "npy": NumpyDeserializer,
                 "npy-reading-json": lambda: NumpyDeserializer(accept="application/json")}


def sdk_session(url: str) -> Session:
    boto = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
    runtime = boto.client("sagemaker-runtime", endpoint_url=url,
                          config=Config(retries={"total_max_attempts": 1}))
    return Session(boto_session=boto, sagemaker_runtime_client=runtime)


@pytest.fixture(scope="module")
def session(churn_endpoint):
    return sdk_session(churn_endpoint.url)


@pytest.fixture(scope="module")
def rows(module_ws):
    X, _ = module_ws._test_data
    return X.head(5), module_ws.load("churn:1").predict(X.head(5))


def sent_as(kind: str, X):
    """What a user hands the serializer: a DataFrame to CSV, arrays otherwise."""
    return X if kind == "csv" else X.to_numpy()


@pytest.mark.parametrize("deserializer", sorted(DESERIALIZERS))
@pytest.mark.parametrize("serializer", sorted(SERIALIZERS))
def test_every_serializer_and_deserializer_gives_the_predictions(session, rows, serializer,
                                                                  deserializer):
    X, expected = rows
    predictor = Predictor("churn", sagemaker_session=session, serializer=SERIALIZERS[serializer](),
                          deserializer=DESERIALIZERS[deserializer]())
    got = predictor.predict(sent_as(serializer, X))
    assert np.asarray(got).tolist() == expected.tolist()


def test_the_scikit_learn_predictors_defaults_speak_npy_both_ways(session, rows):
    X, expected = rows
    predictor = SKLearnPredictor("churn", sagemaker_session=session)
    got = predictor.predict(X.to_numpy())
    assert isinstance(got, np.ndarray) and got.tolist() == expected.tolist()
    one_row = predictor.predict(X.to_numpy()[0])  # a 1-D array is one row
    assert one_row.tolist() == expected[:1].tolist()


def test_npy_answers_on_the_container_route_too(churn_endpoint, rows):
    import httpx

    X, expected = rows
    body = io.BytesIO()
    np.save(body, X.to_numpy())
    r = httpx.post(f"{churn_endpoint.url}/invocations", content=body.getvalue(),
                   headers={"content-type": "application/x-npy", "accept": "application/x-npy"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/x-npy"
    assert np.load(io.BytesIO(r.content), allow_pickle=False).tolist() == expected.tolist()
    # the MLflow route keeps MLflow's answer for JSON
    r = httpx.post(f"{churn_endpoint.url}/invocations", content=body.getvalue(),
                   headers={"content-type": "application/x-npy"})
    assert r.json() == {"predictions": expected.tolist()}


def test_the_json_answer_has_the_shape_of_the_request(session, rows):
    """An array (or CSV, or NPY) in: the bare array out. A JSON object in (MLflow's or TF
    Serving's ``instances``): MLflow's ``{"predictions": [...]}``, what that dialect expects."""
    X, expected = rows
    predictor = Predictor("churn", sagemaker_session=session, serializer=JSONSerializer(),
                          deserializer=JSONDeserializer())
    assert predictor.predict(X.to_numpy().tolist()) == expected.tolist()
    assert predictor.predict({"instances": X.to_numpy().tolist()}) == {"predictions": expected.tolist()}


def test_text_labels_come_back_as_an_npy_array_read_without_pickle(labels_endpoint):
    model, X = labels_endpoint.model, labels_endpoint.X
    predictor = SKLearnPredictor(labels_endpoint.name, sagemaker_session=sdk_session(labels_endpoint.url))
    got = predictor.predict(X.head(4).to_numpy())  # NumpyDeserializer(allow_pickle=False)
    assert got.tolist() == model.predict(X.head(4)).tolist()


def test_npy_requests_are_captured_and_read_back_as_rows(session, rows, module_ws):
    X, expected = rows
    predictor = SKLearnPredictor("churn", sagemaker_session=session)
    predictor.predict(X.to_numpy(), inference_id="npy-1")
    deadline = time.time() + 15
    while time.time() < deadline:
        captured = module_ws.captured("churn")
        mine = captured[captured["inference_id"] == "npy-1"]
        if len(mine):
            break
        time.sleep(0.2)
    assert mine[list(X.columns)].to_numpy().tolist() == X.to_numpy().tolist()
    assert mine["prediction"].tolist() == expected.tolist()


def test_a_body_that_is_not_npy_is_a_model_error_naming_the_format(session):
    predictor = Predictor("churn", sagemaker_session=session)
    runtime = session.sagemaker_runtime_client
    with pytest.raises(runtime.exceptions.ModelError) as e:
        predictor.predict(b"1,70,3", initial_args={"ContentType": "application/x-npy"})
    assert e.value.response["OriginalStatusCode"] == 400
    assert "not an .npy array" in e.value.response["OriginalMessage"]
    pickled = io.BytesIO()
    np.save(pickled, np.array([[1, "a", None]], dtype=object), allow_pickle=True)
    with pytest.raises(runtime.exceptions.ModelError, match="without pickle"):
        predictor.predict(pickled.getvalue(), initial_args={"ContentType": "application/x-npy"})
