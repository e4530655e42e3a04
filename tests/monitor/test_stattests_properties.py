"""Property tests: on any samples (ties, NaN, infinities, tiny and lopsided sizes) our tests equal scipy's."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon as scipy_js

from jupyter_mlops._core.monitor.stattests import chisquare, jensenshannon, ks, wasserstein
from jupyter_mlops._core.monitor.stattests.base import aligned_counts

TOL = dict(abs=1e-9, rel=1e-9)
values = st.one_of(st.integers(-5, 5).map(float), st.floats(-1e6, 1e6, allow_nan=False, width=32),
                   st.sampled_from([np.nan, np.inf, -np.inf]))
samples = st.lists(values, min_size=1, max_size=60)


def finite(x):
    x = np.asarray(x, dtype=float)
    return x[np.isfinite(x)]


@settings(max_examples=300, deadline=None)
@given(samples, samples)
def test_ks_and_wasserstein_equal_scipy_on_any_samples(a, b):
    fa, fb = finite(a), finite(b)
    if not fa.size or not fb.size:
        return
    ref = stats.ks_2samp(fa, fb)
    ours = ks(a, b)
    assert ours.statistic == pytest.approx(ref.statistic, **TOL)
    assert ours.p_value == pytest.approx(ref.pvalue, **TOL)
    expected = stats.wasserstein_distance(fa, fb) / max(np.std(fa), 0.001)
    assert wasserstein(a, b).statistic == pytest.approx(expected, rel=1e-9, abs=1e-9 * max(1.0, abs(expected)))


categories = st.lists(st.one_of(st.sampled_from(["a", "b", "c", "d", "e"]), st.integers(0, 3), st.none()),
                      min_size=1, max_size=80)


@settings(max_examples=300, deadline=None)
@given(categories, categories)
def test_chi2_and_jensenshannon_equal_scipy_on_any_categories(a, b):
    ref, cur, _ = aligned_counts(np.asarray(a, dtype=object), np.asarray(b, dtype=object))
    if not ref.sum() or not cur.sum():
        return
    table = np.vstack([ref, cur])
    table = table[:, table.sum(axis=0) > 0]
    res = stats.chi2_contingency(table)
    ours = chisquare(np.asarray(a, dtype=object), np.asarray(b, dtype=object))
    assert ours.statistic == pytest.approx(res.statistic, **TOL)
    assert ours.p_value == pytest.approx(res.pvalue, **TOL)
    assert jensenshannon(np.asarray(a, dtype=object), np.asarray(b, dtype=object)).statistic == pytest.approx(
        scipy_js(table[0], table[1]), **TOL)


@settings(max_examples=300, deadline=None)
@given(samples, samples, st.integers(1, 7))
def test_the_bounded_chunk_search_gives_scipys_ks_statistic(a, b, chunk):
    # the chunked search (used from 4,096 current values) exercised on small samples
    from jupyter_mlops._core.monitor.stattests.ks import ks_statistic_from_sorted

    fa, fb = np.sort(finite(a)), np.sort(finite(b))
    if not fa.size or not fb.size:
        return
    expected = stats.ks_2samp(fa, fb, method="asymp").statistic
    assert ks_statistic_from_sorted(fa, fb, chunk=chunk) == pytest.approx(expected, abs=1e-12)
