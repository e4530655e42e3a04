"""What every drift test shares: its descriptor and the sample preparation the tests agree on.

Numeric tests take two *sorted* float64 arrays with the non-finite values already left out (NaN
and +/-inf are missing values: the completeness check reports them, the tests do not see them, as
in Evidently). Categorical tests take two aligned count vectors over the union of the categories
seen in either sample, so a category unseen in the baseline is simply a column whose reference count
is 0. Keeping the inputs in this form is what lets a stored reference profile skip the reference
sort and the reference counting on every check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["StatTest", "TestResult", "severity", "sorted_finite", "aligned_counts", "category_counts", "merge_counts"]

P_VALUE_FLOOR = 1e-300  # a p-value that underflowed to 0 still ranks (severity about 300 / -log10 t)


@dataclass(frozen=True)
class TestResult:
    statistic: float
    p_value: float | None = None


@dataclass(frozen=True)
class StatTest:
    """A drift test: what it is called, what it applies to and how its score is read."""

    name: str
    title: str
    kinds: tuple[str, ...]  # "numeric", "categorical"
    default_threshold: float
    score: str  # "p_value": drift when p < threshold; "statistic": drift when value >= threshold
    numeric: Callable[..., TestResult] | None = None
    categorical: Callable[[np.ndarray, np.ndarray], TestResult] | None = None
    note: str = ""

    @property
    def higher_is_drift(self) -> bool:
        return self.score == "statistic"

    def score_of(self, result: TestResult) -> float:
        return float(result.p_value if self.score == "p_value" else result.statistic)

    def drifted(self, result: TestResult, threshold: float | None = None) -> bool:
        t = self.default_threshold if threshold is None else float(threshold)
        s = self.score_of(result)
        return bool(s >= t) if self.higher_is_drift else bool(s < t)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "kinds": list(self.kinds),
            "default_threshold": self.default_threshold,
            "score": self.score,
            "higher_is_drift": self.higher_is_drift,
            "note": self.note,
        }


def severity(score_name: str, statistic: float | None, p_value: float | None, threshold: float) -> float | None:
    """How far a feature is past (or short of) its drift threshold, one scale for every test.

    * tests read by a distance or index (``score_name == "statistic"``: drift when value >= t):
      ``statistic / t``;
    * tests read by a p-value (drift when p < t): ``log(p) / log(t)``, i.e. -log10 p / -log10 t.

    Both are 0 for identical samples (distance 0, p-value 1), 1 at the threshold and grow with the
    evidence of drift (a feature with severity 3 is three thresholds away: for a p-value test,
    p = t**3), so features tested by different methods rank on one scale. None when the feature
    was not tested.
    """
    if score_name == "p_value":
        if p_value is None:
            return None
        t = min(max(float(threshold), P_VALUE_FLOOR), 1 - 1e-12)
        return float(np.log(max(float(p_value), P_VALUE_FLOOR)) / np.log(t))
    if statistic is None:
        return None
    return float(statistic) / max(float(threshold), 1e-12)


def sorted_finite(values: Any) -> np.ndarray:
    """Sorted float64 copy of ``values`` without NaN and +/-inf (one sort, slicing not masking)."""
    a = np.asarray(values, dtype=np.float64).ravel()
    n_nan = int(np.count_nonzero(np.isnan(a)))
    s = np.sort(a)
    # NaN sorts last, -inf first and +inf just before the NaNs: slice them off without a mask copy
    end = int(np.searchsorted(s[: s.size - n_nan], np.inf, side="left"))
    start = int(np.searchsorted(s[:end], -np.inf, side="right"))
    return s[start:end]


def aligned_counts(reference: Any, current: Any) -> tuple[np.ndarray, np.ndarray, list]:
    """Counts of each category in both samples over the union of their categories (missing left out)."""
    r_values, r_counts = category_counts(reference)
    c_values, c_counts = category_counts(current)
    return merge_counts(r_values, r_counts, c_values, c_counts)


def category_counts(values: Any) -> tuple[list, np.ndarray]:
    """(distinct values in order of first appearance, their counts), missing values left out: one
    hash pass (pandas' value_counts, the fastest counter for object and Arrow strings alike)."""
    import pandas as pd

    if not isinstance(values, pd.Series):
        values = pd.Series(np.asarray(values, dtype=object) if not isinstance(values, (pd.Index, pd.Categorical)) else values)
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)  # count the values, not unused categories
    vc = values.value_counts(dropna=True, sort=False)
    return [_plain(v) for v in vc.index], vc.to_numpy(dtype=np.int64)


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def merge_counts(r_values: list, r_counts: np.ndarray, c_values: list, c_counts: np.ndarray):
    """Align two (values, counts) pairs on the union of values: reference's order, then new ones."""
    index = {v: i for i, v in enumerate(r_values)}
    categories = list(r_values)
    cur = np.zeros(len(r_values) + len(c_values), dtype=np.int64)
    for v, n in zip(c_values, c_counts):
        i = index.get(v)
        if i is None:
            i = index[v] = len(categories)
            categories.append(v)
        cur[i] += int(n)
    k = len(categories)
    ref = np.zeros(k, dtype=np.int64)
    ref[: len(r_values)] = r_counts
    return ref, cur[:k], categories
