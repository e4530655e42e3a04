"""Population Stability Index: sum over bins of (c - r) * ln(c / r) for the reference and current
shares r and c of each bin.

Numeric columns use 10 bins at the reference deciles (the credit-scoring convention, robust to
outliers), read from the sorted samples; categorical columns one bin per category. Empty bins get a
share of 0.0001 so that the logarithm stays finite (Evidently's ``feel_zeroes``).
"""

from __future__ import annotations

import numpy as np

from .base import StatTest, TestResult, aligned_counts, sorted_finite

N_BINS = 10
EMPTY_SHARE = 1e-4


def psi_from_counts(ref_counts: np.ndarray, cur_counts: np.ndarray) -> TestResult:
    r = np.asarray(ref_counts, dtype=np.float64)
    c = np.asarray(cur_counts, dtype=np.float64)
    r = r / r.sum()
    c = c / c.sum()
    r[r == 0] = EMPTY_SHARE
    c[c == 0] = EMPTY_SHARE
    return TestResult(float(np.sum((c - r) * np.log(c / r))))


def quantile_edges(ref_sorted: np.ndarray, n_bins: int = N_BINS) -> np.ndarray:
    """Interior bin edges at the reference quantiles (duplicates dropped for tied data)."""
    qs = np.quantile(ref_sorted, np.linspace(0, 1, n_bins + 1)[1:-1])
    return np.unique(qs)


def decile_counts(s: np.ndarray, interior_edges: np.ndarray) -> np.ndarray:
    # bins (-inf, e1], (e1, e2], ..., (ek, inf)
    idx = np.concatenate([[0], np.searchsorted(s, interior_edges, side="right"), [s.size]])
    return np.diff(idx)


def psi_from_sorted(ref_sorted: np.ndarray, cur_sorted: np.ndarray, **_: object) -> TestResult:
    edges = quantile_edges(ref_sorted)
    return psi_from_counts(decile_counts(ref_sorted, edges), decile_counts(cur_sorted, edges))


def psi(reference, current, kind: str = "numeric") -> TestResult:
    if kind == "numeric":
        return psi_from_sorted(sorted_finite(reference), sorted_finite(current))
    ref, cur, _ = aligned_counts(reference, current)
    return psi_from_counts(ref, cur)


PSI = StatTest(
    name="psi",
    title="Population Stability Index",
    kinds=("numeric", "categorical"),
    default_threshold=0.1,
    score="statistic",
    numeric=psi_from_sorted,
    categorical=psi_from_counts,
    note="10 reference-decile bins for numeric columns; empty bins count as 0.0001",
)
