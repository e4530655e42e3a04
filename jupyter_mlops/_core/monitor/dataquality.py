"""Data quality: Model Monitor's constraint checks of a current window against constraints.json.

Returns ``constraint_violations.json``-shaped dicts ``{"feature_name", "constraint_check_type",
"description"}`` with these check types:

* ``missing_column_check`` / ``extra_column_check``: columns absent from, or new in, the window;
* ``data_type_check``: more than ``datatype_check_threshold`` of the present values are not of the
  baseline's inferred type (text in a numeric column, fractions in an Integral one);
* ``completeness_check``: the share of present values is below the baseline's ``completeness``;
* ``categorical_values_check``: more than ``domain_content_threshold`` of a string feature's values
  are outside ``string_constraints.domains``;
* ``baseline_drift_check``: the L-infinity distance between the baseline and current distributions
  (for numeric features the KS distance of the empirical CDFs, for string features the largest
  change of a category's share) exceeds ``comparison_threshold`` / ``categorical_comparison_threshold``;
  with ``comparison_method="Robust"`` a numeric distance must also be significant (KS p < 0.05),
  and ``categorical_drift_method="ChiSquared"`` uses the chi-squared p-value < threshold instead;
* ``out_of_range_check`` (ours): more than ``out_of_range_threshold`` of a numeric feature's values
  fall outside the baseline's [min, max], or negative values where ``is_non_negative`` holds.

Constraints in Model Monitor's older form (``enable_comparisons``, ``min_domain_mass``, one
``comparison_threshold`` for every type, overrides under ``string_constraints``) are read in the
current form (:mod:`constraints_form`); a feature whose overrides say ``evaluate_constraints:
Disabled`` is not checked.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .columns import as_frame, numeric_values
from .constraints_form import current_form, evaluated
from .profile import ReferenceProfile
from .stattests.base import category_counts, merge_counts, sorted_finite
from .stattests.chisquare import chi2_from_counts
from .stattests.ks import ks_pvalue, ks_statistic_from_sorted

NUMERIC_TYPES = ("Integral", "Fractional")


def violation(feature: str, check: str, description: str) -> dict[str, str]:
    return {"feature_name": feature, "constraint_check_type": check, "description": description}


def check_constraints(
    current: Any, constraints: dict, statistics: dict | None = None, profile: ReferenceProfile | None = None
) -> list[dict[str, str]]:
    df = as_frame(current, "current data")
    constraints = current_form(constraints)
    config = constraints["monitoring_config"]
    if not evaluated(config):
        return []
    stats_by_name = {f["name"]: f for f in (statistics or {}).get("features", [])}
    features = constraints["features"]
    names = {f["name"] for f in features}
    configs = {f["name"]: _merged_config(config, f["monitoringConfigOverrides"]) for f in features}
    out: list[dict[str, str]] = []
    present_cols = [str(c) for c in df.columns]
    missing = [f["name"] for f in features if f["name"] not in df.columns and evaluated(configs[f["name"]])]
    for name in missing:
        out.append(violation(name, "missing_column_check",
                             f"Column {name!r} of the baseline is missing from the current data "
                             f"({len(present_cols)} columns in current, {len(features)} in the baseline constraints)."))
    for name in present_cols:
        if name not in names:
            out.append(violation(name, "extra_column_check",
                                 f"Column {name!r} is in the current data but not in the baseline constraints."))
    for feature in features:
        name = feature["name"]
        if name not in df.columns:
            continue
        cfg = configs[name]
        if not evaluated(cfg):
            continue
        series = df[name]
        n = len(series)
        if not n:
            continue
        itype = feature.get("inferred_type", "Unknown")
        present = series.notna().to_numpy()
        n_present = int(present.sum())
        completeness = n_present / n
        expected = feature.get("completeness")
        if expected is not None and completeness < float(expected) - 1e-12:
            out.append(violation(name, "completeness_check",
                                 f"Data completeness requirement is not met. Expected: {float(expected):.1%}. "
                                 f"Observed: {completeness:.1%} ({n - n_present} of {n} values missing)."))
        if itype in NUMERIC_TYPES:
            out.extend(_numeric_checks(name, series, itype, n_present, feature, cfg, stats_by_name.get(name), profile))
        elif itype == "String":
            out.extend(_string_checks(name, series, n_present, feature, cfg, profile))
    return out


def _merged_config(config: dict, overrides: dict) -> dict:
    merged = dict(config)
    dist = dict(config.get("distribution_constraints", {}) or {})
    for k, v in overrides.items():
        if k == "distribution_constraints" and isinstance(v, dict):
            dist.update(v)
        else:
            merged[k] = v
    merged["distribution_constraints"] = dist
    return merged


def _numeric_checks(name, series, itype, n_present, feature, cfg, stats, profile) -> list[dict]:
    out = []
    values = numeric_values(series)
    parsed = np.isfinite(values) | np.isinf(values)
    n_parsed = int(parsed.sum())
    bad = n_present - n_parsed
    if itype == "Integral":
        finite = values[np.isfinite(values)]
        bad += int(np.count_nonzero(finite != np.round(finite)))
    threshold = float(cfg.get("datatype_check_threshold", 0.1))
    if n_present and bad / n_present > threshold:
        out.append(violation(name, "data_type_check",
                             f"Data type match requirement is not met. Expected data type: {itype}, expected match: "
                             f"{1 - threshold:.1%}. Observed: only {(n_present - bad) / n_present:.1%} of the values are {itype}."))
    cur_sorted = sorted_finite(values)
    if not cur_sorted.size:
        return out
    num = (stats or {}).get("numerical_statistics") or {}
    lo, hi = num.get("min"), num.get("max")
    if lo is not None and hi is not None:
        outside = int(np.searchsorted(cur_sorted, lo, "left") + (cur_sorted.size - np.searchsorted(cur_sorted, hi, "right")))
        share = outside / cur_sorted.size
        limit = float(cfg.get("out_of_range_threshold", 0.01))
        if share > limit:
            out.append(violation(name, "out_of_range_check",
                                 f"{share:.1%} of the values ({outside}) are outside the baseline range "
                                 f"[{lo:.6g}, {hi:.6g}] (allowed: {limit:.1%}); current range [{cur_sorted[0]:.6g}, {cur_sorted[-1]:.6g}]."))
    if (feature.get("num_constraints") or {}).get("is_non_negative") and cur_sorted[0] < 0:
        negatives = int(np.searchsorted(cur_sorted, 0.0, "left"))
        out.append(violation(name, "out_of_range_check",
                             f"The baseline is non-negative but {negatives} current values are negative (min {cur_sorted[0]:.6g})."))
    dist = cfg.get("distribution_constraints", {})
    col = profile.columns.get(name) if profile else None
    if dist.get("perform_comparison", "Enabled") == "Enabled" and col is not None and col.sorted is not None and col.sorted.size:
        d = ks_statistic_from_sorted(col.sorted, cur_sorted)
        limit = float(dist.get("comparison_threshold", 0.1))
        robust = dist.get("comparison_method", "Robust") == "Robust"
        significant = ks_pvalue(d, col.sorted.size, cur_sorted.size)[1] < 0.05 if robust else True
        if d > limit and significant:
            out.append(violation(name, "baseline_drift_check",
                                 f"Baseline drift distance: {d:.4g} exceeds threshold: {limit:g} "
                                 f"(L-infinity distance of the empirical CDFs, {dist.get('comparison_method', 'Robust')})."))
    return out


def _string_checks(name, series, n_present, feature, cfg, profile) -> list[dict]:
    out = []
    values, counts = category_counts(series.astype(object).where(series.notna(), None).map(lambda v: v if v is None else str(v)))
    domains = (feature.get("string_constraints") or {}).get("domains")
    if domains is not None and n_present:
        allowed = set(domains)
        outside = {v: int(c) for v, c in zip(values, counts) if v not in allowed}
        share = sum(outside.values()) / n_present
        limit = float(cfg.get("domain_content_threshold", 0.1))
        if share > limit:
            examples = ", ".join(repr(v) for v in sorted(outside, key=outside.get, reverse=True)[:5])
            out.append(violation(name, "categorical_values_check",
                                 f"{share:.1%} of the values are outside the baseline's domain (allowed: {limit:.1%}): {examples}."))
    dist = cfg.get("distribution_constraints", {})
    col = profile.columns.get(name) if profile else None
    if dist.get("perform_comparison", "Enabled") == "Enabled" and col is not None and col.counts is not None and n_present:
        ref_counts, cur_counts, _ = merge_counts([str(v) for v in col.values], col.counts, values, counts)
        if not ref_counts.sum():
            return out
        limit = float(dist.get("categorical_comparison_threshold", 0.1))
        method = dist.get("categorical_drift_method", "LInfinity")
        if method == "ChiSquared":
            p = chi2_from_counts(ref_counts, cur_counts).p_value
            if p < limit:
                out.append(violation(name, "baseline_drift_check",
                                     f"Baseline drift: chi-squared p-value {p:.4g} is below threshold {limit:g}."))
        else:
            d = float(np.max(np.abs(ref_counts / ref_counts.sum() - cur_counts / cur_counts.sum())))
            if d > limit:
                out.append(violation(name, "baseline_drift_check",
                                     f"Baseline drift distance: {d:.4g} exceeds threshold: {limit:g} (L-infinity distance of the category shares)."))
    return out
