"""Compiled tree ensembles: a tree model predicts through ONNX Runtime only once that is proven to
give scikit-learn's answers (classes equal, values and probabilities within 1e-9); otherwise the
normal path, with the reason in the endpoint's log and its info."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from sklearn import ensemble, tree  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from jupyter_mlops._core.serving.inference.compiled_trees import (  # noqa: E402
    CompiledTrees, cache_paths, compile_model, leaf_graph, prove, threshold_rows)
from jupyter_mlops._core.serving.inference.tree_tables import tables_for  # noqa: E402

TOL = 1e-9
X3, Y3 = make_classification(300, 6, n_informative=4, n_classes=3, random_state=0)  # 3 classes
X2, Y2 = make_classification(300, 6, n_informative=4, random_state=1)                # binary
XR, YR = make_regression(300, 6, noise=5.0, random_state=2)

CLASSIFIERS = [
    ensemble.RandomForestClassifier(n_estimators=20, random_state=0),
    ensemble.ExtraTreesClassifier(n_estimators=20, random_state=0),
    ensemble.GradientBoostingClassifier(n_estimators=20, random_state=0),
    ensemble.HistGradientBoostingClassifier(max_iter=20, random_state=0),
    tree.DecisionTreeClassifier(random_state=0),
]
REGRESSORS = [
    ensemble.RandomForestRegressor(n_estimators=20, random_state=0),
    ensemble.ExtraTreesRegressor(n_estimators=20, random_state=0),
    ensemble.GradientBoostingRegressor(n_estimators=50, random_state=0),
    ensemble.HistGradientBoostingRegressor(max_iter=30, random_state=0),
    tree.DecisionTreeRegressor(random_state=0),
]


def _predicts_like_sklearn(model, compiled, rows):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = model.predict(rows)
    got = compiled.predict(rows)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    if hasattr(model, "classes_"):
        assert np.array_equal(got, expected)
        assert np.max(np.abs(compiled.predict_proba(rows) - model.predict_proba(rows))) <= TOL
    else:
        assert np.max(np.abs(got - expected)) <= TOL


def _random_and_threshold_rows(compiled, X):
    rng = np.random.default_rng(5)
    random_rows = rng.normal(X.mean(axis=0), X.std(axis=0) * 2, (2000, X.shape[1]))
    return random_rows, threshold_rows(compiled.tables, X[:20], limit=20_000, seed=1)


@pytest.mark.parametrize("model", CLASSIFIERS, ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("data", [(X3, Y3), (X2, Y2)], ids=["3 classes", "binary"])
def test_every_classifier_family_compiles_to_sklearns_classes_and_probabilities(model, data):
    X, y = data
    model.fit(X, y)
    compiled, status, details = compile_model(model, X[:5])
    assert status == "onnxruntime" and details["proof_rows"] > 1000
    for rows in _random_and_threshold_rows(compiled, X):
        _predicts_like_sklearn(model, compiled, rows)


@pytest.mark.parametrize("model", REGRESSORS, ids=lambda m: type(m).__name__)
def test_every_regressor_family_compiles_to_sklearns_values(model):
    model.fit(XR, YR)
    compiled, status, _ = compile_model(model, XR[:5])
    assert status == "onnxruntime"
    for rows in _random_and_threshold_rows(compiled, XR):
        _predicts_like_sklearn(model, compiled, rows)


def test_a_pipeline_ending_in_a_tree_model_compiles_its_trees_and_runs_its_other_steps():
    model = make_pipeline(StandardScaler(), ensemble.GradientBoostingClassifier(n_estimators=20, random_state=0))
    model.fit(X3, Y3)
    compiled, status, _ = compile_model(model, X3[:5])
    assert status == "onnxruntime"
    random_rows, _ = _random_and_threshold_rows(compiled, X3)
    _predicts_like_sklearn(model, compiled, random_rows)


def test_rows_with_missing_values_are_answered_by_sklearn_itself():
    model = ensemble.HistGradientBoostingRegressor(max_iter=10).fit(XR, YR)
    compiled, status, _ = compile_model(model, XR[:5])
    rows = XR[:4].copy()
    rows[1, 2] = np.nan
    assert status == "onnxruntime"
    assert np.array_equal(compiled.predict(rows), model.predict(rows))


def test_a_compiled_form_with_float32_thresholds_is_refused_by_the_proof():
    """What a float TreeEnsemble (skl2onnx's default) holds: thresholds rounded to float32. Rows
    at the thresholds go the other way, and the proof says so (given no sample rows at all)."""
    model = ensemble.RandomForestRegressor(n_estimators=10, random_state=0).fit(XR, YR)
    tables = tables_for(model)
    for t in tables.trees:
        t.threshold = t.threshold.astype(np.float32).astype(np.float64)
    rounded = CompiledTrees(model, tables, leaf_graph(tables))
    reason, rows = prove(model, rounded, None)
    assert reason is not None and "near-threshold rows differ" in reason and rows > 1000
    # the random rows alone would not have shown it
    rng = np.random.default_rng(0)
    rows = rng.normal(0, 1, (500, XR.shape[1]))
    assert np.max(np.abs(rounded.predict(rows) - model.predict(rows))) <= TOL


def test_a_model_that_is_not_a_supported_tree_model_is_refused_with_the_reason():
    from sklearn.linear_model import Ridge

    frame = pd.DataFrame(XR[:, :2], columns=["a", "b"]).assign(c=pd.Categorical(np.where(YR > 0, "x", "y")))
    categorical = ensemble.HistGradientBoostingRegressor(max_iter=5, categorical_features="from_dtype")
    categorical.fit(frame, YR)
    assert compile_model(categorical, None)[:2] == (
        None, "no (HistGradientBoostingRegressor with categorical features is not compiled)")
    assert compile_model(Ridge().fit(XR, YR), XR[:5])[1] == "no (Ridge is not a scikit-learn tree model)"
    multi = tree.DecisionTreeRegressor().fit(XR, np.c_[YR, -YR])
    assert compile_model(multi, XR[:5])[1] == "no (DecisionTreeRegressor has 2 outputs; only one is compiled)"


def test_the_compiled_graph_is_cached_next_to_the_artifact_privately_and_a_changed_one_is_rebuilt(tmp_path):
    model = ensemble.RandomForestClassifier(n_estimators=10, random_state=0).fit(X2, Y2)
    artifact = tmp_path / "sha256" / "ab" / ("ab" + "0" * 62)
    artifact.parent.mkdir(parents=True)
    artifact.write_bytes(b"model bytes")
    sha = artifact.name
    _, status, first = compile_model(model, X2[:5], sha, artifact)
    graph, record = cache_paths(artifact, sha)
    assert status == "onnxruntime" and not first["cached"]
    assert graph.parent == artifact.parent and graph.name.startswith(sha)
    assert stat.S_IMODE(graph.stat().st_mode) == 0o600 and stat.S_IMODE(record.stat().st_mode) == 0o600
    assert json.loads(record.read_text())["document"]["model_sha256"] == sha
    assert compile_model(model, X2[:5], sha, artifact)[2]["cached"]
    graph.write_bytes(graph.read_bytes() + b"\0")  # changed: its recorded sha256 no longer matches
    compiled, status, again = compile_model(model, X2[:5], sha, artifact)
    assert status == "onnxruntime" and not again["cached"]
    _predicts_like_sklearn(model, compiled, X2)


def test_without_onnxruntime_installed_the_model_takes_the_normal_path_and_says_why(tmp_path):
    code = ("import sys; sys.modules['onnxruntime'] = None\n"
            "from sklearn.tree import DecisionTreeClassifier\n"
            "from jupyter_mlops._core.serving.inference.compiled_trees import compile_model\n"
            "m = DecisionTreeClassifier().fit([[0.0], [1.0]], [0, 1])\n"
            "print(compile_model(m, None)[1])\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.getcwd(), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("no (onnxruntime or onnx is not installed")


# -- a real endpoint --------------------------------------------------------------------------
FEATURES = ["tenure", "monthly", "support_calls", "age"]


@pytest.fixture(scope="module")
def forest_ws(tmp_path_factory):
    from jupyter_mlops import Workspace

    from .conftest import _stop_all

    home = tmp_path_factory.mktemp("compiled") / ".mlops"
    ws = Workspace(home)
    rng = np.random.default_rng(11)
    n = 400
    X = pd.DataFrame({"tenure": rng.integers(0, 72, n).astype(float), "monthly": rng.normal(70, 20, n),
                      "support_calls": rng.poisson(2, n).astype(float), "age": rng.normal(45, 12, n)})
    y = pd.Series(((X.support_calls * 0.8 - X.tenure * 0.05 + rng.normal(0, 1, n)) > 0).astype(int),
                  name="churned")
    model = ensemble.RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y)
    ws.register(model, "forest", data=X, target=y)
    ws._test_data = (X, model)
    yield ws
    _stop_all(ws)
    ws.store.dispose()


@pytest.fixture(scope="module")
def two_endpoints(forest_ws):
    compiled = forest_ws.deploy("forest:1", "forest-compiled")
    plain = forest_ws.deploy("forest:1", "forest-plain", compiled=False)
    return compiled, plain


def test_a_forest_endpoint_reports_its_compiled_form_and_the_reason_when_off(forest_ws, two_endpoints):
    compiled, plain = two_endpoints
    assert [v["compiled"] for v in forest_ws.endpoint("forest-compiled").variants] == ["onnxruntime"]
    assert [v["compiled"] for v in plain.variants] == ["no (turned off: compiled=False)"]
    assert forest_ws._serving._reports("forest-compiled")[0]["compiled"] == {"forest-v1": "onnxruntime"}
    assert "variant forest-v1: compiled: onnxruntime" in forest_ws.endpoint("forest-compiled").logs()
    assert "compiled" in compiled._repr_html_() and "compiled" in forest_ws.endpoint("forest-compiled").to_frame()


def test_the_compiled_endpoint_answers_invocations_as_the_uncompiled_one(forest_ws, two_endpoints):
    import httpx

    X, model = forest_ws._test_data
    rows = pd.concat([X, X.sample(200, random_state=1) + 0.25])
    body = rows.to_csv(index=False, header=False)
    answers = []
    for ep in two_endpoints:
        r = httpx.post(f"{ep.url}/invocations", content=body, timeout=30,
                       headers={"content-type": "text/csv", "accept": "text/csv"})
        assert r.status_code == 200, r.text
        answers.append([int(v) for v in r.text.split()])
    assert answers[0] == answers[1] == model.predict(rows).tolist()


def test_boto3_invoke_endpoint_gets_the_same_answers_from_both(forest_ws, two_endpoints):
    import boto3
    from botocore.config import Config

    X, model = forest_ws._test_data
    for i in range(0, 40, 4):  # one row per request, the served case
        row = X.iloc[[i]]
        got = []
        for ep in two_endpoints:
            smr = boto3.client("sagemaker-runtime", endpoint_url=ep.url, region_name="us-east-1",
                               aws_access_key_id="x", aws_secret_access_key="x",
                               config=Config(retries={"total_max_attempts": 1}))
            r = smr.invoke_endpoint(EndpointName=ep.name, Body=json.dumps({"instances": row.to_numpy().tolist()}),
                                    ContentType="application/json", Accept="application/json")
            got.append(json.loads(r["Body"].read())["predictions"])
        assert got[0] == got[1] == model.predict(row).tolist()


def test_batch_transform_scores_through_the_compiled_forest_with_the_same_predictions(forest_ws, tmp_path):
    X, model = forest_ws._test_data
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    X.to_csv(source, index=False)
    job = forest_ws.batch("forest:1", str(source), str(target), chunk_rows=150)
    assert job.engine.endswith("compiled: onnxruntime")
    assert pd.read_csv(target)["prediction"].tolist() == model.predict(X).tolist()
