"""Each drift test equals scipy's reference function on the same inputs, within 1e-9."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon as scipy_js

from jupyter_mlops._core.monitor.stattests import (
    CHI2, JENSEN_SHANNON, KS, PSI, STATTESTS, WASSERSTEIN, chisquare, get_stattest, jensenshannon, ks, psi, wasserstein,
)
from jupyter_mlops._core.monitor.stattests.base import aligned_counts
from jupyter_mlops._core.errors import InvalidInput

TOL = dict(abs=1e-9, rel=1e-9)
rng = np.random.default_rng(7)


def finite(x):
    x = np.asarray(x, dtype=float)
    return x[np.isfinite(x)]


NUMERIC_CASES = {
    "normal-shift": (rng.normal(size=800), rng.normal(0.3, 1.2, size=650)),
    "exact-small": (rng.normal(size=7), rng.normal(size=11)),
    "equal-sizes": (rng.normal(size=300), rng.normal(size=300)),
    "heavy-ties": (rng.integers(0, 6, 2000).astype(float), rng.integers(1, 7, 1500).astype(float)),
    "rounded-ties": (rng.normal(size=5000).round(1), rng.normal(0.05, size=4000).round(1)),
    "large-asymptotic": (rng.normal(size=30_000), rng.normal(0.02, size=25_000)),
    "far-tail": (rng.normal(size=40_000), rng.normal(0.1, size=30_000)),  # n D^2 > 14: the Kolmogorov limit
    "constant-reference": (np.full(500, 3.0), rng.normal(3, 1, 400)),
    "both-constant-equal": (np.full(50, 1.0), np.full(60, 1.0)),
    "both-constant-different": (np.full(50, 1.0), np.full(60, 2.0)),
    "one-value-each": (np.array([1.0]), np.array([2.0])),
    "with-nans-and-infs": (
        np.concatenate([rng.normal(size=900), [np.nan] * 40, [np.inf, -np.inf]]),
        np.concatenate([rng.normal(0.2, size=700), [np.nan] * 100]),
    ),
    "integers": (rng.poisson(3, 1200), rng.poisson(3.3, 1100)),
}


@pytest.mark.parametrize("case", list(NUMERIC_CASES))
def test_ks_equals_scipy_ks_2samp(case):
    a, b = NUMERIC_CASES[case]
    ours = ks(a, b)
    ref = stats.ks_2samp(finite(a), finite(b))
    assert ours.statistic == pytest.approx(ref.statistic, **TOL)
    assert ours.p_value == pytest.approx(ref.pvalue, **TOL)


@pytest.mark.parametrize("case", list(NUMERIC_CASES))
def test_wasserstein_equals_scipy_normalised_by_reference_std(case):
    a, b = NUMERIC_CASES[case]
    fa, fb = finite(a), finite(b)
    expected = stats.wasserstein_distance(fa, fb) / max(np.std(fa), 0.001)
    assert wasserstein(a, b).statistic == pytest.approx(expected, **TOL)


@pytest.mark.parametrize("case", list(NUMERIC_CASES))
def test_numeric_jensenshannon_equals_scipy_on_evidently_bins(case):
    a, b = NUMERIC_CASES[case]
    fa, fb = finite(a), finite(b)
    edges = np.histogram_bin_edges(np.concatenate([fa, fb]), bins=30)
    p = np.histogram(fa, edges)[0]
    q = np.histogram(fb, edges)[0]
    assert jensenshannon(a, b, kind="numeric").statistic == pytest.approx(scipy_js(p, q), **TOL)


def _table(a, b):
    """The 2 x k contingency table scipy is given: categories present in either sample."""
    a = pd.Series(a, dtype=object).dropna()
    b = pd.Series(b, dtype=object).dropna()
    cats = list(dict.fromkeys(list(a.unique()) + list(b.unique())))
    return np.array([[int((a == c).sum()) for c in cats], [int((b == c).sum()) for c in cats]])


CATEGORICAL_CASES = {
    "same-categories": (rng.choice(list("abc"), 600, p=[0.5, 0.3, 0.2]), rng.choice(list("abc"), 500, p=[0.4, 0.3, 0.3])),
    "unseen-in-baseline": (rng.choice(list("abc"), 400), rng.choice(list("abcde"), 300)),
    "disappearing": (rng.choice(list("abcd"), 400), rng.choice(list("ab"), 300)),
    "two-categories-yates": (rng.choice(["yes", "no"], 300), rng.choice(["yes", "no"], 200, p=[0.7, 0.3])),
    "one-category-each-same": (np.array(["x"] * 40), np.array(["x"] * 30)),
    "with-missing": (
        np.array(["a", "b", None, "a", np.nan, "c"] * 50, dtype=object),
        np.array(["a", None, "c", "c", "d"] * 40, dtype=object),
    ),
    "mixed-types": (np.array([1, "1", 2.5, "x", True] * 30, dtype=object), np.array([1, "x", "x", 2.5, "y"] * 30, dtype=object)),
    "small-counts": (np.array(["a", "b", "b"]), np.array(["b", "c"])),
}


@pytest.mark.parametrize("case", list(CATEGORICAL_CASES))
def test_chi2_equals_scipy_chi2_contingency(case):
    a, b = CATEGORICAL_CASES[case]
    table = _table(a, b)
    res = stats.chi2_contingency(table)
    ours = chisquare(a, b)
    assert ours.statistic == pytest.approx(res.statistic, **TOL)
    assert ours.p_value == pytest.approx(res.pvalue, **TOL)


@pytest.mark.parametrize("case", list(CATEGORICAL_CASES))
def test_categorical_jensenshannon_equals_scipy(case):
    a, b = CATEGORICAL_CASES[case]
    table = _table(a, b)
    assert jensenshannon(a, b).statistic == pytest.approx(scipy_js(table[0], table[1]), **TOL)


def test_aligned_counts_keep_reference_order_and_add_unseen_categories_last():
    ref, cur, cats = aligned_counts(["b", "a", "b"], ["a", "z", "z"])
    assert cats == ["b", "a", "z"]
    assert ref.tolist() == [2, 1, 0]
    assert cur.tolist() == [0, 1, 2]


def test_psi_matches_its_textbook_formula_on_reference_deciles():
    a = rng.normal(size=5000)
    b = rng.normal(0.4, size=4000)
    edges = np.quantile(a, np.linspace(0, 1, 11)[1:-1])
    bins = np.concatenate([[-np.inf], edges, [np.inf]])
    r = np.array([((a > lo) & (a <= hi)).sum() for lo, hi in zip(bins[:-1], bins[1:])]) / a.size
    c = np.array([((b > lo) & (b <= hi)).sum() for lo, hi in zip(bins[:-1], bins[1:])]) / b.size
    r = np.where(r == 0, 1e-4, r)
    c = np.where(c == 0, 1e-4, c)
    expected = np.sum((c - r) * np.log(c / r))
    assert psi(a, b).statistic == pytest.approx(expected, **TOL)
    assert psi(a, a).statistic == pytest.approx(0.0, abs=1e-12)
    # categorical PSI: one bin per category, empty bins at 0.0001
    assert psi(["a", "a", "b"], ["a", "b", "c", "c"], kind="categorical").statistic == pytest.approx(
        sum((c - r) * np.log(c / r) for r, c in [(2 / 3, 1 / 4), (1 / 3, 1 / 4), (1e-4, 1 / 2)]), **TOL
    )


def test_descriptors_say_what_each_test_is_and_how_to_read_it():
    assert set(STATTESTS) == {"ks", "chi2", "psi", "wasserstein", "jensenshannon"}
    assert KS.score == "p_value" and not KS.higher_is_drift and KS.default_threshold == 0.05
    assert CHI2.kinds == ("categorical",)
    assert WASSERSTEIN.higher_is_drift and WASSERSTEIN.default_threshold == 0.1
    assert set(JENSEN_SHANNON.kinds) == set(PSI.kinds) == {"numeric", "categorical"}
    assert KS.drifted(ks(np.arange(100.0), np.arange(100.0) + 50)) is True
    assert WASSERSTEIN.drifted(wasserstein(np.arange(100.0), np.arange(100.0) + 0.1)) is False
    assert get_stattest("chisquare") is CHI2 and get_stattest("JS") is JENSEN_SHANNON
    with pytest.raises(InvalidInput, match="Unknown drift method 'energy'"):
        get_stattest("energy")
