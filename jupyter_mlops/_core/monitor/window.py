"""How a monitoring window lines up with a model: its feature columns, the model's problem type,
predictions mapped onto the model's classes, ground truth joined to rows, baseline metrics."""

from __future__ import annotations

import io

from ..errors import InsufficientData, InvalidInput

CAPTURE_META = ("prediction", "inference_id", "event_id", "time", "variant")


def as_labels(values, n: int, what: str):
    import numpy as np

    arr = np.asarray(values)
    if arr.ndim != 1 or len(arr) != n:
        raise InvalidInput(f"{what} has {len(arr) if arr.ndim else 1} values for {n} rows of data.")
    return arr


def to_parquet(df) -> bytes:
    buf = io.BytesIO()
    df.columns = [str(c) for c in df.columns]
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def features_of(window, model, endpoint):
    cols = getattr(model, "feature_names_in_", None)
    if cols is not None:
        missing = [c for c in cols if c not in window.columns]
        if missing:
            raise InvalidInput(f"The data lacks the model's features: {', '.join(map(str, missing))}.")
        return window[list(cols)]
    return window.drop(columns=[c for c in CAPTURE_META if c in window.columns]) if endpoint else window


def problem_type(model, signature: dict | None) -> str:
    if getattr(model, "classes_", None) is not None:
        return "classification"
    kind = ((signature or {}).get("output") or {}).get("kind")
    return "classification" if kind == "classification" else "regression"


def as_class_labels(preds, classes):
    import numpy as np

    # captured predictions come back as JSON numbers or strings: map them onto the model's classes
    cls = np.asarray(classes)
    lookup = {str(c): c for c in classes}
    out = []
    for p in np.asarray(preds, dtype=object):
        key = str(int(p)) if isinstance(p, float) and p.is_integer() else str(p)
        out.append(lookup.get(key, p))
    try:
        return np.asarray(out, dtype=cls.dtype)
    except (TypeError, ValueError):
        return np.asarray(out, dtype=object)


def join_labels(window, ground_truth):
    """(labels, positions of the window rows they belong to, or None for all rows in order).

    Ground truth joins by ``inference_id`` (a DataFrame with that column, or a dict id -> label),
    by index (a Series labelling some of the window's rows), or by position (same length)."""
    import numpy as np
    import pandas as pd

    if isinstance(ground_truth, dict):
        ground_truth = pd.DataFrame({"inference_id": list(ground_truth), "label": list(ground_truth.values())})
    if isinstance(ground_truth, pd.DataFrame) and "inference_id" in ground_truth.columns:
        if "inference_id" not in window.columns:
            raise InvalidInput("The ground truth is keyed by inference_id but the window has no inference ids.",
                               hint="Send InferenceId with requests, or pass labels in window order.")
        label_col = next(c for c in ground_truth.columns if c != "inference_id")
        lookup = dict(zip(ground_truth["inference_id"].astype(str), ground_truth[label_col]))
        ids = window["inference_id"].astype(str).to_numpy()
        keep = np.flatnonzero([i in lookup for i in ids])
        if len(keep) < 2:
            raise InsufficientData(f"Only {len(keep)} of {len(window)} window rows have ground truth (joined by inference_id).")
        return np.asarray([lookup[ids[i]] for i in keep], dtype=object), keep
    if isinstance(ground_truth, pd.DataFrame):
        ground_truth = ground_truth.iloc[:, 0]
    if isinstance(ground_truth, pd.Series) and not ground_truth.index.equals(window.index) \
            and ground_truth.index.isin(window.index).all() and window.index.is_unique:
        # labels for some rows, keyed by the window's index
        keep = window.index.get_indexer(ground_truth.index)
        if len(keep) < 2:
            raise InsufficientData(f"Only {len(keep)} window rows have ground truth (joined by index).")
        order = np.argsort(keep, kind="stable")
        return ground_truth.to_numpy()[order], keep[order]
    labels = np.asarray(ground_truth)
    if len(labels) != len(window):
        raise InvalidInput(f"{len(labels)} labels for {len(window)} window rows.",
                           hint="Join by inference id: pass a DataFrame with columns inference_id and label.")
    return labels, None


METRICS_ROWS = 100_000  # baseline metrics from at most this many rows (a seeded sample)


def model_metrics(model, df, labels, signature) -> dict:
    """The model's metrics on its baseline data (what later windows are compared with)."""
    import numpy as np

    from .modelquality import classification_metrics, regression_metrics

    if len(df) > METRICS_ROWS:
        pos = np.sort(np.random.default_rng(0).choice(len(df), METRICS_ROWS, replace=False))
        df, labels = df.iloc[pos], np.asarray(labels)[pos]
    try:
        X = features_of(df, model, None)
        preds = model.predict(X)
        if problem_type(model, signature) == "classification":
            score = model.predict_proba(X) if hasattr(model, "predict_proba") else None
            return classification_metrics(labels, preds, score, list(getattr(model, "classes_", [])) or None)[0]
        return regression_metrics(labels, preds)
    except Exception:  # a model that cannot score its own baseline data keeps the registered metrics
        return {}
