"""Clarify's bias metrics on a table small enough to check by hand."""

import numpy as np
import pandas as pd
import pytest

from jupyter_mlops._core.errors import InvalidInput
from jupyter_mlops._core.monitor.bias import compute_bias

# facet a = "m" (6 rows), d = "f" (4 rows)
DATA = pd.DataFrame({"gender": ["m"] * 6 + ["f"] * 4})
LABELS = np.array([1, 1, 1, 0, 0, 0, 1, 0, 0, 0])
PREDS = np.array([1, 1, 0, 1, 0, 0, 1, 1, 0, 0])


def test_pre_and_post_training_metrics_match_clarifys_definitions():
    rep = compute_bias(DATA, LABELS, "gender", PREDS, facet_value="f")
    m = rep.groups["f"]
    assert (m["n_a"], m["n_d"]) == (6, 4)
    assert m["CI"] == pytest.approx((6 - 4) / 10)
    assert m["DPL"] == pytest.approx(3 / 6 - 1 / 4)
    assert m["DPPL"] == pytest.approx(3 / 6 - 2 / 4)
    assert m["DI"] == pytest.approx((2 / 4) / (3 / 6))
    assert m["AD"] == pytest.approx(4 / 6 - 3 / 4)  # m: 4 of 6 right; f: 3 of 4
    assert m["RD"] == pytest.approx(2 / 3 - 1 / 1)  # recall: m 2 of 3 positives, f 1 of 1
    assert m["DAR"] == pytest.approx(2 / 3 - 1 / 2)  # precision: m 2 of 3 predicted, f 1 of 2
    assert m["DCA"] == pytest.approx(3 / 3 - 1 / 2)  # observed / predicted positives


def test_labels_only_give_the_pre_training_metrics():
    rep = compute_bias(DATA, LABELS, "gender", facet_value="f")
    assert set(rep.groups["f"]) == {"n_a", "n_d", "CI", "DPL"}


def test_binary_facet_defaults_to_the_smaller_group_and_multi_valued_to_each_value():
    assert list(compute_bias(DATA, LABELS, "gender", PREDS).groups) == ["f"]
    data = pd.DataFrame({"region": ["n", "s", "e"] * 4})
    assert set(compute_bias(data, np.arange(12) % 2, "region").groups) == {"n", "s", "e"}


def test_bias_drift_against_baseline_values():
    baseline = {"gender": {"f": {"CI": 0.2, "DPL": 0.25, "DPPL": 0.0, "DI": 1.0, "AD": 0.1, "RD": 0.0, "DAR": 0.0, "DCA": 0.5}}}
    rep = compute_bias(DATA, LABELS, "gender", PREDS, facet_value="f", baseline=baseline)
    drifted = {d["metric"] for d in rep.drift}
    assert drifted == {"AD", "RD", "DAR"}  # -0.083 vs 0.1, -0.333 vs 0, 0.167 vs 0
    assert rep.status() == "alert" and "bias drift" in rep.summary()


def test_unknown_facet_is_a_clear_error():
    with pytest.raises(InvalidInput, match="Facet column 'age' is not in the data"):
        compute_bias(DATA, LABELS, "age")
