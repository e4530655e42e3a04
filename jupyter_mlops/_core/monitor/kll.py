"""Model Monitor's KLL sketch read back as quantiles.

A ``statistics.json`` numeric feature keeps ``distribution.kll.sketch.data``: a list of levels,
the items of level ``k`` each standing for ``2**k`` values of the data (KLL compacts a full level
by keeping every other sorted item, which then weighs twice as much). Flattening the levels
without their weights over-counts the recent, uncompacted values; here every item keeps its
weight, and the distribution is rebuilt as evenly spaced quantiles of the weighted items.

Without a sketch, the ``kll.buckets`` (bounds and counts) give the same kind of weighted items:
each bucket's midpoint weighs its count.

References: the Model Monitor docs, "Schema for Statistics (statistics.json file)"; Karnin, Lang
and Liberty, "Optimal Quantile Approximation in Streams" (2016), the KLL sketch.
"""

from __future__ import annotations

import numpy as np

QUANTILES = 2048  # as many points as the baselines made here keep (baseline.SKETCH_K)


def sketch_items(levels) -> tuple[np.ndarray, np.ndarray]:
    """(values, weights) of a sketch's ``data``: level k's items weigh 2**k."""
    values, weights = [], []
    for k, level in enumerate(levels or []):
        level = np.asarray(level, dtype=np.float64).ravel()
        values.append(level)
        weights.append(np.full(level.size, 2.0 ** k))
    if not values:
        return np.empty(0), np.empty(0)
    return np.concatenate(values), np.concatenate(weights)


def bucket_items(buckets) -> tuple[np.ndarray, np.ndarray]:
    """(values, weights) of ``kll.buckets``: each midpoint weighs its count."""
    mids = [(float(b["lower_bound"]) + float(b["upper_bound"])) / 2 for b in buckets or []]
    counts = [float(b["count"]) for b in buckets or []]
    return np.asarray(mids, dtype=np.float64), np.asarray(counts, dtype=np.float64)


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, n: int = QUANTILES) -> np.ndarray:
    """Sorted values at ``n`` evenly spaced ranks of the weighted distribution (fewer when the
    weights add up to less): with all weights 1 and few values, the values themselves."""
    keep = np.isfinite(values) & (weights > 0)
    values, weights = values[keep], weights[keep]
    if not values.size:
        return np.empty(0)
    order = np.argsort(values, kind="stable")
    values, cumulative = values[order], np.cumsum(weights[order])
    total = cumulative[-1]
    count = int(min(n, max(1, round(total))))
    ranks = (np.arange(count) + 0.5) * (total / count)
    return values[np.searchsorted(cumulative, ranks, side="right").clip(max=values.size - 1)]


def numeric_quantiles(kll: dict) -> np.ndarray:
    """The quantiles of one feature's ``distribution.kll`` (its sketch, else its buckets)."""
    data = (kll.get("sketch") or {}).get("data")
    values, weights = sketch_items(data) if data else bucket_items(kll.get("buckets"))
    return weighted_quantiles(values, weights)
