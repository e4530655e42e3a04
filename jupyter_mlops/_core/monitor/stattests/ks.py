"""Two-sample Kolmogorov-Smirnov test, equal to ``scipy.stats.ks_2samp`` (two-sided, method="auto").

The statistic is the largest gap between the two empirical CDFs, read from the sorted samples (see
``_ecdf``). The p-value is scipy's for the same sizes and statistic: exact when both samples have at
most 10,000 values, else the asymptotic Kolmogorov distribution ``kstwo.sf(D, round(n*m/(n+m)))``.
In exact mode scipy reports D rounded to the lattice h/lcm(n, m); so do we.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ._ecdf import merged_counts, run_ends
from .base import StatTest, TestResult, sorted_finite

MAX_EXACT_N = 10_000  # scipy's MAX_AUTO_N


def ks_statistic_from_sorted(ref_sorted: np.ndarray, cur_sorted: np.ndarray) -> float:
    n1, n2 = ref_sorted.size, cur_sorted.size
    merged, ref_le, cur_le = merged_counts(ref_sorted, cur_sorted)
    last = run_ends(merged)
    diffs = ref_le[last] / n1 - cur_le[last] / n2
    max_s = float(diffs.max())
    min_s = float(np.clip(-diffs.min(), 0, 1))
    return min_s if min_s > max_s else max_s


def ks_pvalue(d: float, n1: int, n2: int) -> tuple[float, float]:
    """(statistic as scipy reports it, two-sided p-value) for sizes n1, n2."""
    from scipy.stats import distributions

    if max(n1, n2) <= MAX_EXACT_N:
        exact = _scipy_exact()
        if exact is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ok, d_lattice, prob = exact(n1, n2, math.gcd(n1, n2), d, "two-sided")
            if ok:
                return float(d_lattice), float(np.clip(prob, 0, 1))
            d = d_lattice
    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    return float(d), float(np.clip(distributions.kstwo.sf(d, np.round(en)), 0, 1))


def _scipy_exact():
    # scipy's own exact path (a private helper, stable since 1.5); without it we fall back to the
    # asymptotic formula rather than reimplementing the lattice path counting
    try:
        from scipy.stats._stats_py import _attempt_exact_2kssamp
    except ImportError:  # pragma: no cover
        return None
    return _attempt_exact_2kssamp


def ks_from_sorted(ref_sorted: np.ndarray, cur_sorted: np.ndarray, **_: object) -> TestResult:
    d = ks_statistic_from_sorted(ref_sorted, cur_sorted)
    stat, p = ks_pvalue(d, ref_sorted.size, cur_sorted.size)
    return TestResult(stat, p)


def ks(reference, current) -> TestResult:
    """KS test on raw samples (missing and infinite values left out)."""
    return ks_from_sorted(sorted_finite(reference), sorted_finite(current))


KS = StatTest(
    name="ks",
    title="Kolmogorov-Smirnov",
    kinds=("numeric",),
    default_threshold=0.05,
    score="p_value",
    numeric=ks_from_sorted,
    note="two-sample, two-sided; equals scipy.stats.ks_2samp(method='auto')",
)
