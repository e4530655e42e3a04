"""Results are references: the version a verb returned can be passed wherever a reference is taken,
and it means exactly that version, never "the latest" (issue 11, point 2)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import jupyter_mlops as mlops


@pytest.fixture
def two_versions(ws, clf, numeric_data):
    X, y = numeric_data
    first = ws.register(clf, "churn", data=X, target=y, metrics={"auc": 0.90})
    second = ws.register(clf, "churn", data=X, target=y, metrics={"auc": 0.92})
    return first, second


def test_a_version_reads_as_its_exact_reference(two_versions):
    first, second = two_versions
    assert str(first) == "churn:1" and f"{second}" == "churn:2"


def test_every_registry_verb_takes_the_version_a_verb_returned(ws, two_versions, numeric_data):
    first, second = two_versions
    assert ws.get(first).version == 1
    assert (ws.load(first).predict(numeric_data[0]) == ws.load("churn:1").predict(numeric_data[0])).all()
    assert ws.approve(first, comment="ok").approval == "Approved"
    assert ws.get("churn:2").approval != "Approved"  # the latest was left alone
    assert ws.reject(second).approval == "Rejected"
    assert ws.promote(first, "production").aliases == ("production",)
    assert ws.diff(first, second).loc["metric.auc", "changed"]
    assert ws.archive(second).status == "archived"


def test_a_stale_object_still_names_its_own_version_after_newer_ones(ws, clf, two_versions):
    first, _ = two_versions
    ws.register(clf, "churn")
    assert ws.approve(first).version == 1
    assert ws.get("churn:3").approval == "PendingManualApproval"


def test_monitoring_verbs_take_a_version(ws, two_versions, numeric_data):
    first, _ = two_versions
    X, _ = numeric_data
    assert ws.baseline(first).ref == "churn:1"
    report = ws.check(first, data=X)
    assert report.ref == "churn:1" and report.target == "churn:1"
    assert ws.drift(first, X).to_frame().shape[0] == X.shape[1]


def test_batch_takes_a_version(ws, two_versions, numeric_data, tmp_path):
    first, _ = two_versions
    numeric_data[0].to_csv(tmp_path / "in.csv", index=False)
    job = ws.batch(first, str(tmp_path / "in.csv"), str(tmp_path / "out.csv"))
    assert job.ref == "churn:1"
    assert "prediction" in pd.read_csv(tmp_path / "out.csv").columns


@pytest.mark.parametrize("verb", [
    lambda ws, v: ws.reproduce(v),
    lambda ws, v: ws.replay(v, "no-such-endpoint"),
])
def test_verbs_of_other_parts_resolve_a_version_as_they_resolve_its_text(ws, two_versions, verb):
    first, _ = two_versions
    with pytest.raises(mlops.MlopsError) as by_text:
        verb(ws, "churn:1")
    with pytest.raises(mlops.MlopsError) as by_object:
        verb(ws, first)
    assert type(by_object.value) is type(by_text.value) and str(by_object.value) == str(by_text.value)


def test_a_dataset_version_is_a_dataset_reference(ws, clf, numeric_data):
    X, y = numeric_data
    train = ws.save_dataset(X, "churn-train")
    pd.testing.assert_frame_equal(ws.dataset(train), X)
    v = ws.register(clf, "churn", data=train)
    assert v.dataset == "churn-train:1"
    assert ws.drift(train, X).to_frame().shape[0] == X.shape[1]


def test_a_version_of_the_wrong_kind_is_refused_naming_both(ws, clf, numeric_data):
    train = ws.save_dataset(numeric_data[0], "churn-train")
    model = ws.register(clf, "churn")
    with pytest.raises(mlops.InvalidName, match="churn-train:1 is a dataset version; a model reference is wanted"):
        ws.approve(train)
    with pytest.raises(mlops.InvalidName, match="churn:1 is a model version; a dataset reference is wanted"):
        ws.dataset(model)


# -- in the magics ------------------------------------------------------------------------------

@pytest.fixture
def ip(shell, ws, clf):
    shell.user_ns.update(clf=clf)
    return shell


def test_dollar_v_in_a_magic_line_approves_that_version(ip, ws, clf):
    ip.run_cell("v = %mlops register clf --name churn")
    ws.register(clf, "churn")  # a newer version: $v must not mean the latest
    ip.run_cell("approved = %mlops approve $v")
    assert ip.user_ns["approved"].version == 1
    assert ws.get("churn:1").approval == "Approved" and ws.get("churn:2").approval != "Approved"


def test_a_variable_holding_a_version_names_that_version_in_a_magic(ip, ws, clf):
    ip.run_cell("v = %mlops register clf --name churn")
    ws.register(clf, "churn")
    assert ip.run_line_magic("mlops", "promote v --to production").version == 1
    assert list(ip.run_line_magic("mlops", "diff v churn:2").columns[:2]) == ["churn:1", "churn:2"]


def test_a_model_name_that_is_not_such_a_variable_stays_a_reference(ip, ws, clf):
    ws.register(clf, "churn")
    ip.user_ns["churn"] = "not a version"
    assert ip.run_line_magic("mlops", "show churn").version == 1


# -- view defaults (issue 11, point 7) ---------------------------------------------------------

def test_deploy_without_an_endpoint_names_it_after_the_model(ws, two_versions):
    first, _ = two_versions
    # a shadow needs a running endpoint: the refusal names the endpoint the default chose, and
    # nothing was started
    with pytest.raises(mlops.Conflict, match="Endpoint 'churn' is not running"):
        ws.deploy(first, strategy="shadow", percent=5)
    ws.promote(first, "production")
    with pytest.raises(mlops.Conflict, match="Endpoint 'churn' is not running"):
        ws.deploy("churn@production", strategy="shadow", percent=5)


def test_versions_without_a_name_lists_every_models_versions(ws, clf, two_versions):
    ws.register(clf, "fraud", metrics={"auc": 0.8})
    every = ws.versions()
    assert list(zip(every["model"], every.index)) == [("churn", 1), ("churn", 2), ("fraud", 1)]
    assert list(every["auc"]) == [0.90, 0.92, 0.8]
    assert "model" not in ws.versions("churn").columns


def test_a_version_given_as_a_notebook_parameter_is_passed_as_its_exact_reference(ws, two_versions):
    from jupyter_mlops._core.pipelines.parameters import check_parameters, read_notebook

    first, _ = two_versions
    step = read_notebook(Path(__file__).resolve().parents[1] / "notebooks" / "retrain_incremental.ipynb")
    assert check_parameters({"start_from": first}, [step]) == {"start_from": "churn:1"}
