"""The two empirical CDFs of a pair of sorted samples on their merged support, in O(n) after the sorts.

scipy evaluates both CDFs with ``searchsorted`` of all 2n points into each sample. Here the current
sample is placed into the reference once (one ``searchsorted`` of n sorted keys), the merged order
follows from it, and the CDF counts are running sums. Inside a run of tied values the running counts
are partial, so callers only read them at the last element of each run (KS) or multiply them by a
zero gap (Wasserstein): the numbers are then the ones scipy computes.
"""

from __future__ import annotations

import numpy as np


CHUNK = 8192


def count_le(ref_sorted: np.ndarray, cur_sorted: np.ndarray) -> np.ndarray:
    """For each current value, the number of reference values <= it (searchsorted 'right').

    Both sides are sorted, so each chunk of current values can only land between the positions of
    its neighbours: searching a chunk within that small slice of the reference stays in cache and
    takes ~12 steps instead of ~20 (about 25% faster at a million rows; the same integers)."""
    n2 = cur_sorted.size
    if n2 <= 2 * CHUNK:
        return np.searchsorted(ref_sorted, cur_sorted, side="right")
    out = np.empty(n2, dtype=np.intp)
    ends = np.searchsorted(ref_sorted, cur_sorted[CHUNK - 1::CHUNK], side="right")
    lo = 0
    for k, start in enumerate(range(0, n2, CHUNK)):
        hi = int(ends[k]) if k < ends.size else ref_sorted.size
        np.add(np.searchsorted(ref_sorted[lo:hi], cur_sorted[start:start + CHUNK], side="right"), lo,
               out=out[start:start + CHUNK])
        lo = hi
    return out


def merged_counts(ref_sorted: np.ndarray, cur_sorted: np.ndarray):
    """(merged values, #reference <= value, #current <= value) for every merged position."""
    n1, n2 = ref_sorted.size, cur_sorted.size
    pos_cur = count_le(ref_sorted, cur_sorted)
    pos_cur += np.arange(n2, dtype=pos_cur.dtype)
    from_cur = np.zeros(n1 + n2, dtype=bool)
    from_cur[pos_cur] = True
    merged = np.empty(n1 + n2, dtype=np.float64)
    merged[pos_cur] = cur_sorted
    merged[~from_cur] = ref_sorted
    cur_le = np.cumsum(from_cur, dtype=np.int64)
    ref_le = np.arange(1, n1 + n2 + 1, dtype=np.int64)
    ref_le -= cur_le
    return merged, ref_le, cur_le


def run_ends(merged: np.ndarray) -> np.ndarray:
    """Mask of the last position of each run of equal values."""
    last = np.empty(merged.size, dtype=bool)
    np.not_equal(merged[1:], merged[:-1], out=last[:-1])
    last[-1] = True
    return last
