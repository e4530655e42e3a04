"""Model Monitor's ``statistics.json`` and ``constraints.json`` read from a baselining job's output
(a path, or the parsed document) and checked field by field, so that a baseline imported from
SageMaker fails at import with the field that is wrong, not later inside a check.

Both the current and the older form of the constraints are accepted (:mod:`constraints_form`
reads them alike). Fields this module does not know are kept and ignored, as Model Monitor's
"bring your own container" schema allows additions.

References: the Model Monitor docs, "Schema for Statistics (statistics.json file)" and "Schema
for Constraints (constraints.json file)".
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

from ..errors import InvalidInput

TYPES = ("Integral", "Fractional", "String", "Unknown")
SWITCH = ("Enabled", "Disabled")


def read_document(value: Any, what: str) -> dict:
    """``value`` (a path to ``what``.json, or its parsed contents) as a dict of its own."""
    if isinstance(value, dict):
        return copy.deepcopy(value)
    if not isinstance(value, (str, os.PathLike)):
        raise InvalidInput(f"{what} must be the path of Model Monitor's {what}.json or its contents "
                           f"as a dict, got {type(value).__name__}.")
    path = Path(value).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{what}: no such file {str(path)!r}; check the path.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{what}: {str(path)!r} cannot be read: {exc}.") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{what}: {str(path)!r} is not JSON: {exc}.") from None
    if not isinstance(doc, dict):
        raise InvalidInput(f"{what}: {str(path)!r} holds a {type(doc).__name__}, not the JSON "
                           f"object of a {what}.json.")
    return doc


class _Fields:
    """Checks of one document, each naming the field as ``statistics.features[2].name``."""

    def __init__(self, root: str):
        self.root = root

    def fail(self, where: str, problem: str):
        raise InvalidInput(f"{self.root}.{where} {problem}")

    def obj(self, value: Any, where: str, required: bool = True) -> dict:
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            self.fail(where, f"must be an object, got {_shown(value)}.")
        return value

    def items(self, value: Any, where: str, required: bool = True) -> list:
        if value is None and not required:
            return []
        if not isinstance(value, list):
            self.fail(where, f"must be a list, got {_shown(value)}.")
        return value

    def number(self, value: Any, where: str, low: float | None = None, high: float | None = None,
               required: bool = False) -> None:
        if value is None and not required:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(where, f"must be a number, got {_shown(value)}.")
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
            self.fail(where, f"must be {bounds}, got {value!r}.")

    def choice(self, value: Any, where: str, allowed: tuple) -> None:
        if value is not None and value not in allowed:
            self.fail(where, f"must be one of {', '.join(map(repr, allowed))}, got {_shown(value)}.")

    def name(self, feature: dict, where: str, seen: set) -> str:
        name = feature.get("name")
        if not isinstance(name, str) or not name:
            self.fail(f"{where}.name", f"must be the feature's name, got {_shown(name)}.")
        if name in seen:
            self.fail(f"{where}.name", f"{name!r} is given twice; each feature once.")
        seen.add(name)
        return name


def _shown(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60]}{'…' if len(text) > 60 else ''}"


def check_statistics(doc: dict) -> dict:
    f = _Fields("statistics")
    f.number(f.obj(doc.get("dataset"), "dataset").get("item_count"), "dataset.item_count", low=0,
             required=True)
    features = f.items(doc.get("features"), "features")
    if not features:
        f.fail("features", "is empty: a baseline needs at least one feature.")
    seen: set = set()
    for i, feature in enumerate(features):
        where = f"features[{i}]"
        f.obj(feature, where)
        f.name(feature, where, seen)
        f.choice(feature.get("inferred_type"), f"{where}.inferred_type", TYPES)
        kinds = [k for k in ("numerical_statistics", "string_statistics") if k in feature]
        if len(kinds) != 1:
            f.fail(where, f"({feature['name']!r}) must have one of numerical_statistics or "
                          f"string_statistics, has {kinds or 'neither'}.")
        where = f"{where}.{kinds[0]}"
        stats = f.obj(feature[kinds[0]], where)
        common = f.obj(stats.get("common"), f"{where}.common")
        for key in ("num_present", "num_missing"):
            f.number(common.get(key), f"{where}.common.{key}", low=0, required=True)
        distribution = f.obj(stats.get("distribution"), f"{where}.distribution", required=False)
        if kinds[0] == "numerical_statistics":
            for key in ("mean", "sum", "std_dev", "min", "max"):
                f.number(stats.get(key), f"{where}.{key}")
            _check_kll(f, distribution.get("kll"), f"{where}.distribution.kll")
        else:
            categorical = f.obj(distribution.get("categorical"), f"{where}.distribution.categorical")
            for j, bucket in enumerate(f.items(categorical.get("buckets"),
                                               f"{where}.distribution.categorical.buckets")):
                f.obj(bucket, f"{where}.distribution.categorical.buckets[{j}]")
                if "value" not in bucket:
                    f.fail(f"{where}.distribution.categorical.buckets[{j}].value", "is missing.")
                f.number(bucket.get("count"), f"{where}.distribution.categorical.buckets[{j}].count",
                         low=0, required=True)
    return doc


def _check_kll(f: _Fields, kll: Any, where: str) -> None:
    kll = f.obj(kll, where, required=False)
    for j, bucket in enumerate(f.items(kll.get("buckets"), f"{where}.buckets", required=False)):
        f.obj(bucket, f"{where}.buckets[{j}]")
        for key in ("lower_bound", "upper_bound", "count"):
            f.number(bucket.get(key), f"{where}.buckets[{j}].{key}", required=True)
    sketch = f.obj(kll.get("sketch"), f"{where}.sketch", required=False)
    for k, level in enumerate(f.items(sketch.get("data"), f"{where}.sketch.data", required=False)):
        for j, value in enumerate(f.items(level, f"{where}.sketch.data[{k}]")):
            f.number(value, f"{where}.sketch.data[{k}][{j}]", required=True)


def check_constraints(doc: dict) -> dict:
    f = _Fields("constraints")
    seen: set = set()
    for i, feature in enumerate(f.items(doc.get("features"), "features")):
        where = f"features[{i}]"
        f.obj(feature, where)
        f.name(feature, where, seen)
        f.choice(feature.get("inferred_type"), f"{where}.inferred_type", TYPES)
        f.number(feature.get("completeness"), f"{where}.completeness", 0, 1)
        numbers = f.obj(feature.get("num_constraints"), f"{where}.num_constraints", required=False)
        if not isinstance(numbers.get("is_non_negative", False), bool):
            f.fail(f"{where}.num_constraints.is_non_negative",
                   f"must be true or false, got {_shown(numbers['is_non_negative'])}.")
        strings = f.obj(feature.get("string_constraints"), f"{where}.string_constraints", required=False)
        f.items(strings.get("domains"), f"{where}.string_constraints.domains", required=False)
        for holder, prefix in ((feature, where), (strings, f"{where}.string_constraints"),
                               (numbers, f"{where}.num_constraints")):
            for key in ("monitoringConfigOverrides", "monitoring_config_overrides"):
                if key in holder:
                    _check_config(f, holder[key], f"{prefix}.{key}")
    _check_config(f, doc.get("monitoring_config"), "monitoring_config", required=False)
    return doc


def _check_config(f: _Fields, config: Any, where: str, required: bool = True) -> None:
    config = f.obj(config, where, required)
    for key in ("evaluate_constraints", "emit_metrics"):
        f.choice(config.get(key), f"{where}.{key}", SWITCH)
    for key in ("datatype_check_threshold", "domain_content_threshold", "min_domain_mass"):
        f.number(config.get(key), f"{where}.{key}", 0, 1)
    dist = f.obj(config.get("distribution_constraints"), f"{where}.distribution_constraints",
                 required=False)
    where = f"{where}.distribution_constraints"
    f.choice(dist.get("perform_comparison"), f"{where}.perform_comparison", SWITCH)
    if not isinstance(dist.get("enable_comparisons", True), bool):
        f.fail(f"{where}.enable_comparisons",
               f"must be true or false, got {_shown(dist['enable_comparisons'])}.")
    for key in ("comparison_threshold", "categorical_comparison_threshold"):
        f.number(dist.get(key), f"{where}.{key}", low=0)
    f.number(dist.get("min_domain_mass"), f"{where}.min_domain_mass", 0, 1)
    f.choice(dist.get("comparison_method"), f"{where}.comparison_method", ("Simple", "Robust"))
    f.choice(dist.get("categorical_drift_method"), f"{where}.categorical_drift_method",
             ("LInfinity", "ChiSquared"))
