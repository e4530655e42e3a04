"""Bias metrics for a facet, as SageMaker Clarify defines them; bias drift against a baseline.

For each facet value d (the "disadvantaged" group; every value in turn unless ``facet_value`` is
given) against the rest a, with positive outcome ``label_value``:

pre-training (labels only)
    CI   = (n_a - n_d) / (n_a + n_d)                      class imbalance
    DPL  = q_a - q_d,  q = share of positive labels          difference in positive proportions in labels
post-training (labels and predictions)
    DPPL = q^_a - q^_d, q^ = share of positive predictions   difference in positive proportions in predicted labels
    DI   = q^_d / q^_a                                      disparate impact
    AD   = ACC_a - ACC_d                                    accuracy difference
    RD   = TPR_a - TPR_d                                    recall difference
    DAR  = TP_a / P^_a - TP_d / P^_d                        difference in acceptance rates (precision difference)
    DCA  = n_a(1)/P^_a - n_d(1)/P^_d                        difference in conditional acceptance

A value with no defined denominator (e.g. no positive predictions in a group) is None.
Bias drift: a metric moved more than ``tolerance`` (default 0.1) away from the baseline's value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InsufficientData, InvalidInput
from .reports.bias import BiasReport

PRE = ("CI", "DPL")
POST = ("DPPL", "DI", "AD", "RD", "DAR", "DCA")


def _ratio(num: float, den: float) -> float | None:
    return float(num / den) if den else None


def _diff(a: float | None, d: float | None) -> float | None:
    return None if a is None or d is None else float(a - d)


def group_metrics(facet, labels, predictions, d_value, positive) -> dict[str, float | None]:
    facet = np.asarray(facet, dtype=object)
    in_d = facet == d_value
    in_a = ~in_d
    y = np.asarray(labels, dtype=object) == positive
    n_a, n_d = int(in_a.sum()), int(in_d.sum())
    out: dict[str, float | None] = {"n_a": n_a, "n_d": n_d}
    out["CI"] = _ratio(n_a - n_d, n_a + n_d)
    q_a, q_d = _ratio(y[in_a].sum(), n_a), _ratio(y[in_d].sum(), n_d)
    out["DPL"] = _diff(q_a, q_d)
    if predictions is None:
        return out
    yh = np.asarray(predictions, dtype=object) == positive
    qh_a, qh_d = _ratio(yh[in_a].sum(), n_a), _ratio(yh[in_d].sum(), n_d)
    out["DPPL"] = _diff(qh_a, qh_d)
    out["DI"] = None if qh_a in (None, 0.0) or qh_d is None else float(qh_d / qh_a)
    acc_a, acc_d = _ratio((y == yh)[in_a].sum(), n_a), _ratio((y == yh)[in_d].sum(), n_d)
    out["AD"] = _diff(acc_a, acc_d)
    tp_a, tp_d = float((y & yh)[in_a].sum()), float((y & yh)[in_d].sum())
    out["RD"] = _diff(_ratio(tp_a, y[in_a].sum()), _ratio(tp_d, y[in_d].sum()))
    ph_a, ph_d = float(yh[in_a].sum()), float(yh[in_d].sum())
    out["DAR"] = _diff(_ratio(tp_a, ph_a), _ratio(tp_d, ph_d))
    out["DCA"] = _diff(_ratio(y[in_a].sum(), ph_a), _ratio(y[in_d].sum(), ph_d))
    return out


def compute_bias(
    data, labels, facet: str, predictions=None, *, facet_value: Any = None, label_value: Any = None,
    baseline: dict | None = None, tolerance: float = 0.1, target: str = "",
) -> BiasReport:
    import pandas as pd

    if facet not in data.columns:
        raise InvalidInput(f"Facet column {facet!r} is not in the data.", hint=f"Columns: {', '.join(map(str, data.columns[:15]))}.")
    labels = np.asarray(labels, dtype=object)
    if len(labels) != len(data):
        raise InvalidInput(f"{len(labels)} labels for {len(data)} rows.")
    if len(data) < 2:
        raise InsufficientData(f"Bias metrics need at least 2 rows; got {len(data)}.")
    facet_values = data[facet].astype(object).to_numpy()
    if label_value is None:
        distinct = sorted(set(labels.tolist()), key=str)
        label_value = 1 if 1 in distinct else (True if True in distinct else distinct[-1])
    if facet_value is not None:
        groups = [facet_value]
    else:
        counts = pd.Series(facet_values).value_counts(dropna=True)
        groups = list(counts.index)
        if len(groups) == 2:
            groups = [counts.index[-1]]  # binary facet: the smaller group is d
    rows = {str(g): group_metrics(facet_values, labels, predictions, g, label_value) for g in groups}
    drift = []
    base = (baseline or {}).get(facet, {}) if baseline else {}
    for g, metrics in rows.items():
        for name in PRE + POST:
            b = (base.get(g) or {}).get(name)
            v = metrics.get(name)
            if b is not None and v is not None and abs(v - b) > tolerance:
                drift.append({"facet_value": g, "metric": name, "value": v, "baseline": b,
                              "description": f"{name} for {facet}={g} moved from {b:.3f} to {v:.3f} (tolerance {tolerance:g})."})
    return BiasReport(target=target, facet=facet, label_value=_plain(label_value), groups=rows, baseline=base,
                      drift=drift, tolerance=tolerance, n=int(len(data)), has_predictions=predictions is not None)


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v
