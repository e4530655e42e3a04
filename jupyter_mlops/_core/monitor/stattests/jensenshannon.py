"""Jensen-Shannon distance (natural log), equal to ``scipy.spatial.distance.jensenshannon`` on the
two frequency vectors.

Categorical columns: the counts over the union of categories (what Evidently passes). Numeric
columns: counts in 30 equal-width bins over the combined range, ``np.histogram_bin_edges`` of both
samples as Evidently bins them, read from the sorted samples with ``searchsorted``.
"""

from __future__ import annotations

import numpy as np

from .base import StatTest, TestResult, aligned_counts, sorted_finite

N_BINS = 30


def js_distance(p: np.ndarray, q: np.ndarray) -> float:
    from scipy.special import rel_entr

    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    p = p / p.sum()
    q = q / q.sum()
    m = (p + q) / 2.0
    js = rel_entr(p, m).sum() + rel_entr(q, m).sum()
    return float(np.sqrt(js / 2.0))


def js_from_counts(ref_counts: np.ndarray, cur_counts: np.ndarray) -> TestResult:
    return TestResult(js_distance(ref_counts, cur_counts))


def equal_width_counts(ref_sorted: np.ndarray, cur_sorted: np.ndarray, n_bins: int = N_BINS):
    """np.histogram counts of both sorted samples on the bins np.histogram_bin_edges gives the union."""
    lo = min(ref_sorted[0], cur_sorted[0])
    hi = max(ref_sorted[-1], cur_sorted[-1])
    edges = np.histogram_bin_edges(np.array([lo, hi]), bins=n_bins)
    return _bin_counts(ref_sorted, edges), _bin_counts(cur_sorted, edges), edges


def _bin_counts(s: np.ndarray, edges: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(s, edges, side="left")
    idx[-1] = s.size  # numpy's last bin is closed on the right
    return np.diff(idx)


def js_from_sorted(ref_sorted: np.ndarray, cur_sorted: np.ndarray, **_: object) -> TestResult:
    ref, cur, _ = equal_width_counts(ref_sorted, cur_sorted)
    return TestResult(js_distance(ref, cur))


def jensenshannon(reference, current, kind: str = "categorical") -> TestResult:
    if kind == "numeric":
        return js_from_sorted(sorted_finite(reference), sorted_finite(current))
    ref, cur, _ = aligned_counts(reference, current)
    return js_from_counts(ref, cur)


JENSEN_SHANNON = StatTest(
    name="jensenshannon",
    title="Jensen-Shannon distance",
    kinds=("categorical", "numeric"),
    default_threshold=0.1,
    score="statistic",
    numeric=js_from_sorted,
    categorical=js_from_counts,
    note="scipy.spatial.distance.jensenshannon (base e); numeric columns in 30 equal-width bins",
)
