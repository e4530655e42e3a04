"""Model quality with ground truth against the baseline; CBPE estimates without labels."""

import numpy as np
import pytest
from sklearn import metrics as skm

from jupyter_mlops._core.errors import InsufficientData
from jupyter_mlops._core.monitor.modelquality import cbpe, estimate_quality, evaluate_quality

rng = np.random.default_rng(11)


def test_classification_metrics_equal_sklearns():
    y = rng.integers(0, 2, 400)
    score = np.clip(0.5 * y + rng.uniform(0, 0.6, 400), 0, 1)
    pred = (score > 0.5).astype(int)
    rep = evaluate_quality(y, pred, kind="classification", y_score=score, classes=[0, 1])
    assert rep.metrics == pytest.approx({
        "accuracy": skm.accuracy_score(y, pred), "precision": skm.precision_score(y, pred),
        "recall": skm.recall_score(y, pred), "f1": skm.f1_score(y, pred), "roc_auc": skm.roc_auc_score(y, score)})
    assert rep.confusion == {"labels": [0, 1], "matrix": skm.confusion_matrix(y, pred).tolist()}
    assert rep.estimated is False and rep.status() == "ok"


def test_multiclass_uses_macro_averages():
    y = rng.choice(["a", "b", "c"], 300)
    pred = np.where(rng.uniform(size=300) < 0.7, y, "a")
    rep = evaluate_quality(y, pred, kind="classification", classes=["a", "b", "c"])
    assert rep.metrics["f1"] == pytest.approx(skm.f1_score(y, pred, average="macro"))


def test_regression_metrics_equal_sklearns():
    y = rng.normal(size=200)
    pred = y + rng.normal(0, 0.3, 200)
    rep = evaluate_quality(y, pred, kind="regression")
    assert rep.metrics == pytest.approx({"mae": skm.mean_absolute_error(y, pred), "mse": skm.mean_squared_error(y, pred),
                                         "rmse": np.sqrt(skm.mean_squared_error(y, pred)), "r2": skm.r2_score(y, pred)})


def test_degradation_against_baseline_and_absolute_thresholds():
    y = rng.integers(0, 2, 500)
    pred = np.where(rng.uniform(size=500) < 0.75, y, 1 - y)  # ~75% accurate
    rep = evaluate_quality(y, pred, kind="classification", classes=[0, 1], baseline={"accuracy": 0.95, "f1": 0.7})
    assert [v["metric"] for v in rep.violations] == ["accuracy"]  # 0.75 < 0.95 - 10%; f1 within 10% of 0.7
    assert rep.status() == "alert" and "below" in rep.violations[0]["description"]
    rep = evaluate_quality(y, pred, kind="classification", classes=[0, 1], thresholds={"recall": 0.9})
    assert [v["metric"] for v in rep.violations] == ["recall"]
    reg = evaluate_quality(np.zeros(10), np.full(10, 2.0), kind="regression", thresholds={"mae": 1.0})
    assert reg.violations[0]["metric"] == "mae" and "above" in reg.violations[0]["description"]


def test_too_few_labels_is_a_clear_error():
    with pytest.raises(InsufficientData, match="at least 2 labelled predictions"):
        evaluate_quality([1], [1], kind="classification")


def test_cbpe_estimates_the_realised_performance_of_calibrated_probabilities():
    p = rng.beta(2, 3, 50_000)
    y = (rng.uniform(size=p.size) < p).astype(int)  # labels drawn from the probabilities: calibrated
    pred = (p >= 0.5).astype(int)
    est, cm = cbpe(p)
    assert est["accuracy"] == pytest.approx(skm.accuracy_score(y, pred), abs=0.01)
    assert est["precision"] == pytest.approx(skm.precision_score(y, pred), abs=0.01)
    assert est["recall"] == pytest.approx(skm.recall_score(y, pred), abs=0.01)
    assert est["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p), abs=0.01)
    assert sum(map(sum, cm["matrix"])) == pytest.approx(p.size)


def test_cbpe_calibrates_on_the_reference_first():
    p = rng.beta(2, 3, 40_000)
    y = (rng.uniform(size=p.size) < p).astype(int)
    overconfident = np.clip(p * 1.6, 0, 1)
    raw, _ = cbpe(overconfident[20_000:])
    calibrated, _ = cbpe(overconfident[20_000:], reference_proba=overconfident[:20_000], reference_labels=y[:20_000])
    truth = skm.accuracy_score(y[20_000:], overconfident[20_000:] >= 0.5)
    assert abs(calibrated["accuracy"] - truth) < abs(raw["accuracy"] - truth)
    assert calibrated["accuracy"] == pytest.approx(truth, abs=0.015)


def test_an_estimate_says_it_is_one():
    rep = estimate_quality(rng.uniform(size=100), baseline={"accuracy": 0.9})
    assert rep.estimated and "Estimated (CBPE" in rep.summary() and "estimated" in rep.title
    assert "expected counts" in rep._repr_html_()
