"""Drift per feature and for the dataset: the auto rule, thresholds, edge cases, profiles, dask."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from jupyter_mlops._core.errors import InsufficientData, InvalidInput
from jupyter_mlops._core.monitor.drift import auto_method, compute_drift
from jupyter_mlops._core.monitor.profile import ReferenceProfile


def test_auto_picks_ks_and_chi2_for_small_references_and_wasserstein_js_for_large(reference, shifted):
    small = compute_drift(reference.head(800), shifted.head(800))
    assert {c.column: c.method for c in small.columns} == {
        "age": "ks", "income": "ks", "tenure": "ks", "plan": "chi2", "active": "chi2"}
    large = compute_drift(reference, shifted)
    assert {c.column: c.method for c in large.columns} == {
        "age": "wasserstein", "income": "wasserstein", "tenure": "wasserstein", "plan": "jensenshannon",
        "active": "jensenshannon"}


def test_low_cardinality_numeric_columns_are_compared_as_categories():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"stars": rng.integers(1, 6, 2000)})
    cur = pd.DataFrame({"stars": rng.integers(1, 6, 2000)})
    profile = ReferenceProfile.from_frame(ref)
    assert profile.columns["stars"].stats().n_unique == 5
    assert auto_method(profile.columns["stars"]) == "jensenshannon"
    col = compute_drift(ref, cur)["stars"]
    assert col.chart["type"] == "bar" and col.chart["categories"][0] in {"1", "2", "3", "4", "5"}


def test_shifted_data_drifts_and_same_distribution_does_not(reference, same_distribution, shifted):
    calm = compute_drift(reference, same_distribution)
    assert calm.dataset_drift is False and calm.n_drifted == 0 and calm.status() == "ok"
    moved = compute_drift(reference, shifted)
    assert moved.dataset_drift is True
    assert set(moved.drifted_columns) >= {"age", "income", "plan"}
    assert moved["plan"].new_categories == ["enterprise"]
    assert moved.share_drifted == pytest.approx(moved.n_drifted / 5)


def test_values_in_the_report_are_the_stattests_values(reference, shifted):
    rep = compute_drift(reference, shifted, method="ks")
    for name in ("age", "income", "tenure"):
        expected = stats.ks_2samp(reference[name], shifted[name])
        assert rep[name].statistic == pytest.approx(expected.statistic, abs=1e-9)
        assert rep[name].p_value == pytest.approx(expected.pvalue, abs=1e-9)


def test_per_feature_methods_and_thresholds(reference, shifted):
    rep = compute_drift(reference, shifted, method={"income": "psi", "plan": "chi2"},
                        threshold={"income": 10.0, "age": 5.0})
    assert rep["income"].method == "psi" and rep["income"].threshold == 10.0 and rep["income"].drifted is False
    assert rep["plan"].method == "chi2" and rep["plan"].threshold == 0.05
    assert rep["age"].method == "wasserstein" and rep["age"].drifted is False  # W1 / std < 5
    assert rep["tenure"].threshold == 0.1  # the test's default


def test_dataset_verdict_follows_the_drift_share(reference, shifted):
    rep = compute_drift(reference, shifted, drift_share=1.0)
    assert rep.dataset_drift is (rep.n_drifted == 5)
    with pytest.raises(InvalidInput, match="drift_share"):
        compute_drift(reference, shifted, drift_share=0)


@pytest.mark.parametrize("rows", [0, 1])
def test_an_empty_or_one_row_window_is_a_clear_error(reference, rows):
    with pytest.raises(InsufficientData, match=f"current data has {rows} row.*at least 2"):
        compute_drift(reference, reference.head(rows))


def test_a_column_without_values_is_reported_not_tested(reference):
    cur = reference.head(100).copy()
    cur["income"] = np.nan
    rep = compute_drift(reference, cur)
    assert rep["income"].drifted is None and "no non-missing values" in rep["income"].note
    assert rep["income"].missing_current == 100


def test_a_numeric_feature_arriving_as_text_is_coerced_and_missing_counted(reference):
    cur = reference.head(500).copy()
    cur["age"] = cur["age"].astype(str)
    cur.loc[:9, "age"] = "unknown"
    rep = compute_drift(reference, cur)
    assert rep["age"].kind == "numeric" and rep["age"].missing_current == 10 and rep["age"].n_current == 490


def test_categorical_column_with_a_numeric_only_test_is_refused(reference, shifted):
    with pytest.raises(InvalidInput, match="'plan' is categorical"):
        compute_drift(reference, shifted, method={"plan": "ks"})
    with pytest.raises(InvalidInput, match="Unknown drift method"):
        compute_drift(reference, shifted, method="energy")


def test_a_stored_profile_gives_the_same_report_as_the_dataframe(reference, shifted):
    profile = ReferenceProfile.from_bytes(ReferenceProfile.from_frame(reference).to_bytes())
    a = compute_drift(reference, shifted).to_frame()
    b = compute_drift(profile, shifted).to_frame()
    pd.testing.assert_frame_equal(a, b)


def test_dask_distributed_gives_the_same_numbers(reference, shifted):
    distributed = pytest.importorskip("distributed")
    with distributed.Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as client:
        on_dask = compute_drift(reference, shifted, client=client).to_frame()
    local = compute_drift(reference, shifted).to_frame()
    pd.testing.assert_frame_equal(on_dask, local)


def test_report_summary_table_json_and_standalone_html(reference, shifted, tmp_path):
    rep = compute_drift(reference, shifted)
    assert rep.summary().startswith("Dataset drift detected: ")
    frame = rep.to_frame()
    assert list(frame.columns[:6]) == ["kind", "method", "statistic", "p_value", "threshold", "drifted"]
    d = json.loads(rep.to_json())
    assert d["report"] == "DriftReport" and d["status"] == "alert" and len(d["columns"]) == 5
    html = rep._repr_html_()
    # every tested feature: a distribution chart (5 < top_n, so all open) and a table sparkline
    assert rep.summary().split(":")[0] in html and html.count("<svg") == 2 * 5 and "<details" not in html
    path = rep.save(tmp_path / "drift")
    assert path.suffix == ".html" and path.read_text().startswith("<!DOCTYPE html>")
    assert json.loads(path.with_suffix(".json").read_text())["n_drifted"] == rep.n_drifted


def test_charts_are_drawn_only_when_displayed():
    code = """
import sys, numpy as np, pandas as pd
from jupyter_mlops._core.monitor.drift import compute_drift
rng = np.random.default_rng(0)
rep = compute_drift(pd.DataFrame({"x": rng.normal(size=500)}), pd.DataFrame({"x": rng.normal(2, size=500)}))
assert "matplotlib" not in sys.modules, "matplotlib imported at compute time"
html = rep._repr_html_()
assert "matplotlib" in sys.modules and "<svg" in html
"""
    subprocess.run([sys.executable, "-c", code], check=True)
