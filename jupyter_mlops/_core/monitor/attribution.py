"""Feature attribution drift: mean |SHAP| per feature on baseline and current data, and the NDCG of
the current attribution ranking scored with the baseline's attributions, as SageMaker Clarify does.

Explainer by model: ``shap.TreeExplainer`` for tree ensembles, ``shap.LinearExplainer`` for linear
models, otherwise a permutation explainer over a small background sample (50 rows), explaining at
most ``max_rows`` sampled rows. For classifiers the positive class (binary) or the mean over
classes (multiclass) is used.

NDCG = DCG / iDCG with DCG = sum_i F(x_i) / log2(i + 1), x_i the i-th feature of the current
ranking, F the baseline attribution; iDCG the same sum in the baseline's own order. Clarify flags
attribution drift when NDCG < 0.9.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InsufficientData, InvalidInput, MonitorError
from .columns import as_frame
from .reports.attribution import AttributionReport

NDCG_THRESHOLD = 0.9
BACKGROUND_ROWS = 50
MAX_ROWS = 500
PERMUTATION_BACKGROUND = 20
PERMUTATION_ROWS = 100


def ndcg(baseline: dict[str, float], current: dict[str, float]) -> float:
    features = [f for f in baseline if f in current]
    if not features:
        raise InvalidInput("The baseline and current attributions have no feature in common.")
    rel = np.array([baseline[f] for f in features], dtype=float)
    cur = np.array([current[f] for f in features], dtype=float)
    discounts = 1.0 / np.log2(np.arange(2, len(features) + 2))
    dcg = float(np.sum(rel[np.argsort(-cur, kind="stable")] * discounts))
    idcg = float(np.sum(np.sort(rel)[::-1] * discounts))
    return dcg / idcg if idcg > 0 else 1.0


def _is_tree(model) -> bool:
    name = type(model).__name__
    return any(k in name for k in ("Forest", "Tree", "GradientBoosting", "XGB", "LGBM", "CatBoost"))


def _is_linear(model) -> bool:
    return type(model).__module__.startswith("sklearn.linear_model") and hasattr(model, "coef_")


def explainer_for(model, background):
    """(name, function rows -> SHAP array) for ``model``."""
    import shap

    if _is_tree(model):
        try:
            ex = shap.TreeExplainer(model)
            return "tree", lambda X: ex.shap_values(X, check_additivity=False)
        except Exception:  # e.g. a tree model shap does not know: fall through
            pass
    if _is_linear(model):
        ex = shap.LinearExplainer(model, background)
        return "linear", lambda X: ex.shap_values(X)
    if hasattr(model, "predict_proba"):
        classes = getattr(model, "classes_", None)
        if classes is not None and len(classes) == 2:
            f = lambda X: model.predict_proba(_like(X, background))[:, 1]  # noqa: E731
        else:
            f = lambda X: model.predict_proba(_like(X, background))  # noqa: E731
    else:
        f = lambda X: model.predict(_like(X, background))  # noqa: E731
    # model-agnostic and so costly: a smaller background, fewer rows and one antithetic permutation
    # per row (2 * features + 1 evaluations), which keeps a slow model (kNN, SVC) in seconds
    background = background.iloc[:PERMUTATION_BACKGROUND] if hasattr(background, "iloc") else background[:PERMUTATION_BACKGROUND]
    masker = shap.maskers.Independent(background, max_samples=len(background))
    ex = shap.explainers.Permutation(f, masker, seed=0)
    evals = 2 * np.shape(background)[1] + 1
    return "permutation", lambda X: ex(_sample(X, PERMUTATION_ROWS, 0), max_evals=evals, silent=True).values


def _like(X, background):
    import pandas as pd

    if isinstance(background, pd.DataFrame) and not isinstance(X, pd.DataFrame):
        return pd.DataFrame(X, columns=background.columns)
    return X


def _mean_abs(values) -> np.ndarray:
    v = np.asarray(values if not isinstance(values, list) else np.stack(values, axis=-1), dtype=float)
    if v.ndim == 3:  # (rows, features, classes)
        v = v[:, :, 1] if v.shape[2] == 2 else np.abs(v).mean(axis=2)
    return np.abs(v).mean(axis=0)


def _sample(df, n: int, seed: int):
    return df if len(df) <= n else df.sample(n=n, random_state=seed)


def mean_abs_shap(model, data, background, max_rows: int = MAX_ROWS, seed: int = 0) -> tuple[str, dict[str, float]]:
    name, explain = explainer_for(model, background)
    X = _sample(data, max_rows, seed)
    try:
        values = explain(X)
    except Exception as exc:
        raise MonitorError(f"SHAP could not explain this model ({type(model).__name__}): {exc}") from exc
    return name, {str(c): float(v) for c, v in zip(data.columns, _mean_abs(values))}


def explained_rows(model, n: int, max_rows: int = MAX_ROWS) -> int:
    rows = min(n, max_rows)
    return rows if _is_tree(model) or _is_linear(model) else min(rows, PERMUTATION_ROWS)


def attribution_drift(
    model, baseline_data: Any, current_data: Any, *, baseline_attributions: dict | None = None,
    threshold: float = NDCG_THRESHOLD, max_rows: int = MAX_ROWS, seed: int = 0, target: str = "",
) -> AttributionReport:
    cur = as_frame(current_data, "current data")
    if len(cur) < 2:
        raise InsufficientData(f"Attribution drift needs at least 2 current rows; got {len(cur)}.")
    base = as_frame(baseline_data, "baseline data") if baseline_data is not None else None
    features = list(getattr(model, "feature_names_in_", None) if getattr(model, "feature_names_in_", None) is not None else (base if base is not None else cur).columns)
    features = [str(f) for f in features]
    missing = [f for f in features if f not in cur.columns]
    if missing:
        raise InvalidInput(f"The current data lacks the model's features: {', '.join(missing)}.")
    cur = cur[features]
    if base is None:
        raise InvalidInput("No baseline data for attributions.", hint="Pass baseline data or make a baseline with data first.")
    base = base[features]
    background = _sample(base, BACKGROUND_ROWS, seed)
    if baseline_attributions is None:
        explainer, baseline_attributions = mean_abs_shap(model, base, background, max_rows, seed)
    else:
        explainer = None
    name, current = mean_abs_shap(model, cur, background, max_rows, seed)
    score = ndcg(baseline_attributions, current)
    return AttributionReport(target=target, explainer=explainer or name, baseline=baseline_attributions, current=current,
                             ndcg=score, threshold=threshold, drifted=bool(score < threshold),
                             n_baseline=explained_rows(model, len(base), max_rows), n_current=explained_rows(model, len(cur), max_rows))
