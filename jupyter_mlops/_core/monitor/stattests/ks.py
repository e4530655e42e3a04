"""Two-sample Kolmogorov-Smirnov test, equal to ``scipy.stats.ks_2samp`` (two-sided, method="auto").

The statistic is the largest gap between the two empirical CDFs, read from the sorted samples: without
ties from the counts of reference values at or below each current value (searched only in the chunks
of current values that can hold the extremes), with ties from the merged running counts (``_ecdf``).
The p-value is scipy's for the same sizes and statistic: exact when both samples have at most
10,000 values, else the asymptotic Kolmogorov distribution ``kstwo.sf(D, round(n*m/(n+m)))``.
In exact mode scipy reports D rounded to the lattice h/lcm(n, m); so do we. One shortcut: in the
far tail (n*D^2 >= 14, p < 1.4e-12 for sure) the p-value is the Kolmogorov limit, which differs from
scipy's finite-n value by less than 1.4e-12 and costs microseconds instead of up to 0.4 s.
"""

from __future__ import annotations

import math
import warnings
from functools import lru_cache

import numpy as np

from ._ecdf import count_le, merged_counts, run_ends
from .base import StatTest, TestResult, sorted_finite

MAX_EXACT_N = 10_000  # scipy's MAX_AUTO_N
FAR_TAIL_NX2 = 14.0  # n * D^2 beyond which every p-value here is < 2 exp(-28) = 1.4e-12


PRUNE_FROM = 4_096  # current sizes from which the bounded search pays off
PRUNE_CHUNK = 64  # tight bounds: a few dozen chunks searched (measured best of 64-1024)


def ks_statistic_from_sorted(ref_sorted: np.ndarray, cur_sorted: np.ndarray, chunk: int | None = None) -> float:
    a, b = ref_sorted, cur_sorted
    n1, n2 = a.size, b.size
    extremes = None
    within_ties = bool(np.any(a[1:] == a[:-1]) or np.any(b[1:] == b[:-1]))
    if not within_ties and (chunk is not None or n2 >= PRUNE_FROM):
        extremes = _extremes_pruned(a, b, chunk or PRUNE_CHUNK)
    if extremes is None and not within_ties:
        le_b = count_le(a, b)  # #reference <= each current value
        if not np.any(a.take(le_b - 1, mode="clip") == b):
            extremes = _extremes_distinct(le_b, n1, n2)
    if extremes is None:  # ties: read the CDFs at the end of each run of equal merged values
        merged, ref_le, cur_le = merged_counts(a, b)
        last = run_ends(merged)
        diffs = ref_le[last] / n1 - cur_le[last] / n2
        extremes = float(diffs.max()), float(diffs.min())
    max_s, min_d = extremes
    min_s = float(np.clip(-min_d, 0, 1))
    return min_s if min_s > max_s else max_s


def _extremes_distinct(le_b: np.ndarray, n1: int, n2: int) -> tuple[float, float]:
    """(max, min) of F - G when all values are distinct. F - G rises only at reference values and
    falls only at current ones, so its maximum is just before some current value b_j (or at the
    end, 0) and its minimum at some b_j. With j current values below b_j and le_b[j] reference
    values <= it, those are le_b[j]/n1 - j/n2 and le_b[j]/n1 - (j+1)/n2: the very divisions scipy
    evaluates at those data points."""
    f_at_b = le_b / n1
    max_s = max(float(np.max(f_at_b - _steps(n2, 0))), 0.0)
    min_d = min(float(np.min(np.subtract(f_at_b, _steps(n2), out=f_at_b))), 0.0)
    return max_s, min_d


def _extremes_pruned(a: np.ndarray, b: np.ndarray, chunk: int) -> tuple[float, float] | None:
    """The same extremes, searching only the chunks of current values that can hold them.

    For a chunk of current values b[first..last], le_b is between le_b at the previous chunk's end
    and at its own end, so le_b[j]/n1 - j/n2 <= ends/n1 - first/n2 and le_b[j]/n1 - (j+1)/n2 >=
    starts/n1 - (last+1)/n2. The values at chunk ends are exact, so every chunk whose bound cannot
    beat the best chunk-end value is skipped; the rest are searched exactly. Needs no ties within
    either sample (the caller checks); returns None on a current value equal to a reference value
    where it matters, and the caller falls back to the full computation."""
    n1, n2 = a.size, b.size
    last = np.arange(chunk - 1, n2, chunk)
    if not last.size or last[-1] != n2 - 1:
        last = np.append(last, n2 - 1)
    first = np.concatenate([[0], last[:-1] + 1])
    ends = np.searchsorted(a, b[last], side="right")
    starts = np.concatenate([[0], ends[:-1]])
    tie_at_end = a.take(ends - 1, mode="clip") == b[last]
    exact_max = ends / n1 - last / n2  # F - G just before b[last]: a data point's value if no tie there
    best_max = max(0.0, float(np.max(exact_max[~tie_at_end]))) if not tie_at_end.all() else 0.0
    exact_min = ends / n1 - (last + 1) / n2  # F - G at b[last]: always a data point's value
    best_min = min(0.0, float(exact_min.min()))
    upper = ends / n1 - first / n2
    lower = starts / n1 - (last + 1) / n2
    for k in np.flatnonzero((upper > best_max) | (lower < best_min)):
        seg = b[first[k]:last[k] + 1]
        le = np.searchsorted(a[starts[k]:ends[k]], seg, side="right") + starts[k]
        if np.any(a.take(le - 1, mode="clip") == seg):
            return None
        j = np.arange(first[k], last[k] + 1)
        f = le / n1
        best_max = max(best_max, float(np.max(f - j / n2)))
        best_min = min(best_min, float(np.min(f - (j + 1) / n2)))
    return best_max, best_min


@lru_cache(maxsize=4)
def _steps(n: int, first: int = 1) -> np.ndarray:
    """first/n, (first+1)/n, ...: an ECDF's values at its sorted points (first=1) or just before
    them (first=0), the same divisions scipy does; kept for the few sample sizes of a check."""
    out = np.arange(first, n + first) / n
    out.setflags(write=False)
    return out


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
    en = float(np.round(m * n / (m + n)))
    if en * d * d >= FAR_TAIL_NX2:
        # scipy's kstwo.sf here runs an O(n) exact sum (0.4 s at n = 500,000) for a value that the
        # Dvoretzky-Kiefer-Wolfowitz-Massart bound puts below 2 exp(-2 n d^2) <= 1.4e-12; the
        # Kolmogorov limit is below the same bound, so the two agree within 1.4e-12.
        from scipy.special import kolmogorov

        return float(d), float(np.clip(kolmogorov(np.sqrt(en) * d), 0, 1))
    return float(d), float(np.clip(distributions.kstwo.sf(d, en), 0, 1))


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
