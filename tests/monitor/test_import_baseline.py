"""A SageMaker Model Monitor baseline imported with ``ws.import_baseline`` (and its %mlops and CLI
verbs): statistics.json's KLL sketches read with their weights, constraints.json's older form
honoured field by field, every malformed field named at import, and ``ws.check`` against it.

The files in ``data/`` have the shapes SageMaker writes (``data/README.md`` says where they come
from); the windows below are drawn to sit on either side of each threshold they set."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from jupyter_mlops import Baseline
from jupyter_mlops._core.errors import BaselineNotFound, InvalidInput
from jupyter_mlops._core.monitor.baseline import profile_from_statistics

DATA = Path(__file__).with_name("data")
STATISTICS, CONSTRAINTS = DATA / "statistics.json", DATA / "constraints.json"


def documents():
    return json.loads(STATISTICS.read_text()), json.loads(CONSTRAINTS.read_text())


@pytest.fixture
def iws(ws):
    from sklearn.dummy import DummyClassifier

    ws.register(DummyClassifier().fit([[0], [1]], [0, 1]), "churn")
    return ws


def window(n: int = 2000, plans=(0.5, 0.3, 0.2), extra_plan: float = 0.0, seed: int = 0):
    """Traffic like the baseline's (tenure uniform on 0..9999, monthly ~ N(70, 20)), with the plan
    shares given and a share ``extra_plan`` of plans outside the baseline's domain."""
    rng = np.random.default_rng(seed)
    shares = np.asarray(plans) * (1 - extra_plan)
    plan = rng.choice(["basic", "plus", "pro", "gold"], n, p=[*shares, extra_plan])
    return pd.DataFrame({"tenure": rng.integers(0, 10_000, n), "monthly": rng.normal(70, 20, n).round(2).clip(0),
                         "plan": plan, "region": rng.choice(["eu", "us"], n, p=[0.6, 0.4])})


def checks(report, kind: str, feature: str | None = None) -> list[dict]:
    return [v for v in report.violations if v["constraint_check_type"] == kind
            and (feature is None or v["feature_name"] == feature)]


def test_a_sagemaker_baseline_imported_from_files_is_the_versions_baseline(iws):
    baseline = iws.import_baseline("churn:1", STATISTICS, str(CONSTRAINTS))
    assert isinstance(baseline, Baseline) and baseline.ref == "churn:1"
    assert (baseline.statistics, baseline.constraints) == documents()
    assert iws.baseline("churn:1").id == baseline.id
    report = iws.check("churn:1", data=window())
    assert report.violations == [] and not report.drift.dataset_drift
    assert {c.column for c in report.drift.columns} == {"tenure", "monthly", "plan", "region"}


def test_dicts_are_imported_as_well(iws):
    statistics, constraints = documents()
    assert iws.import_baseline("churn:1", statistics, constraints).constraints == constraints


def test_kll_levels_weigh_two_to_the_k():
    profile = profile_from_statistics(documents()[0])
    quantiles = np.quantile(profile.columns["tenure"].sorted, [0.1, 0.5, 0.9])
    # tenure is 0..9999: read with their weights, the levels give its quantiles back
    assert np.allclose(quantiles, [1000, 5000, 9000], rtol=0, atol=100)


def test_drift_against_the_sketch_is_the_datas_drift(iws):
    iws.import_baseline("churn:1", STATISTICS, CONSTRAINTS)
    same = iws.check("churn:1", data=window(seed=1))
    assert not next(c for c in same.drift.columns if c.column == "tenure").drifted
    older = window(seed=2).assign(tenure=lambda d: d.tenure // 2)  # half the tenures
    assert next(c for c in iws.check("churn:1", data=older).drift.columns if c.column == "tenure").drifted


def test_one_comparison_threshold_is_every_types_threshold(iws):
    iws.import_baseline("churn:1", STATISTICS, CONSTRAINTS)
    # plan's shares move by 0.15: over the current form's default 0.1, under the file's 0.2
    assert checks(iws.check("churn:1", data=window(plans=(0.35, 0.45, 0.2))), "baseline_drift_check") == []
    moved = checks(iws.check("churn:1", data=window(plans=(0.2, 0.6, 0.2))), "baseline_drift_check")
    assert [v["feature_name"] for v in moved] == ["plan"] and "threshold: 0.2" in moved[0]["description"]


def test_enable_comparisons_false_turns_the_drift_check_off(iws):
    statistics, constraints = documents()
    constraints["monitoring_config"]["distribution_constraints"]["enable_comparisons"] = False
    iws.import_baseline("churn:1", statistics, constraints)
    assert checks(iws.check("churn:1", data=window(plans=(0.1, 0.1, 0.8))), "baseline_drift_check") == []


def test_min_domain_mass_is_the_share_that_must_be_in_the_domain(iws):
    iws.import_baseline("churn:1", STATISTICS, CONSTRAINTS)  # min_domain_mass 0.95
    assert checks(iws.check("churn:1", data=window(extra_plan=0.03)), "categorical_values_check") == []
    outside = checks(iws.check("churn:1", data=window(extra_plan=0.08)), "categorical_values_check")
    assert [v["feature_name"] for v in outside] == ["plan"] and "'gold'" in outside[0]["description"]


def test_overrides_under_string_constraints_apply_to_their_feature(iws):
    iws.import_baseline("churn:1", STATISTICS, CONSTRAINTS)  # region: evaluate_constraints Disabled
    elsewhere = window().assign(region="apac")
    assert [v for v in iws.check("churn:1", data=elsewhere).violations if v["feature_name"] == "region"] == []
    statistics, constraints = documents()
    overrides = constraints["features"][2]["string_constraints"]["monitoring_config_overrides"]
    overrides["distribution_constraints"] = {"comparison_threshold": 0.5}
    iws.import_baseline("churn:1", statistics, constraints)
    assert checks(iws.check("churn:1", data=window(plans=(0.2, 0.6, 0.2))), "baseline_drift_check") == []


def _broken(path: str, value):
    """The documents with the field at ``path`` (``constraints.a.b[0].c``) set to ``value``."""
    statistics, constraints = documents()
    root, *keys = path.replace("[", ".").replace("]", "").split(".")
    doc = copy.deepcopy({"statistics": statistics, "constraints": constraints}[root])
    target = doc
    for key in keys[:-1]:
        target = target[int(key) if key.isdigit() else key]
    if value is KeyError:
        del target[keys[-1]]
    else:
        target[int(keys[-1]) if keys[-1].isdigit() else keys[-1]] = value
    return (doc, constraints) if root == "statistics" else (statistics, doc)


@pytest.mark.parametrize("path, value, message", [
    ("statistics.dataset", KeyError, "statistics.dataset must be an object, got NoneType"),
    ("statistics.features", [], "statistics.features is empty"),
    ("statistics.features[0].numerical_statistics.common.num_present", "many",
     "statistics.features[0].numerical_statistics.common.num_present must be a number, got str 'many'"),
    ("statistics.features[1].numerical_statistics.distribution.kll.sketch.data[2][3]", "x",
     "statistics.features[1].numerical_statistics.distribution.kll.sketch.data[2][3] must be a number"),
    ("statistics.features[2].string_statistics", KeyError,
     "statistics.features[2] ('plan') must have one of numerical_statistics or string_statistics"),
    ("statistics.features[3].name", "plan", "statistics.features[3].name 'plan' is given twice"),
    ("constraints.monitoring_config.distribution_constraints.min_domain_mass", 1.5,
     "constraints.monitoring_config.distribution_constraints.min_domain_mass must be between 0 and 1, got 1.5"),
    ("constraints.monitoring_config.distribution_constraints.enable_comparisons", "yes",
     "constraints.monitoring_config.distribution_constraints.enable_comparisons must be true or false"),
    ("constraints.features[3].string_constraints.monitoring_config_overrides.evaluate_constraints", "Off",
     "constraints.features[3].string_constraints.monitoring_config_overrides.evaluate_constraints must be "
     "one of 'Enabled', 'Disabled', got str 'Off'"),
    ("constraints.features[0].completeness", 2, "constraints.features[0].completeness must be between 0 and 1"),
])
def test_a_malformed_field_is_named_and_nothing_is_stored(iws, path, value, message):
    with pytest.raises(InvalidInput) as e:
        iws.import_baseline("churn:1", *_broken(path, value))
    assert message in str(e.value)
    with pytest.raises(BaselineNotFound):
        iws.baseline("churn:1")


def test_files_that_cannot_be_read_are_named(iws, tmp_path):
    with pytest.raises(InvalidInput, match="statistics: no such file .*missing.json"):
        iws.import_baseline("churn:1", tmp_path / "missing.json", CONSTRAINTS)
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(InvalidInput, match="constraints: .*broken.json' is not JSON"):
        iws.import_baseline("churn:1", STATISTICS, tmp_path / "broken.json")
    with pytest.raises(InvalidInput, match="statistics must be the path of Model Monitor's statistics.json"):
        iws.import_baseline("churn:1", 42, CONSTRAINTS)


def test_the_cli_and_the_magic_import_it(iws, shell, monkeypatch):
    from jupyter_mlops.cli import main

    result = CliRunner().invoke(main, ["-w", str(iws.home), "import-baseline", "churn:1",
                                       "--statistics", str(STATISTICS), "--constraints", str(CONSTRAINTS)])
    assert result.exit_code == 0, result.output
    first = iws.baseline("churn:1").id
    monkeypatch.setitem(shell.user_ns, "stats", documents()[0])
    shown = shell.run_line_magic("mlops", f"import-baseline churn:1 --statistics stats --constraints {CONSTRAINTS}")
    assert isinstance(shown, Baseline) and shown.id > first and shown.statistics == documents()[0]
