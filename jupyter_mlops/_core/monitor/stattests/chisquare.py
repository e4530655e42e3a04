"""Two-sample chi-squared test of homogeneity, equal to ``scipy.stats.chi2_contingency`` on the
2 x k table [reference counts, current counts] (Yates' correction when k == 2, as scipy's default).

Not Evidently's one-sample ``chisquare`` (current counts against expected reference proportions),
which treats the reference as exact and so rejects far too often under no drift at large n.
"""

from __future__ import annotations

import numpy as np

from .base import StatTest, TestResult, aligned_counts


def chi2_from_counts(ref_counts: np.ndarray, cur_counts: np.ndarray) -> TestResult:
    from scipy.stats import chi2 as chi2_dist

    keep = (ref_counts + cur_counts) > 0  # a category seen in neither sample has no cell
    observed = np.vstack([ref_counts[keep], cur_counts[keep]]).astype(np.float64)
    k = observed.shape[1]
    dof = k - 1
    if dof == 0:
        return TestResult(0.0, 1.0)
    total = observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / total
    if dof == 1:
        diff = expected - observed
        observed = observed + np.minimum(0.5, np.abs(diff)) * np.sign(diff)
    stat = float(((observed - expected) ** 2 / expected).sum())
    return TestResult(stat, float(chi2_dist.sf(stat, dof)))


def chisquare(reference, current) -> TestResult:
    ref, cur, _ = aligned_counts(reference, current)
    return chi2_from_counts(ref, cur)


CHI2 = StatTest(
    name="chi2",
    title="Chi-squared (two-sample)",
    kinds=("categorical",),
    default_threshold=0.05,
    score="p_value",
    categorical=chi2_from_counts,
    note="homogeneity test on the 2 x k contingency table; equals scipy.stats.chi2_contingency",
)
