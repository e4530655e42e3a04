"""The model registry, as a user sees it from Python."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import jupyter_mlops as mlops


def test_register_numbers_versions_and_records_what_was_given(ws, clf, numeric_data):
    X, y = numeric_data
    v1 = ws.register(clf, "churn", data=X, target=y, metrics={"auc": 0.91}, params={"C": 1.0},
                     tags={"team": "growth"}, description="first")
    v2 = ws.register(clf, "churn", metrics={"auc": 0.93})
    assert (v1.version, v2.version) == (1, 2)
    assert v1.ref == "churn:1" and v1.metrics == {"auc": 0.91} and v1.params == {"C": 1.0}
    assert v1.tags == {"team": "growth"} and v1.description == "first"
    assert v1.approval == "PendingManualApproval" and v1.aliases == ()
    assert len(v1.artifact_sha256) == 64 and v1.format["format"] == "skops"


def test_signature_is_inferred_from_the_data(ws, clf, numeric_data):
    X, y = numeric_data
    sig = ws.register(clf, "churn", data=X, target=y).signature
    assert [c["name"] for c in sig["inputs"]] == list(X.columns)
    assert {c["dtype"] for c in sig["inputs"]} == {"float64"}
    assert sig["output"] == {"kind": "classification", "classes": [0, 1], "name": "churned", "dtype": "int64"}
    assert sig["has_proba"] is True


def test_lineage_fingerprints_the_full_data_and_the_environment(ws, clf, numeric_data):
    X, y = numeric_data
    lin = ws.register(clf, "churn", data=X, target=y).lineage
    assert lin["data"]["shape"] == [len(X), 3] and lin["target"]["shape"] == [len(y)]
    assert lin["python"] and lin["packages"]["scikit-learn"] and lin["user"] and lin["host"]
    freeze = ws.artifacts.get_bytes(lin["environment"]["pip_freeze_sha256"]).decode()
    assert "scikit-learn==" in freeze.lower() or "scikit_learn==" in freeze.lower()


def test_changing_one_value_in_the_last_row_changes_the_data_hash(ws, clf, numeric_data):
    X, y = numeric_data
    changed = X.copy()
    changed.iloc[-1, -1] += 1e-9
    a = ws.register(clf, "churn", data=X, target=y).lineage["data"]["sha256"]
    b = ws.register(clf, "churn", data=changed, target=y).lineage["data"]["sha256"]
    c = ws.register(clf, "churn", data=X.astype("float32"), target=y).lineage["data"]["sha256"]
    assert len({a, b, c}) == 3


def test_load_returns_an_equivalent_model(ws, clf, numeric_data):
    X, y = numeric_data
    ws.register(clf, "churn", data=X, target=y)
    loaded = ws.load("churn")
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))


def test_a_changed_artifact_is_refused_naming_the_file_and_both_hashes(ws, clf):
    v = ws.register(clf, "churn")
    path = ws.artifacts.local_path(v.artifact_sha256)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(mlops.ArtifactIntegrityError) as err:
        ws.load("churn:1")
    message = str(err.value)
    assert str(path) in message and v.artifact_sha256 in message
    import hashlib

    assert hashlib.sha256(bytes(data)).hexdigest() in message


def test_a_missing_artifact_is_a_clear_error(ws, clf):
    v = ws.register(clf, "churn")
    ws.artifacts.local_path(v.artifact_sha256).unlink()
    with pytest.raises(mlops.ArtifactNotFound, match="missing"):
        ws.load("churn")


def test_non_sklearn_objects_with_predict_use_cloudpickle_and_say_so(ws):
    class Doubler:
        def predict(self, X):
            return np.asarray(X) * 2

    v = ws.register(Doubler(), "doubler")
    assert v.format["format"] == "cloudpickle" and v.format["flavor"] == "python"
    assert ws.load("doubler").predict([[1.0]]).tolist() == [[2.0]]


def test_objects_without_predict_are_refused(ws):
    with pytest.raises(mlops.UnsupportedModel, match="no predict"):
        ws.register({"not": "a model"}, "thing")


def test_references_latest_version_and_alias(ws, clf):
    for _ in range(3):
        ws.register(clf, "churn")
    ws.promote("churn:2", "production")
    assert ws.get("churn").version == 3
    assert ws.get("churn:1").version == 1
    assert ws.get("churn@production").version == 2
    assert ws.get("churn:2").aliases == ("production",)


def test_unknown_names_versions_and_aliases_list_close_matches(ws, clf):
    ws.register(clf, "churn")
    with pytest.raises(mlops.ModelNotFound, match="Did you mean: churn"):
        ws.get("chrun")
    with pytest.raises(mlops.ModelNotFound, match="no version 9; it has versions 1"):
        ws.get("churn:9")
    with pytest.raises(mlops.ModelNotFound, match="no alias @prod"):
        ws.get("churn@prod")


@pytest.mark.parametrize("bad", ["", "../etc", "a/b", "a\x00b", "with space", ".hidden", "x" * 200, "a..b"])
def test_bad_names_are_refused_before_anything_is_written(ws, clf, bad):
    with pytest.raises(mlops.InvalidName):
        ws.register(clf, bad)
    assert ws.models().empty


@pytest.mark.parametrize("ref", ["churn:0", "churn:x", "churn@", "@prod", ":3"])
def test_bad_references_are_refused(ws, ref):
    with pytest.raises(mlops.InvalidName):
        ws.get(ref)


def test_metrics_must_be_finite_numbers(ws, clf):
    with pytest.raises(mlops.InvalidInput, match="auc"):
        ws.register(clf, "churn", metrics={"auc": "high"})
    with pytest.raises(mlops.InvalidInput, match="finite"):
        ws.register(clf, "churn", metrics={"auc": float("nan")})


def test_data_and_target_lengths_must_match(ws, clf, numeric_data):
    X, y = numeric_data
    with pytest.raises(mlops.InvalidInput, match="rows"):
        ws.register(clf, "churn", data=X, target=y[:10])


def test_approval_flow_and_history(ws, clf):
    ws.register(clf, "churn")
    assert ws.approve("churn:1", comment="offline eval ok").approval == "Approved"
    v = ws.reject("churn:1", comment="bias found")
    assert v.approval == "Rejected"
    assert [h["state"] for h in v.approval_history] == ["Approved", "Rejected"]
    assert v.approval_history[0]["comment"] == "offline eval ok"


def test_require_approval_policy_blocks_promoting_unapproved_versions(ws, clf):
    ws.register(clf, "churn")
    ws.policy(require_approval=True)
    with pytest.raises(mlops.PolicyViolation, match="approve churn:1"):
        ws.promote("churn:1", "production")
    ws.approve("churn:1")
    assert ws.promote("churn:1", "production").aliases == ("production",)


def test_min_approvers_needs_distinct_people(ws, clf, monkeypatch):
    ws.register(clf, "churn")
    ws.policy(min_approvers=2)
    monkeypatch.setenv("MLOPS_ACTOR", "alice")
    assert ws.approve("churn:1").approval == "PendingManualApproval"
    assert ws.approve("churn:1").approval == "PendingManualApproval"
    monkeypatch.setenv("MLOPS_ACTOR", "bob")
    assert ws.approve("churn:1").approval == "Approved"


def test_promote_moves_an_alias(ws, clf):
    ws.register(clf, "churn")
    ws.register(clf, "churn")
    ws.promote("churn:1", "production")
    ws.promote("churn:2", "production")
    assert ws.get("churn:1").aliases == () and ws.get("churn@production").version == 2
    assert "production=2" in ws.models().loc[0, "aliases"]


def test_archive_refuses_a_version_that_holds_an_alias(ws, clf):
    ws.register(clf, "churn")
    ws.register(clf, "churn")
    ws.promote("churn:2", "production")
    with pytest.raises(mlops.RegistryError, match="holds an alias"):
        ws.archive("churn:2")
    assert ws.archive("churn:1").status == "archived"
    with pytest.raises(mlops.RegistryError, match="archived"):
        ws.promote("churn:1", "staging")


def test_latest_skips_archived_versions(ws, clf):
    ws.register(clf, "churn")
    ws.register(clf, "churn")
    ws.archive("churn:2")
    assert ws.get("churn").version == 1


def test_versions_and_models_listings(ws, clf, numeric_data):
    X, y = numeric_data
    ws.register(clf, "churn", data=X, target=y, metrics={"auc": 0.9})
    ws.register(clf, "churn", metrics={"auc": 0.8, "f1": 0.5})
    ws.register(clf, "fraud")
    versions = ws.versions("churn")
    assert list(versions.index) == [1, 2]
    assert {"created_at", "approval", "aliases", "data_sha256", "auc", "f1"} <= set(versions.columns)
    assert versions.loc[1, "auc"] == 0.9 and pd.isna(versions.loc[1, "f1"])
    models = ws.models()
    assert list(models["name"]) == ["churn", "fraud"] and list(models["versions"]) == [2, 1]


def test_diff_shows_what_changed(ws, clf, numeric_data):
    X, y = numeric_data
    ws.register(clf, "churn", data=X, target=y, metrics={"auc": 0.9}, params={"C": 1.0})
    ws.register(clf, "churn", data=X.iloc[:100], target=y.iloc[:100], metrics={"auc": 0.8}, params={"C": 1.0})
    d = ws.diff("churn:1", "churn:2")
    assert list(d.columns) == ["churn:1", "churn:2", "changed"]
    assert d.loc["metric.auc", "changed"] and not d.loc["param.C", "changed"]
    assert d.loc["data.sha256", "changed"] and d.loc["data.shape", "churn:2"] == (100, 3)
    changed = ws.diff("churn:1", "churn:2", changed_only=True)
    assert changed.equals(d[d["changed"]]) and "param.C" not in changed.index


def test_results_render_as_html_dict_and_frame(ws, clf, numeric_data):
    X, y = numeric_data
    v = ws.register(clf, "churn", data=X, target=y, metrics={"auc": 0.9})
    html = v._repr_html_()
    assert "churn v1" in html and "auc" in html and "PendingManualApproval" in html
    assert v.to_dict()["ref"] == "churn:1"
    assert v.to_frame().loc[0, "metric.auc"] == 0.9


def test_workspace_home_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("MLOPS_HOME", raising=False)
    project = tmp_path / "proj"
    (project / ".mlops").mkdir(parents=True)
    (project / "sub" / "deeper").mkdir(parents=True)
    monkeypatch.chdir(project / "sub" / "deeper")
    assert mlops.Workspace().home == project / ".mlops"
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path / "elsewhere"))
    assert mlops.Workspace().home == tmp_path / "elsewhere"
    monkeypatch.delenv("MLOPS_HOME")
    monkeypatch.chdir(tmp_path)
    assert mlops.Workspace().home == tmp_path / ".mlops"


def test_the_fast_load_companion_is_verified_and_safe_load_uses_skops(ws, clf, numeric_data, monkeypatch):
    X, _ = numeric_data
    v = ws.register(clf, "churn")
    fast = v.format["fast_load"]
    assert fast["format"] == "pickle" and len(fast["sha256"]) == 64
    path = ws.artifacts.local_path(fast["sha256"])
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(mlops.ArtifactIntegrityError, match=fast["sha256"]):
        ws.load("churn")
    monkeypatch.setenv("MLOPS_SAFE_LOAD", "1")  # skops only: the companion is not read at all
    np.testing.assert_array_equal(ws.load("churn").predict(X), clf.predict(X))


def test_skops_refuses_types_that_were_not_recorded(ws, numeric_data):
    from sklearn.tree import DecisionTreeClassifier

    from jupyter_mlops._core.modelio import load_model

    v = ws.register(DecisionTreeClassifier(max_depth=3).fit(*numeric_data), "tree")
    assert v.format["trusted_types"] == ["sklearn.tree._tree.Tree"]
    payload = ws.artifacts.get_bytes(v.artifact_sha256)
    forged = {**v.format, "trusted_types": []}
    with pytest.raises(mlops.ArtifactIntegrityError, match="not recorded"):
        load_model(payload, forged)


def test_registering_with_data_baselines_the_version(ws, clf, numeric_data):
    X, y = numeric_data
    ws.register(clf, "churn", data=X, target=y)
    baseline = ws.baseline("churn:1")
    names = [f["name"] for f in baseline.statistics["features"]]
    assert names == list(X.columns)
