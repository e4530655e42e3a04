"""Multi-model endpoints: many registered versions behind one endpoint, each loaded on its first
request (boto3 ``TargetModel``, or SageMaker's multi-model container API ``/models``), the least
recently used evicted past ``max_models`` or the memory budget. A real endpoint on 127.0.0.1,
stopped by pid at the end."""

from __future__ import annotations

import boto3
import httpx
import numpy as np
import pandas as pd
import pytest
from botocore.config import Config

from jupyter_mlops import Workspace

from .conftest import _stop_all
from .endpoints import wait_until

N_MODELS = 100
MAX_MODELS = 10
PROBE = "0.5,0.5\n-0.5,0.1"


def tiny_labels(i: int) -> tuple[int, int]:
    """tiny:i predicts 2i-1 for x > 0 and 2i-2 otherwise: every answer names its model."""
    return 2 * i - 1, 2 * i - 2


def expected(i: int) -> str:
    high, low = tiny_labels(i)
    return f"{high}\n{low}\n"


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """100 tiny LogisticRegression versions (tiny:1..tiny:100) registered, served by one
    multi-model endpoint keeping at most 10 loaded."""
    from sklearn.linear_model import LogisticRegression

    home = tmp_path_factory.mktemp("multi") / ".mlops"
    ws = Workspace(home)
    X = pd.DataFrame({"x": np.linspace(-1, 1, 20), "z": np.linspace(0, 1, 20)})
    for i in range(1, N_MODELS + 1):
        high, low = tiny_labels(i)
        y = pd.Series(np.where(X.x > 0, high, low), name="label")
        ws.register(LogisticRegression().fit(X, y), "tiny", data=X, target=y)
    try:
        ws.deploy([f"tiny:{i}" for i in range(1, N_MODELS + 1)], "many", multi_model=True,
                  max_models=MAX_MODELS)
        yield ws
    finally:
        _stop_all(ws)
        ws.store.dispose()


@pytest.fixture(scope="module")
def url(many):
    return many.endpoint("many").url


@pytest.fixture(scope="module")
def smr(url):
    return boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": 1}))


def invoke(smr, target: str, body: str = PROBE):
    return smr.invoke_endpoint(EndpointName="many", Body=body, ContentType="text/csv",
                               TargetModel=target)


def metric(url: str, name: str) -> float:
    for line in httpx.get(url + "/metrics").text.splitlines():
        if line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


def test_every_one_of_100_models_answers_with_its_own_predictions(smr, url):
    loads_before = metric(url, "mlops_multi_model_loads_total")
    for i in range(1, N_MODELS + 1):
        r = invoke(smr, f"tiny:{i}")
        assert r["Body"].read().decode() == expected(i)
        assert r["InvokedProductionVariant"] == f"tiny-v{i}"
    # each was loaded on its first use (tiny:1 already at start); no more than 10 stay loaded
    assert metric(url, "mlops_multi_model_loads_total") - loads_before >= N_MODELS - 1
    assert metric(url, "mlops_multi_model_loaded") <= MAX_MODELS
    assert metric(url, "mlops_multi_model_evictions_total") >= N_MODELS - MAX_MODELS


def test_the_least_recently_used_model_is_evicted_first(smr, url):
    for i in range(1, MAX_MODELS + 1):       # tiny:1..10 loaded, tiny:1 the oldest
        invoke(smr, f"tiny:{i}")
    invoke(smr, "tiny:1")                     # now tiny:2 is the oldest
    invoke(smr, "tiny:50")                    # one more than fits: tiny:2 goes
    loaded = [m["modelName"] for m in httpx.get(url + "/models").json()["models"]]
    assert "tiny:2" not in loaded
    assert {"tiny:1", "tiny:50"} <= set(loaded)
    assert len(loaded) == MAX_MODELS


def test_a_target_model_that_is_not_deployed_is_a_validation_error_naming_it(smr):
    with pytest.raises(smr.exceptions.ValidationError) as e:
        invoke(smr, "tiny:999")
    assert "tiny:999" in e.value.response["Error"]["Message"]
    assert "many" in e.value.response["Error"]["Message"]


def test_a_request_without_target_model_is_a_validation_error(smr):
    with pytest.raises(smr.exceptions.ValidationError) as e:
        smr.invoke_endpoint(EndpointName="many", Body=PROBE, ContentType="text/csv")
    assert "TargetModel" in e.value.response["Error"]["Message"]


def test_variant_names_also_name_models(smr):
    r = invoke(smr, "tiny-v7")
    assert r["Body"].read().decode() == expected(7)


def test_container_api_loads_lists_describes_invokes_and_unloads(url):
    httpx.delete(url + "/models/tiny:33")    # whether or not an earlier test loaded it
    r = httpx.post(url + "/models", json={"model_name": "tiny:33", "url": "tiny:33"})
    assert r.status_code == 200, r.text
    assert httpx.post(url + "/models", json={"model_name": "tiny:33", "url": "tiny:33"}).status_code == 409
    assert "tiny:33" in [m["modelName"] for m in httpx.get(url + "/models").json()["models"]]
    assert httpx.get(url + "/models/tiny:33").json()["modelName"] == "tiny:33"
    r = httpx.post(url + "/models/tiny:33/invoke", content=PROBE,
                   headers={"content-type": "text/csv", "x-amzn-sagemaker-target-model": "tiny:33"})
    assert r.status_code == 200 and r.text == expected(33)
    assert httpx.delete(url + "/models/tiny:33").status_code == 200
    assert httpx.get(url + "/models/tiny:33").status_code == 404
    assert httpx.delete(url + "/models/tiny:33").status_code == 404


def test_container_api_refuses_a_model_that_is_not_deployed(url):
    r = httpx.post(url + "/models", json={"model_name": "other", "url": "/opt/ml/models/other/model"})
    assert r.status_code == 400
    assert "other" in r.json()["error"]
    assert httpx.post(url + "/models/nope:1/invoke", content=PROBE,
                      headers={"content-type": "text/csv"}).status_code == 400


def test_open_inference_v2_names_the_model_in_its_path(url):
    body = {"inputs": [{"name": "input-0", "shape": [2, 2], "datatype": "FP64",
                        "data": [0.5, 0.5, -0.5, 0.1]}]}
    r = httpx.post(url + "/v2/models/tiny/versions/21/infer", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["outputs"][0]["data"] == list(tiny_labels(21))
    latest = httpx.post(url + "/v2/models/tiny/infer", json=body)   # the highest deployed version
    assert latest.json()["outputs"][0]["data"] == list(tiny_labels(N_MODELS))
    assert httpx.get(url + "/v2/models/tiny/versions/21/ready").json() == {"name": "tiny", "ready": True}
    missing = httpx.post(url + "/v2/models/tiny/versions/999/infer", json=body)
    assert missing.status_code == 404
    assert missing.json()["error"] == "Model with name tiny version 999 does not exist."


def test_cold_and_warm_latency_and_counts_are_metrics_and_in_the_workers_report(smr, url, many):
    invoke(smr, "tiny:60")
    invoke(smr, "tiny:60")
    text = httpx.get(url + "/metrics").text
    assert 'mlops_multi_model_latency_ms{endpoint="many",state="cold",quantile="p50"}' in text
    assert 'mlops_multi_model_latency_ms{endpoint="many",state="warm",quantile="p50"}' in text
    assert wait_until(lambda: (many._serving._reports("many")[0].get("multi_model") or {}).get("hits"))
    report = many._serving._reports("many")[0]["multi_model"]
    assert report["deployed"] == N_MODELS and report["max_models"] == MAX_MODELS
    assert report["loads"] >= 1 and report["cold_p50_ms"] is not None


def test_the_endpoint_info_and_listing_show_the_cache(smr, many):
    invoke(smr, "tiny:61")
    assert wait_until(lambda: (many.endpoint("many").info().multi_model or {}).get("loads"))
    info = many.endpoint("many").info().multi_model
    assert info["deployed"] == N_MODELS and info["max_models"] == MAX_MODELS
    assert 1 <= info["loaded_now"] <= MAX_MODELS and info["evictions"] >= 0
    assert "multi-model" in many.endpoint("many")._repr_html_()
    row = many.endpoints().set_index("name").loc["many"]
    assert row["variants"].startswith(f"multi-model: {N_MODELS} models, at most {MAX_MODELS} loaded")


def test_the_handle_predicts_with_a_named_model(many):
    X = pd.DataFrame({"x": [0.5, -0.5], "z": [0.5, 0.1]})
    assert many.endpoint("many").predict(X, model="tiny:12").tolist() == list(tiny_labels(12))


def test_past_the_memory_budget_the_least_recently_used_models_are_evicted(many):
    """The cache itself, on the registry's real specs: each model counts the size of its
    artifact; a budget of two and a half models keeps two loaded."""
    from jupyter_mlops._core.serving.endpoint.model_cache import ModelCache

    paths = many._serving.paths("many")
    specs = [many._serving._variant(f"tiny:{i}", None, paths) for i in (1, 2, 3, 4)]
    size = max(ModelCache(specs).entry_size(s.ref) for s in specs)
    cache = ModelCache(specs, max_memory_mb=2.5 * size / 1024 / 1024)
    for ref in ("tiny:1", "tiny:2", "tiny:1", "tiny:3"):   # tiny:2 is the least recently used
        cache.get(ref)
    assert list(cache.loaded) == ["tiny:1", "tiny:3"]
    assert (cache.loads, cache.evictions, cache.hits) == (3, 1, 1)


def test_a_model_that_alone_passes_the_memory_budget_is_refused_with_507(many):
    from jupyter_mlops._core.errors import ModelOverMemoryBudget, http_status
    from jupyter_mlops._core.serving.endpoint.model_cache import ModelCache

    spec = many._serving._variant("tiny:1", None, many._serving.paths("many"))
    cache = ModelCache([spec], max_memory_mb=1e-6)
    with pytest.raises(ModelOverMemoryBudget) as e:
        cache.get("tiny:1")
    assert http_status(e.value) == 507 and "tiny:1" in str(e.value) and not cache.loaded


def test_concurrent_requests_for_one_cold_model_load_it_once_and_all_answer(url):
    from concurrent.futures import ThreadPoolExecutor

    httpx.delete(url + "/models/tiny:77")   # cold, whether or not an earlier test loaded it
    before = metric(url, "mlops_multi_model_loads_total")

    def one(target: str) -> str:
        return httpx.post(url + "/endpoints/many/invocations", content=PROBE, timeout=60,
                          headers={"content-type": "text/csv",
                                   "x-amzn-sagemaker-target-model": target}).text

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(one, ["tiny:77"] * 16))
    assert answers == [expected(77)] * 16
    assert metric(url, "mlops_multi_model_loads_total") - before == 1


def test_single_versions_traffic_and_rollback_are_refused_on_a_multi_model_endpoint(many):
    from jupyter_mlops._core.errors import Conflict

    for attempt in (lambda: many.deploy("tiny:3", "many", strategy="canary", percent=10),
                    lambda: many.traffic("many", {"tiny-v1": 100}),
                    lambda: many.rollback("many")):
        with pytest.raises(Conflict, match="multi-model endpoint"):
            attempt()


def test_deploying_again_replaces_the_models_and_limits_of_the_running_endpoint(many, url):
    """Last in this module: it changes the shared endpoint."""
    ep = many.deploy([f"tiny:{i}" for i in range(1, 21)], "many", multi_model=True, max_models=5)
    assert ep.multi_model["deployed"] == 20 and ep.multi_model["max_models"] == 5
    smr = boto3.client("sagemaker-runtime", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x",
                       config=Config(retries={"total_max_attempts": 1}))
    for i in range(1, 21):
        assert invoke(smr, f"tiny:{i}")["Body"].read().decode() == expected(i)
    assert metric(url, "mlops_multi_model_loaded") <= 5
    with pytest.raises(smr.exceptions.ValidationError):
        invoke(smr, "tiny:21")


def test_a_deploy_whose_first_model_cannot_load_fails_and_names_it(sws):
    """The first model is loaded (hash check, smoke test) when the endpoint starts."""
    from jupyter_mlops._core.errors import DeployError

    with pytest.raises(DeployError) as e:
        sws.deploy(["broken:1", "churn:1"], "mm", multi_model=True, timeout=30)
    assert "broken" in str(e.value)


def test_a_model_that_fails_to_load_on_first_use_is_a_model_error_naming_it(sws):
    ep = sws.deploy(["churn:1", "broken:1"], "mmb", multi_model=True)
    smr = boto3.client("sagemaker-runtime", endpoint_url=ep.url, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x",
                       config=Config(retries={"total_max_attempts": 1}))
    with pytest.raises(smr.exceptions.ModelError) as e:
        smr.invoke_endpoint(EndpointName="mmb", Body="1,70,3", ContentType="text/csv",
                            TargetModel="broken:1")
    assert "broken" in e.value.response["OriginalMessage"]
    r = smr.invoke_endpoint(EndpointName="mmb", Body="1,70,3", ContentType="text/csv",
                            TargetModel="churn:1")   # the others keep answering
    assert r["InvokedProductionVariant"] == "churn-v1"


def test_data_capture_records_which_model_answered(sws):
    ws = sws
    ep = ws.deploy(["churn:1", "churn:2"], "mmc", multi_model=True, capture=100)
    smr = boto3.client("sagemaker-runtime", endpoint_url=ep.url, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="x",
                       config=Config(retries={"total_max_attempts": 1}))
    smr.invoke_endpoint(EndpointName="mmc", Body="1,70,3", ContentType="text/csv",
                        TargetModel="churn:2", InferenceId="mm-1")
    assert wait_until(lambda: "mm-1" in set(ws.captured("mmc")["inference_id"].dropna()))
    row = ws.captured("mmc").set_index("inference_id").loc["mm-1"]
    assert row["variant"] == "churn-v2" and row["tenure"] == 1.0
