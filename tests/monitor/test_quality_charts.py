"""The quality report's charts: ROC and precision-recall curves and a confusion matrix for
classifiers, predicted vs actual and residuals for regressions; their numbers are scikit-learn's,
and the points are kept (bounded) so a report read back from JSON draws the same charts."""

import json
import re

import numpy as np
import pytest
from sklearn import metrics as skm

from jupyter_mlops._core.monitor.modelquality import (MAX_CURVE_POINTS, MAX_SCATTER_POINTS, estimate_quality,
                                                      evaluate_quality)
from jupyter_mlops._core.monitor.reports.quality import QualityReport


def binary(n=5000, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.choice(["stay", "churn"], n, p=[0.7, 0.3])
    p_churn = np.clip(0.35 * (y == "churn") + rng.uniform(0, 0.65, n), 0, 1)
    pred = np.where(p_churn > 0.5, "churn", "stay")
    return y, pred, np.c_[1 - p_churn, p_churn]


def chart_titles(html: str) -> list[str]:
    return re.findall(r"<!-- ((?:ROC|Precision-recall|Confusion|Predicted|Residuals)[^>]*?) -->", html)


def test_binary_report_has_roc_and_pr_curves_with_sklearns_auc_and_average_precision():
    y, pred, proba = binary()
    rep = evaluate_quality(y, pred, kind="classification", y_score=proba, classes=["stay", "churn"])
    positive = y == "churn"
    assert rep.curves["positive"] == "churn"
    assert rep.curves["roc"]["auc"] == pytest.approx(skm.roc_auc_score(positive, proba[:, 1]))
    assert rep.curves["roc"]["auc"] == rep.metrics["roc_auc"]
    assert rep.curves["pr"]["average_precision"] == pytest.approx(skm.average_precision_score(positive, proba[:, 1]))
    assert rep.curves["pr"]["prevalence"] == pytest.approx(positive.mean())
    fpr, tpr = rep.curves["roc"]["fpr"], rep.curves["roc"]["tpr"]
    assert len(fpr) <= MAX_CURVE_POINTS and (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert fpr == sorted(fpr) and rep.curves["pr"]["recall"] == sorted(rep.curves["pr"]["recall"])
    titles = chart_titles(rep._repr_html_())
    assert titles == ["ROC curve (positive: churn)", "Precision-recall (positive: churn)", "Confusion matrix"]


def test_confusion_matrix_chart_shows_sklearns_counts_and_row_rates():
    y, pred, proba = binary(800, seed=1)
    rep = evaluate_quality(y, pred, kind="classification", y_score=proba, classes=["stay", "churn"])
    cm = skm.confusion_matrix(y, pred, labels=["stay", "churn"])
    assert rep.confusion["matrix"] == cm.tolist()
    html = rep._repr_html_()
    rates = cm / cm.sum(axis=1, keepdims=True)
    for i in range(2):
        for j in range(2):  # each cell reads "count" then "rate" (written as SVG comments)
            assert f"<!-- {cm[i, j]:,} -->" in html and f"<!-- {rates[i, j]:.0%} -->" in html


def test_multiclass_gets_a_confusion_matrix_and_no_binary_curves():
    rng = np.random.default_rng(2)
    y = rng.choice(["a", "b", "c"], 300)
    pred = np.where(rng.uniform(size=300) < 0.7, y, "a")
    rep = evaluate_quality(y, pred, kind="classification", classes=["a", "b", "c"])
    assert rep.curves is None
    assert rep.confusion["matrix"] == skm.confusion_matrix(y, pred, labels=["a", "b", "c"]).tolist()
    assert chart_titles(rep._repr_html_()) == ["Confusion matrix"]


def test_regression_gets_a_subsampled_scatter_and_a_histogram_of_every_residual():
    rng = np.random.default_rng(3)
    y = rng.normal(size=4000)
    pred = y + rng.normal(0, 0.3, 4000)
    rep = evaluate_quality(y, pred, kind="regression")
    scatter = rep.curves["scatter"]
    assert len(scatter["actual"]) == len(scatter["predicted"]) == MAX_SCATTER_POINTS and scatter["n"] == 4000
    assert set(zip(scatter["actual"], scatter["predicted"])) <= set(zip(y.tolist(), pred.tolist()))
    counts, edges = np.histogram(pred - y, bins=len(rep.curves["residuals"]["counts"]))
    assert rep.curves["residuals"]["counts"] == counts.tolist() and sum(counts) == 4000
    assert chart_titles(rep._repr_html_()) == [f"Predicted vs actual ({MAX_SCATTER_POINTS} of 4,000)",
                                               "Residuals (predicted − actual)"]


@pytest.mark.parametrize("kind", ["binary", "regression"])
def test_a_saved_report_redraws_the_same_charts_from_its_json(kind, tmp_path):
    if kind == "binary":
        y, pred, proba = binary(1000, seed=4)
        rep = evaluate_quality(y, pred, kind="classification", y_score=proba, classes=["stay", "churn"])
    else:
        y = np.arange(50.0)
        rep = evaluate_quality(y, y + 1, kind="regression")
    path = rep.save(tmp_path / "quality")
    again = QualityReport.from_dict(json.loads(path.with_suffix(".json").read_text()))
    assert again.curves == rep.curves and again.confusion == rep.confusion
    assert chart_titles(again._repr_html_()) == chart_titles(rep._repr_html_()) != []


def test_an_estimate_draws_its_expected_confusion_matrix_only():
    rng = np.random.default_rng(5)
    rep = estimate_quality(rng.uniform(size=200))
    assert rep.curves is None and chart_titles(rep._repr_html_()) == ["Confusion matrix (expected)"]
