"""Normalised Wasserstein-1 distance, as Evidently defines it: W1(ref, cur) / max(std(ref), 0.001).

W1 equals ``scipy.stats.wasserstein_distance`` (the integral of |F_ref - F_cur|), computed here as
the equal integral of |Q_ref(t) - Q_cur(t)| over t in (0, 1] of the two quantile functions. Both are
step functions with steps at i/n1 and j/n2; on the common scale n1*n2 those are the integers i*n2
and j*n1, whose merged order follows by integer arithmetic, so no search and no merge sort is
needed after the two sorts (and with n1 == n2 it is just mean(|ref - cur|)). The std is the
population std (ddof=0), as Evidently's ``np.std``.
"""

from __future__ import annotations

import numpy as np

from .base import StatTest, TestResult, sorted_finite

MIN_NORM = 0.001


def wasserstein_distance_from_sorted(ref_sorted: np.ndarray, cur_sorted: np.ndarray) -> float:
    a, b = ref_sorted, cur_sorted
    n1, n2 = a.size, b.size
    if n1 == n2:
        return float(np.abs(a - b).mean())
    i = np.arange(1, n1 + 1, dtype=np.int64)
    j = np.arange(1, n2 + 1, dtype=np.int64)
    below_a = (i * n2 - 1) // n1  # b-steps strictly before the a-step i*n2 (= index of b there)
    below_b = (j * n1 - 1) // n2  # a-steps strictly before the b-step j*n1 (= index of a there)
    at_or_below_b = (j * n1) // n2  # a-steps at or before it: ties put the a-step first
    pos_a = below_a + (i - 1)
    pos_b = at_or_below_b + (j - 1)
    steps = np.empty(n1 + n2, dtype=np.int64)
    steps[pos_a] = i * n2
    steps[pos_b] = j * n1
    ia = np.empty(n1 + n2, dtype=np.int64)
    ib = np.empty(n1 + n2, dtype=np.int64)
    ia[pos_a] = i - 1
    ib[pos_a] = below_a
    ia[pos_b] = below_b
    ib[pos_b] = j - 1
    widths = np.diff(steps, prepend=0)
    gaps = np.abs(a[ia] - b[ib])
    return float(np.dot(gaps, widths) / (float(n1) * float(n2)))


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
