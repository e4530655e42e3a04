"""SHAP attribution drift: the right explainer per model, mean |SHAP| per feature, Clarify's NDCG."""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsRegressor

from jupyter_mlops._core.monitor.attribution import attribution_drift, ndcg


def test_ndcg_is_one_for_the_same_ranking_and_drops_when_top_features_swap():
    base = {"a": 0.5, "b": 0.3, "c": 0.1, "d": 0.05}
    assert ndcg(base, {"a": 9, "b": 5, "c": 2, "d": 1}) == pytest.approx(1.0)
    swapped = ndcg(base, {"a": 0.1, "b": 0.6, "c": 0.2, "d": 0.0})
    dcg = 0.3 / np.log2(2) + 0.1 / np.log2(3) + 0.5 / np.log2(4) + 0.05 / np.log2(5)
    idcg = 0.5 / np.log2(2) + 0.3 / np.log2(3) + 0.1 / np.log2(4) + 0.05 / np.log2(5)
    assert swapped == pytest.approx(dcg / idcg)


def frames(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["x0", "x1", "x2", "x3"])
    y = 3 * X.x0 + 1 * X.x1 + 0.2 * X.x2
    current = X.copy()
    current["x0"] = current["x0"] * 0.05  # x0 stops varying: its attribution collapses
    current["x1"] = current["x1"] * 4
    return X, y, current


@pytest.mark.parametrize("make, explainer", [
    (lambda: RandomForestRegressor(n_estimators=20, max_depth=6, random_state=0), "tree"),
    (lambda: KNeighborsRegressor(), "permutation"),
])
def test_attribution_drift_is_flagged_when_the_ranking_changes(make, explainer):
    X, y, current = frames()
    model = make().fit(X, y)
    rep = attribution_drift(model, X, current, max_rows=200)
    assert rep.explainer == explainer
    assert max(rep.baseline, key=rep.baseline.get) == "x0" and max(rep.current, key=rep.current.get) == "x1"
    assert rep.drifted and rep.ndcg < 0.9 and rep.status() == "alert"
    frame = rep.to_frame()
    assert frame.loc["x0", "change"] < 0 < frame.loc["x1", "change"]
    assert "<svg" in rep._repr_html_()


def test_linear_models_use_the_linear_explainer_and_no_drift_on_fresh_data():
    X, y, _ = frames()
    model = LogisticRegression().fit(X, (y > 0).astype(int))
    fresh, _, _ = frames(seed=1)
    rep = attribution_drift(model, X, fresh)
    assert rep.explainer == "linear" and not rep.drifted and rep.ndcg > 0.99


def test_cached_baseline_attributions_are_reused():
    X, y, current = frames()
    model = RandomForestRegressor(n_estimators=10, random_state=0).fit(X, y)
    base = {"x0": 2.0, "x1": 1.0, "x2": 0.1, "x3": 0.0}
    rep = attribution_drift(model, X, current, baseline_attributions=base, max_rows=100)
    assert rep.baseline == base
