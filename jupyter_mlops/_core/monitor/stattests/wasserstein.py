"""Normalised Wasserstein-1 distance, as Evidently defines it: W1(ref, cur) / max(std(ref), 0.001).

W1 is ``scipy.stats.wasserstein_distance``: the integral of |F_ref - F_cur| over the merged support,
computed from the sorted samples without scipy's two searchsorted passes over 2n points. The std is
the population std (ddof=0), the one numpy's ``np.std`` gives; ``ddof`` changes that.
"""

from __future__ import annotations

import numpy as np

from ._ecdf import merged_counts
from .base import StatTest, TestResult, sorted_finite

MIN_NORM = 0.001


def wasserstein_distance_from_sorted(ref_sorted: np.ndarray, cur_sorted: np.ndarray) -> float:
    n1, n2 = ref_sorted.size, cur_sorted.size
    merged, ref_le, cur_le = merged_counts(ref_sorted, cur_sorted)
    deltas = np.diff(merged)
    gap = ref_le[:-1] / n1
    gap -= cur_le[:-1] / n2
    np.abs(gap, out=gap)
    return float(np.dot(gap, deltas))


def wasserstein_from_sorted(
    ref_sorted: np.ndarray, cur_sorted: np.ndarray, *, ref_std: float | None = None, ddof: int = 0, **_: object
) -> TestResult:
    std = float(np.std(ref_sorted, ddof=ddof)) if ref_std is None else float(ref_std)
    norm = max(std, MIN_NORM)
    return TestResult(wasserstein_distance_from_sorted(ref_sorted, cur_sorted) / norm)


def wasserstein(reference, current, ddof: int = 0) -> TestResult:
    return wasserstein_from_sorted(sorted_finite(reference), sorted_finite(current), ddof=ddof)


WASSERSTEIN = StatTest(
    name="wasserstein",
    title="Wasserstein distance (normed)",
    kinds=("numeric",),
    default_threshold=0.1,
    score="statistic",
    numeric=wasserstein_from_sorted,
    note="scipy wasserstein_distance / max(std(reference), 0.001), as Evidently",
)
