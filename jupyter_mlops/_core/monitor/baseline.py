"""Baselines in SageMaker Model Monitor's file shapes: ``statistics.json`` and ``constraints.json``.

``make_baseline(data)`` returns both documents plus the :class:`ReferenceProfile` drift checks use,
from one pass over each column (the profile's sort gives min, max, quantiles and the buckets).
Field names follow the Model Monitor docs ("Schema for Statistics", "Schema for Constraints").
Where Model Monitor computes a randomized KLL sketch, the ``sketch`` here holds one level of up to
``k`` evenly spaced exact order statistics: same shape, exact quantiles. Two additions, both in
``monitoring_config`` and ignored by tools that do not know them: ``out_of_range_threshold``
(numeric values outside the baseline's [min, max]) and ``drift_method``/``drift_threshold``
(the per-feature drift tests of :mod:`drift`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .columns import NUMERIC, as_frame, inferred_type
from .profile import ColumnProfile, ReferenceProfile, profile_column

N_BUCKETS = 10  # Model Monitor materialises 10 buckets
SKETCH_K = 2048
SKETCH_C = 0.64
MAX_DOMAIN = 20  # string_constraints.domains is kept "for small cardinality"
MAX_CATEGORICAL_BUCKETS = 100


def default_monitoring_config() -> dict[str, Any]:
    return {
        "evaluate_constraints": "Enabled",
        "emit_metrics": "Enabled",
        "datatype_check_threshold": 0.1,
        "domain_content_threshold": 0.1,
        "distribution_constraints": {
            "perform_comparison": "Enabled",
            "comparison_threshold": 0.1,
            "comparison_method": "Robust",
            "categorical_comparison_threshold": 0.1,
            "categorical_drift_method": "LInfinity",
        },
        "out_of_range_threshold": 0.01,
        "drift_method": "auto",
        "drift_threshold": None,
        "drift_share": 0.5,
    }


def make_baseline(data: Any, target: Any = None, model: Any = None,
                  progress: bool | None = False) -> tuple[dict, dict, ReferenceProfile]:
    """(statistics, constraints, profile) of the feature columns of ``data``.

    ``target`` (a Series, or a column name in ``data`` that is then left out of the features) and
    ``model`` are accepted so that ``register(data=..., target=...)`` can call this directly; the
    target's own distribution is recorded under ``statistics["target"]``. ``progress``: a bar
    per column (``progress.py``; off by default here, as ``register`` calls this too).
    """
    from ..progress import track

    df = as_frame(data, "baseline data")
    if isinstance(target, str) and target in df.columns:
        target_series = df[target]
        df = df.drop(columns=[target])
    else:
        target_series = target
    feature_names = [str(c) for c in df.columns]
    if model is not None and getattr(model, "feature_names_in_", None) is not None:
        wanted = [str(c) for c in model.feature_names_in_]
        if set(wanted) <= set(feature_names):
            feature_names = wanted
    columns: dict[str, ColumnProfile] = {}
    stat_features, constraint_features = [], []
    for name in track(feature_names, progress, desc="baseline", unit="columns"):
        series = df[name]
        col = profile_column(name, series).stats()
        columns[name] = col
        itype = inferred_type(series)
        stat_features.append(feature_statistics(col, itype))
        constraint_features.append(feature_constraints(col, itype))
    statistics = {"version": 0, "dataset": {"item_count": int(len(df))}, "features": stat_features}
    if target_series is not None:
        import pandas as pd

        ts = pd.Series(np.asarray(target_series), name=getattr(target_series, "name", None) or "target")
        statistics["target"] = feature_statistics(profile_column(str(ts.name), ts).stats(), inferred_type(ts))
    constraints = {"version": 0, "features": constraint_features, "monitoring_config": default_monitoring_config()}
    return statistics, constraints, ReferenceProfile(len(df), columns)


def feature_statistics(col: ColumnProfile, itype: str) -> dict[str, Any]:
    common = {"num_present": int(col.n_present), "num_missing": int(col.n_missing)}
    if col.kind == NUMERIC:
        s = col.sorted
        if not s.size:
            return {"name": col.name, "inferred_type": "Unknown", "numerical_statistics": {"common": common}}
        total = float(s.sum())
        return {
            "name": col.name,
            "inferred_type": itype if itype in ("Integral", "Fractional") else "Fractional",
            "numerical_statistics": {
                "common": common,
                "mean": total / s.size,
                "sum": total,
                "std_dev": float(col.std),
                "min": float(s[0]),
                "max": float(s[-1]),
                "distribution": {"kll": {"buckets": kll_buckets(s), "sketch": exact_sketch(s)}},
            },
        }
    order = np.argsort(-col.counts, kind="stable")[:MAX_CATEGORICAL_BUCKETS]
    return {
        "name": col.name,
        "inferred_type": itype,
        "string_statistics": {
            "common": common,
            "distinct_count": int(len(col.values)),
            "distribution": {
                "categorical": {"buckets": [{"value": str(col.values[i]), "count": int(col.counts[i])} for i in order]}
            },
        },
    }


def kll_buckets(s: np.ndarray, n: int = N_BUCKETS) -> list[dict[str, float]]:
    """Equal-width buckets between min and max (the last closed), counted on the sorted values."""
    edges = np.linspace(s[0], s[-1], n + 1) if s[-1] > s[0] else np.array([s[0], s[0]])
    idx = np.searchsorted(s, edges, side="left")
    idx[-1] = s.size
    counts = np.diff(idx)
    return [
        {"lower_bound": float(lo), "upper_bound": float(hi), "count": float(c)}
        for lo, hi, c in zip(edges[:-1], edges[1:], counts)
    ]


def exact_sketch(s: np.ndarray, k: int = SKETCH_K) -> dict[str, Any]:
    idx = np.unique(np.linspace(0, s.size - 1, min(k, s.size)).round().astype(np.int64))
    return {"parameters": {"c": SKETCH_C, "k": float(k)}, "data": [s[idx].tolist()]}


def feature_constraints(col: ColumnProfile, itype: str) -> dict[str, Any]:
    completeness = col.n_present / col.n_rows if col.n_rows else 0.0
    out: dict[str, Any] = {"name": col.name, "inferred_type": itype, "completeness": float(completeness)}
    if col.kind == NUMERIC:
        out["num_constraints"] = {"is_non_negative": bool(col.sorted.size and col.sorted[0] >= 0)}
    elif len(col.values) <= MAX_DOMAIN:
        out["string_constraints"] = {"domains": sorted(str(v) for v in col.values)}
    out["monitoringConfigOverrides"] = {}
    return out


def feature_kind(feature: dict[str, Any]) -> str:
    return NUMERIC if feature.get("inferred_type") in ("Integral", "Fractional") else "categorical"


def profile_from_statistics(statistics: dict) -> ReferenceProfile | None:
    """A coarse profile from statistics.json alone (the KLL sketch's weighted quantiles for
    numeric columns, category buckets for strings) for baselines without a full profile artifact:
    imported ones, and those whose artifact is missing."""
    from .kll import numeric_quantiles

    columns = {}
    for f in statistics.get("features", []):
        name = f["name"]
        if "numerical_statistics" in f:
            ns = f["numerical_statistics"]
            s = numeric_quantiles((ns.get("distribution") or {}).get("kll") or {})
            n_present = ns["common"]["num_present"]
            n_unique = int(np.count_nonzero(s[1:] != s[:-1]) + 1) if s.size else 0
            columns[name] = ColumnProfile(name, NUMERIC, "float64", n_present + ns["common"]["num_missing"],
                                          ns["common"]["num_missing"], sorted=s, std=ns.get("std_dev", 0.0), n_unique=n_unique)
        elif "string_statistics" in f:
            ss = f["string_statistics"]
            buckets = ss["distribution"]["categorical"]["buckets"]
            columns[name] = ColumnProfile(name, "categorical", "object", ss["common"]["num_present"] + ss["common"]["num_missing"],
                                          ss["common"]["num_missing"], n_unique=len(buckets), values=[b["value"] for b in buckets],
                                          counts=np.asarray([b["count"] for b in buckets], dtype=np.int64))
    return ReferenceProfile(int(statistics.get("dataset", {}).get("item_count", 0)), columns) if columns else None
