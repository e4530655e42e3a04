"""Baselines in Model Monitor's JSON shapes, and the data quality checks named as Model Monitor names them."""

import json

import numpy as np
import pytest

from jupyter_mlops._core.monitor.baseline import make_baseline, profile_from_statistics
from jupyter_mlops._core.monitor.dataquality import check_constraints


def by_name(doc):
    return {f["name"]: f for f in doc["features"]}


def test_statistics_json_has_model_monitors_fields(reference):
    statistics, constraints, profile = make_baseline(reference)
    assert statistics["version"] == 0 and statistics["dataset"] == {"item_count": 3000}
    feats = by_name(statistics)
    assert [f["inferred_type"] for f in statistics["features"]] == ["Integral", "Fractional", "Fractional", "String", "String"]
    num = feats["income"]["numerical_statistics"]
    assert set(num) == {"common", "mean", "sum", "std_dev", "min", "max", "distribution"}
    assert num["common"] == {"num_present": 3000, "num_missing": 0}
    assert num["mean"] == pytest.approx(reference["income"].mean()) and num["sum"] == pytest.approx(reference["income"].sum())
    assert num["std_dev"] == pytest.approx(reference["income"].std(ddof=0))
    assert (num["min"], num["max"]) == (reference["income"].min(), reference["income"].max())
    kll = num["distribution"]["kll"]
    assert len(kll["buckets"]) == 10 and sum(b["count"] for b in kll["buckets"]) == 3000
    assert set(kll["buckets"][0]) == {"lower_bound", "upper_bound", "count"}
    assert kll["sketch"]["parameters"] == {"c": 0.64, "k": 2048.0} and len(kll["sketch"]["data"][0]) == 2048
    s = feats["plan"]["string_statistics"]
    assert s["distinct_count"] == 3 and s["common"]["num_missing"] == 0
    assert {b["value"]: b["count"] for b in s["distribution"]["categorical"]["buckets"]} == reference["plan"].value_counts().to_dict()
    json.dumps(statistics, allow_nan=False)  # plain JSON a user can read and edit


def test_constraints_json_has_model_monitors_fields(reference):
    _, constraints, _ = make_baseline(reference)
    assert constraints["version"] == 0
    feats = by_name(constraints)
    assert feats["age"] == {"name": "age", "inferred_type": "Integral", "completeness": 1.0,
                            "num_constraints": {"is_non_negative": True}, "monitoringConfigOverrides": {}}
    assert feats["plan"]["string_constraints"] == {"domains": ["basic", "plus", "pro"]}
    cfg = constraints["monitoring_config"]
    assert cfg["evaluate_constraints"] == "Enabled" and cfg["emit_metrics"] == "Enabled"
    assert cfg["datatype_check_threshold"] == 0.1 and cfg["domain_content_threshold"] == 0.1
    assert cfg["distribution_constraints"] == {"perform_comparison": "Enabled", "comparison_threshold": 0.1,
                                               "comparison_method": "Robust", "categorical_comparison_threshold": 0.1,
                                               "categorical_drift_method": "LInfinity"}


def test_missing_values_lower_completeness_and_target_is_recorded(reference):
    data = reference.copy()
    data.loc[:299, "tenure"] = np.nan
    statistics, constraints, _ = make_baseline(data.assign(churned=(data.age > 50).astype(int)), target="churned")
    assert by_name(constraints)["tenure"]["completeness"] == pytest.approx(0.9)
    assert by_name(statistics)["tenure"]["numerical_statistics"]["common"] == {"num_present": 2700, "num_missing": 300}
    assert "churned" not in by_name(statistics) and statistics["target"]["name"] == "churned"


def checks(violations):
    return {(v["feature_name"], v["constraint_check_type"]) for v in violations}


def test_a_window_like_the_baseline_has_no_violations(reference, same_distribution):
    statistics, constraints, profile = make_baseline(reference)
    assert check_constraints(same_distribution.head(1000), constraints, statistics, profile) == []


def test_each_model_monitor_check_fires_on_its_problem(reference):
    statistics, constraints, profile = make_baseline(reference)
    cur = reference.sample(2000, random_state=0).reset_index(drop=True)
    cur["age"] = cur["age"].astype(object)
    cur.loc[:400, "age"] = "n/a"  # 20% not Integral
    cur.loc[:100, "tenure"] = np.nan  # completeness 95% < 100%
    cur["income"] = cur["income"] * 3  # distribution moved, values beyond the baseline max
    cur.loc[:600, "plan"] = "gold"  # 30% outside the domain
    cur = cur.drop(columns=["active"]).assign(region="north")
    violations = check_constraints(cur, constraints, statistics, profile)
    assert checks(violations) >= {
        ("age", "data_type_check"), ("tenure", "completeness_check"), ("income", "baseline_drift_check"),
        ("income", "out_of_range_check"), ("plan", "categorical_values_check"), ("plan", "baseline_drift_check"),
        ("active", "missing_column_check"), ("region", "extra_column_check"),
    }
    assert all(set(v) == {"feature_name", "constraint_check_type", "description"} for v in violations)
    dtype = next(v for v in violations if v["constraint_check_type"] == "data_type_check")
    assert "Expected data type: Integral" in dtype["description"]


def test_negative_values_break_is_non_negative(reference):
    statistics, constraints, profile = make_baseline(reference)
    cur = reference.head(500).copy()
    cur.loc[:2, "tenure"] = -1.0
    v = [x for x in check_constraints(cur, constraints, statistics, profile) if x["feature_name"] == "tenure"]
    assert any("non-negative" in x["description"] for x in v)


def test_thresholds_and_overrides_in_constraints_json_are_honoured(reference):
    statistics, constraints, profile = make_baseline(reference)
    cur = reference.head(1000).copy()
    cur.loc[:149, "plan"] = "gold"  # 15% outside the domain
    assert ("plan", "categorical_values_check") in checks(check_constraints(cur, constraints, statistics, profile))
    for f in constraints["features"]:
        if f["name"] == "plan":
            f["monitoringConfigOverrides"] = {"domain_content_threshold": 0.2,
                                              "distribution_constraints": {"perform_comparison": "Disabled"}}
    assert not {c for c in checks(check_constraints(cur, constraints, statistics, profile)) if c[0] == "plan"}
    constraints["monitoring_config"]["evaluate_constraints"] = "Disabled"
    assert check_constraints(cur.drop(columns=["age"]), constraints, statistics, profile) == []


def test_chi_squared_categorical_drift_method(reference, shifted):
    statistics, constraints, profile = make_baseline(reference)
    constraints["monitoring_config"]["distribution_constraints"]["categorical_drift_method"] = "ChiSquared"
    constraints["monitoring_config"]["domain_content_threshold"] = 1.0
    v = [x for x in check_constraints(shifted, constraints, statistics, profile) if x["feature_name"] == "plan"]
    assert [x["constraint_check_type"] for x in v] == ["baseline_drift_check"] and "chi-squared p-value" in v[0]["description"]


def test_a_profile_can_be_rebuilt_from_statistics_json_alone(reference, shifted):
    statistics, _, _ = make_baseline(reference)
    profile = profile_from_statistics(json.loads(json.dumps(statistics)))
    assert profile.columns["income"].sorted.size == 2048 and profile.columns["plan"].values[0] == "basic"
