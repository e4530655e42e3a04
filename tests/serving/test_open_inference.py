"""Open Inference Protocol V2 with tritonclient.http, binary and JSON (KServe's Open Inference Protocol, Triton's binary tensor extension)."""

from __future__ import annotations

import numpy as np
import pytest
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException


@pytest.fixture(scope="module")
def triton(churn_endpoint):
    return httpclient.InferenceServerClient(url=churn_endpoint.url.removeprefix("http://"))


def test_health_and_metadata(triton):
    assert triton.is_server_live()
    assert triton.is_server_ready()
    assert triton.is_model_ready("churn")
    assert triton.is_model_ready("churn", model_version="2")
    meta = triton.get_model_metadata("churn")
    assert meta["name"] == "churn"
    assert meta["versions"] == ["1", "2"]
    assert meta["inputs"][0]["shape"] == [-1, 3]


def test_binary_tensors_by_default(triton, module_ws):
    X, _ = module_ws._test_data
    x = X.head(5).to_numpy().astype(np.float32)
    i = httpclient.InferInput("input-0", list(x.shape), "FP32")
    i.set_data_from_numpy(x)  # binary_data=True: Triton's binary extension
    r = triton.infer("churn", [i], model_version="1", request_id="req-1")
    assert r.get_response()["id"] == "req-1"
    assert r.get_response()["model_version"] == "1"
    expected = module_ws.load("churn:1").predict(X.head(5).astype(np.float32).astype(np.float64))
    assert r.as_numpy("predictions").tolist() == expected.tolist()


def test_json_tensors_and_version_routing(triton, module_ws):
    X, _ = module_ws._test_data
    x = X.head(3).to_numpy()
    i = httpclient.InferInput("input-0", list(x.shape), "FP64")
    i.set_data_from_numpy(x, binary_data=False)
    out = httpclient.InferRequestedOutput("predictions", binary_data=False)
    r = triton.infer("churn", [i], outputs=[out], model_version="2")
    assert r.as_numpy("predictions").tolist() == module_ws.load("churn:2").predict(X.head(3)).tolist()


def test_one_tensor_per_column(triton, module_ws):
    X, _ = module_ws._test_data
    inputs = []
    for col in X.columns:
        t = httpclient.InferInput(col, [4], "FP64")
        t.set_data_from_numpy(X[col].head(4).to_numpy())
        inputs.append(t)
    r = triton.infer("churn", inputs, model_version="1")
    assert r.as_numpy("predictions").tolist() == module_ws.load("churn:1").predict(X.head(4)).tolist()


def test_errors_are_json_with_a_message(triton):
    x = np.zeros((2, 5), dtype=np.float32)
    i = httpclient.InferInput("input-0", [2, 5], "FP32")
    i.set_data_from_numpy(x)
    with pytest.raises(InferenceServerException, match="expects 3"):
        triton.infer("churn", [i])
    with pytest.raises(InferenceServerException, match="does not exist"):
        triton.infer("nope", [i])


def test_string_labels_come_back_as_bytes_tensors(labels_endpoint):
    model, X = labels_endpoint.model, labels_endpoint.X
    c = httpclient.InferenceServerClient(url=labels_endpoint.url.removeprefix("http://"))
    x = X.head(4).to_numpy()
    for binary in (True, False):
        i = httpclient.InferInput("input-0", list(x.shape), "FP64")
        i.set_data_from_numpy(x, binary_data=binary)
        out = httpclient.InferRequestedOutput("predictions", binary_data=binary)
        r = c.infer("levels", [i], outputs=[out])
        got = [v.decode() if isinstance(v, bytes) else v for v in r.as_numpy("predictions")]
        assert got == model.predict(X.head(4)).tolist()


def _rows(module_ws, n=4):
    X, _ = module_ws._test_data
    x = X.head(n).to_numpy()
    i = httpclient.InferInput("input-0", list(x.shape), "FP64")
    i.set_data_from_numpy(x)
    model = module_ws.load("churn:1")
    return X.head(n), i, model


def test_metadata_declares_the_label_and_probability_outputs(triton):
    outputs = triton.get_model_metadata("churn", model_version="1")["outputs"]
    assert outputs == [{"name": "predictions", "datatype": "INT64", "shape": [-1]},
                       {"name": "probabilities", "datatype": "FP64", "shape": [-1, 2]}]


@pytest.mark.parametrize("binary", [True, False], ids=["binary", "json"])
def test_each_requested_output_alone_and_both(triton, module_ws, binary):
    X, i, model = _rows(module_ws)
    labels, proba = model.predict(X), model.predict_proba(X)
    for names in (["predictions"], ["probabilities"], ["probabilities", "predictions"]):
        outs = [httpclient.InferRequestedOutput(n, binary_data=binary) for n in names]
        r = triton.infer("churn", [i], outputs=outs, model_version="1")
        assert [o["name"] for o in r.get_response()["outputs"]] == names
        if "predictions" in names:
            assert r.as_numpy("predictions").tolist() == labels.tolist()
        if "probabilities" in names:
            got = r.as_numpy("probabilities")
            assert got.shape == (len(X), 2) and np.allclose(got, proba, rtol=0, atol=1e-12)


def test_no_requested_output_means_all_of_them(triton, module_ws):
    X, i, model = _rows(module_ws)
    r = triton.infer("churn", [i], model_version="1")
    assert [o["name"] for o in r.get_response()["outputs"]] == ["predictions", "probabilities"]
    assert np.allclose(r.as_numpy("probabilities"), model.predict_proba(X), rtol=0, atol=1e-12)


def test_an_unknown_output_is_refused_naming_the_ones_that_exist(triton, module_ws):
    _, i, _ = _rows(module_ws)
    for outs in (["nope"], ["predictions", "nope"]):
        with pytest.raises(InferenceServerException) as e:
            triton.infer("churn", [i], outputs=[httpclient.InferRequestedOutput(n) for n in outs],
                         model_version="1")
        assert e.value.status() == "400"
        assert "no output 'nope'" in e.value.message()
        assert "'predictions', 'probabilities'" in e.value.message()


def test_a_model_without_predict_proba_has_only_predictions(tmp_path, module_ws):
    from sklearn.linear_model import Ridge

    from .endpoints import start_endpoint, variant_spec

    X, y = module_ws._test_data
    model = Ridge().fit(X, y)
    ep = start_endpoint(tmp_path, "scores", [variant_spec(tmp_path / "art", model, X, y,
                                                          name="scores-v1", model_name="scores")])
    try:
        c = httpclient.InferenceServerClient(url=ep.url.removeprefix("http://"))
        assert c.get_model_metadata("scores")["outputs"] == [
            {"name": "predictions", "datatype": "FP64", "shape": [-1]}]
        i = httpclient.InferInput("input-0", [2, 3], "FP64")
        i.set_data_from_numpy(X.head(2).to_numpy())
        assert np.allclose(c.infer("scores", [i]).as_numpy("predictions"), model.predict(X.head(2)))
        with pytest.raises(InferenceServerException, match="its outputs are 'predictions'."):
            c.infer("scores", [i], outputs=[httpclient.InferRequestedOutput("probabilities")])
    finally:
        ep.stop()
