"""Versioned datasets addressed by content."""

import pandas as pd
import pytest

import jupyter_mlops as mlops


def test_save_load_round_trip_with_dtypes(ws, churn_data):
    X, _ = churn_data
    dv = ws.save_dataset(X, "churn-train")
    assert (dv.name, dv.version, dv.rows, dv.columns) == ("churn-train", 1, len(X), 4)
    back = ws.dataset("churn-train:1")
    pd.testing.assert_frame_equal(back, X)


def test_same_content_is_the_same_version(ws, churn_data):
    X, _ = churn_data
    a = ws.save_dataset(X, "train")
    b = ws.save_dataset(X.copy(), "train")
    c = ws.save_dataset(X.iloc[:10], "train")
    assert a == b and c.version == 2
    assert list(ws.datasets()["version"]) == [1, 2]
    assert ws.dataset("train").shape == (10, 4)


def test_register_links_the_exact_dataset_version(ws, clf, numeric_data):
    X, y = numeric_data
    dv = ws.save_dataset(X, "numeric")
    by_ref = ws.register(clf, "churn", data="numeric:1", target=y)
    by_frame = ws.register(clf, "churn", data=X, target=y)
    assert by_ref.dataset == by_frame.dataset == dv.ref == "numeric:1"
    assert by_ref.lineage["data"]["sha256"] == dv.content_sha256


def test_unknown_dataset_is_a_clear_error(ws, churn_data):
    ws.save_dataset(churn_data[0], "train")
    with pytest.raises(mlops.DatasetNotFound, match="Did you mean: train"):
        ws.dataset("trian")


def test_only_dataframes_with_string_columns(ws):
    with pytest.raises(mlops.InvalidInput):
        ws.save_dataset([[1, 2]], "x")
    with pytest.raises(mlops.InvalidInput, match="strings"):
        ws.save_dataset(pd.DataFrame([[1, 2]]), "x")
