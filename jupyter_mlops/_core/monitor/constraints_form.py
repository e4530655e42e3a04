"""constraints.json in its current form, whatever form it was written in.

Model Monitor's constraints have an older form, still written by older baselining jobs and SDKs
(the SageMaker Python SDK's own test data has it), that names some settings differently. Each is
rewritten here into the current form's setting that does the same thing, so the checks read one
form:

* ``distribution_constraints.comparison_threshold`` alone (no ``categorical_comparison_threshold``)
  is the threshold of every feature's baseline drift check, numeric and string: the older schema
  has only this one threshold ("comparison_threshold" in the Model Monitor docs' older table);
* ``distribution_constraints.enable_comparisons`` (true/false) is ``perform_comparison``
  (Enabled/Disabled): whether the baseline drift check runs;
* ``min_domain_mass`` (the share of a string feature's values that must fall in its
  ``string_constraints.domains``) is ``domain_content_threshold = 1 - min_domain_mass`` (the
  share allowed outside them);
* per-feature overrides under ``string_constraints.monitoring_config_overrides`` (older SDKs) or
  ``monitoring_config_overrides`` (the SDK's ``Constraints.set_monitoring``) are the feature's
  ``monitoringConfigOverrides``; their ``evaluate_constraints: Disabled`` turns the feature's
  checks off.

A setting given in both forms keeps its current-form value. The input is never modified.

References: the Model Monitor docs, "Schema for Constraints (constraints.json file)" (both
versions of its table), and the SageMaker Python SDK's ``Constraints.set_monitoring``.
"""

from __future__ import annotations

import copy
from typing import Any

OVERRIDE_KEYS = ("monitoringConfigOverrides", "monitoring_config_overrides")


def current_form(constraints: dict) -> dict:
    """A copy of ``constraints`` in the current form."""
    out = copy.deepcopy(constraints)
    out["monitoring_config"] = current_config(out.get("monitoring_config") or {})
    out["features"] = [_feature(f) for f in out.get("features") or []]
    return out


def current_config(config: dict[str, Any]) -> dict[str, Any]:
    """A ``monitoring_config`` (or a feature's overrides) with the older settings renamed."""
    config = dict(config)
    dist = dict(config.get("distribution_constraints") or {})
    if "enable_comparisons" in dist:
        enabled = dist.pop("enable_comparisons")
        dist.setdefault("perform_comparison", "Enabled" if _truthy(enabled) else "Disabled")
    if "comparison_threshold" in dist:
        dist.setdefault("categorical_comparison_threshold", dist["comparison_threshold"])
    mass = dist.pop("min_domain_mass", config.pop("min_domain_mass", None))
    if mass is not None:
        config.setdefault("domain_content_threshold", 1.0 - float(mass))
    if dist or "distribution_constraints" in config:
        config["distribution_constraints"] = dist
    return config


def _feature(feature: dict) -> dict:
    merged: dict[str, Any] = {}
    for holder in (feature.get("string_constraints"), feature.get("num_constraints")):
        if isinstance(holder, dict):
            merged = _merge(merged, holder.pop("monitoring_config_overrides", None))
    for key in OVERRIDE_KEYS[::-1]:  # the current name last: its settings win
        merged = _merge(merged, feature.pop(key, None))
    feature["monitoringConfigOverrides"] = current_config(merged)
    return feature


def _merge(base: dict, overrides: dict | None) -> dict:
    if not isinstance(overrides, dict):
        return base
    out = {**base, **overrides}
    if isinstance(base.get("distribution_constraints"), dict) and \
            isinstance(overrides.get("distribution_constraints"), dict):
        out["distribution_constraints"] = {**base["distribution_constraints"],
                                           **overrides["distribution_constraints"]}
    return out


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "enabled", "1", "yes")
    return bool(value)


def evaluated(config: dict[str, Any]) -> bool:
    """Whether the constraints of this (merged) config are checked at all."""
    return str(config.get("evaluate_constraints", "Enabled")).lower() != "disabled"
