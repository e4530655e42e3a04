"""Model quality: metrics from predictions and ground truth, compared with the baseline's; and,
without labels, CBPE-style estimated performance for binary classifiers.

Thresholds: ``{"accuracy": 0.8, "mae": 3.0}`` are absolute limits (a higher-is-better metric
violates below its limit, an error metric above it). Metrics without a limit are compared with the
baseline value, allowing ``tolerance`` (default 10%) relative degradation.

The report keeps what its charts need, bounded so a saved JSON stays small and re-renders the same
charts: a binary classifier's ROC and precision-recall curves (at most ``MAX_CURVE_POINTS`` points
each, from scikit-learn's curves; the AUC and average precision are computed on the full curves),
and for a regression a sample of (actual, predicted) pairs and the residual histogram over every row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InsufficientData, InvalidInput
from .reports.quality import QualityReport

MAX_CURVE_POINTS = 200
MAX_SCATTER_POINTS = 500
RESIDUAL_BINS = 30

HIGHER_IS_BETTER = {"accuracy": True, "precision": True, "recall": True, "f1": True, "roc_auc": True,
                    "mae": False, "mse": False, "rmse": False, "r2": True}


def classification_metrics(y_true, y_pred, y_score=None, classes=None) -> tuple[dict, dict]:
    """(metrics, confusion matrix {"labels", "matrix"}); binary metrics use the last class as positive."""
    from sklearn import metrics as skm

    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    labels = list(classes) if classes is not None else sorted(set(y_true.tolist()) | set(y_pred.tolist()), key=str)
    binary = len(labels) == 2
    avg = "binary" if binary else "macro"
    kw = {"pos_label": labels[-1]} if binary else {"labels": labels}
    out = {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "precision": float(skm.precision_score(y_true, y_pred, average=avg, zero_division=0, **kw)),
        "recall": float(skm.recall_score(y_true, y_pred, average=avg, zero_division=0, **kw)),
        "f1": float(skm.f1_score(y_true, y_pred, average=avg, zero_division=0, **kw)),
    }
    if y_score is not None and len(set(y_true.tolist())) > 1:
        score = np.asarray(y_score, dtype=float)
        if binary:
            score = score[:, -1] if score.ndim == 2 else score
            out["roc_auc"] = float(skm.roc_auc_score(y_true == labels[-1], score))
        elif score.ndim == 2 and score.shape[1] == len(labels) and set(y_true.tolist()) == set(labels):
            out["roc_auc"] = float(skm.roc_auc_score(y_true, score, multi_class="ovr", labels=labels))
    cm = skm.confusion_matrix(y_true, y_pred, labels=labels)
    return out, {"labels": [_plain(v) for v in labels], "matrix": cm.tolist()}


def regression_metrics(y_true, y_pred) -> dict:
    from sklearn import metrics as skm

    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    mse = float(skm.mean_squared_error(y_true, y_pred))
    return {"mae": float(skm.mean_absolute_error(y_true, y_pred)), "mse": mse, "rmse": float(np.sqrt(mse)),
            "r2": float(skm.r2_score(y_true, y_pred)) if len(y_true) > 1 else float("nan")}


def _thin(*arrays: np.ndarray, limit: int = MAX_CURVE_POINTS) -> list[list[float]]:
    """Evenly spaced points of curves (the first and last kept), as JSON-ready lists."""
    n = len(arrays[0])
    keep = np.unique(np.linspace(0, n - 1, min(n, limit)).round().astype(int)) if n else np.zeros(0, dtype=int)
    return [np.asarray(a, dtype=float)[keep].tolist() for a in arrays]


def binary_curves(y_true, y_score, positive) -> dict | None:
    """ROC and precision-recall curves of a binary classifier, or None if the window holds one class."""
    from sklearn import metrics as skm

    hit = np.asarray(y_true) == positive
    if hit.all() or not hit.any():
        return None
    score = np.asarray(y_score, dtype=float)
    score = score[:, -1] if score.ndim == 2 else score
    fpr, tpr, _ = skm.roc_curve(hit, score)
    precision, recall, _ = skm.precision_recall_curve(hit, score)
    fpr_l, tpr_l = _thin(fpr, tpr)
    recall_l, precision_l = _thin(recall[::-1], precision[::-1])  # recall ascending, for a step plot
    return {
        "positive": _plain(positive),
        "roc": {"fpr": fpr_l, "tpr": tpr_l, "auc": float(skm.roc_auc_score(hit, score))},
        "pr": {"recall": recall_l, "precision": precision_l,
               "average_precision": float(skm.average_precision_score(hit, score)), "prevalence": float(hit.mean())},
    }


def regression_points(y_true, y_pred, seed: int = 0) -> dict:
    """A sample of (actual, predicted) pairs for a scatter and the histogram of every residual."""
    a = np.asarray(y_true, dtype=float)
    p = np.asarray(y_pred, dtype=float)
    ok = np.isfinite(a) & np.isfinite(p)
    a, p = a[ok], p[ok]
    pick = np.sort(np.random.default_rng(seed).choice(a.size, MAX_SCATTER_POINTS, replace=False)) \
        if a.size > MAX_SCATTER_POINTS else np.arange(a.size)
    counts, edges = np.histogram(p - a, bins=RESIDUAL_BINS)
    return {"scatter": {"actual": a[pick].tolist(), "predicted": p[pick].tolist(), "n": int(a.size)},
            "residuals": {"edges": edges.tolist(), "counts": counts.tolist()}}


def compare(metrics: dict, baseline: dict | None, thresholds: dict | None, tolerance: float = 0.1) -> list[dict]:
    """Violations: metric name, value, limit, and why."""
    out = []
    for name, value in metrics.items():
        if name not in HIGHER_IS_BETTER or value is None or np.isnan(value):
            continue
        higher = HIGHER_IS_BETTER[name]
        if thresholds and name in thresholds:
            limit, source = float(thresholds[name]), "threshold"
        elif baseline and baseline.get(name) is not None:
            b = float(baseline[name])
            limit = b - abs(b) * tolerance if higher else b + abs(b) * tolerance
            source = f"baseline {b:.4g} {'-' if higher else '+'} {tolerance:.0%}"
        else:
            continue
        if (value < limit) if higher else (value > limit):
            out.append({"metric": name, "value": float(value), "limit": limit, "source": source,
                        "description": f"{name} {value:.4g} is {'below' if higher else 'above'} {limit:.4g} ({source})."})
    return out


def evaluate_quality(
    y_true, y_pred, *, kind: str, y_score=None, classes=None, baseline: dict | None = None,
    thresholds: dict | None = None, tolerance: float = 0.1, target: str = "", n_window: int | None = None,
) -> QualityReport:
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if len(y_true) != len(y_pred):
        raise InvalidInput(f"{len(y_true)} labels but {len(y_pred)} predictions.")
    if len(y_true) < 2:
        raise InsufficientData(f"Model quality needs at least 2 labelled predictions; got {len(y_true)}.",
                               hint="Send more ground truth, or widen the window.")
    confusion = curves = None
    if kind == "classification":
        metrics, confusion = classification_metrics(y_true, y_pred, y_score, classes)
        if y_score is not None and len(confusion["labels"]) == 2:
            curves = binary_curves(y_true, y_score, confusion["labels"][-1])
    elif kind == "regression":
        metrics = regression_metrics(y_true, y_pred)
        curves = regression_points(y_true, y_pred)
    else:
        raise InvalidInput(f"Unknown problem type {kind!r}: use 'classification' or 'regression'.")
    base = {k: v for k, v in (baseline or {}).items() if k in HIGHER_IS_BETTER}
    return QualityReport(target=target, problem_type=kind, n=int(len(y_true)), n_window=n_window or int(len(y_true)),
                         metrics=metrics, baseline=base, violations=compare(metrics, base, thresholds, tolerance),
                         confusion=confusion, curves=curves, estimated=False)


def cbpe(proba, threshold: float = 0.5, reference_proba=None, reference_labels=None) -> dict:
    """Expected binary-classification metrics from positive-class probabilities (NannyML's CBPE).

    If ``reference_proba`` and ``reference_labels`` are given, the probabilities are first
    calibrated with isotonic regression fitted on the reference; CBPE is only as good as the
    calibration, and it assumes no concept drift (P(y | x) unchanged).
    """
    p = np.asarray(proba, dtype=float)
    if p.ndim == 2:
        p = p[:, -1]
    if p.size < 2:
        raise InsufficientData(f"Estimating performance needs at least 2 predictions; got {p.size}.")
    pred = p >= threshold  # what the model predicts: from its own scores, before calibration
    if reference_proba is not None and reference_labels is not None:
        from sklearn.isotonic import IsotonicRegression

        rp = np.asarray(reference_proba, dtype=float)
        rp = rp[:, -1] if rp.ndim == 2 else rp
        iso = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(rp, np.asarray(reference_labels).astype(float))
        p = iso.predict(p)
    tp = float(p[pred].sum())
    fp = float((1 - p[pred]).sum())
    fn = float(p[~pred].sum())
    tn = float((1 - p[~pred]).sum())
    n = p.size
    out = {
        "accuracy": (tp + tn) / n,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0,
    }
    # expected ROC: rank by score, expected positives/negatives accumulate as p and 1 - p
    order = np.argsort(-p, kind="stable")
    ps = p[order]
    pos, neg = ps.sum(), (1 - ps).sum()
    if pos > 0 and neg > 0:
        tpr = np.concatenate([[0.0], np.cumsum(ps) / pos])
        fpr = np.concatenate([[0.0], np.cumsum(1 - ps) / neg])
        out["roc_auc"] = float(np.trapezoid(tpr, fpr))
    return out, {"labels": [0, 1], "matrix": [[tn, fp], [fn, tp]]}


def estimate_quality(proba, *, baseline: dict | None = None, thresholds: dict | None = None, tolerance: float = 0.1,
                     threshold: float = 0.5, reference_proba=None, reference_labels=None, target: str = "") -> QualityReport:
    metrics, confusion = cbpe(proba, threshold, reference_proba, reference_labels)
    base = {k: v for k, v in (baseline or {}).items() if k in metrics}
    n = int(np.asarray(proba).shape[0])
    return QualityReport(target=target, problem_type="classification", n=n, n_window=n, metrics=metrics, baseline=base,
                         violations=compare(metrics, base, thresholds, tolerance), confusion=confusion, estimated=True)


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v
