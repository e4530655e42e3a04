"""Writes statistics.json here: a Model Monitor statistics file for the churn features whose numeric
sketches have several KLL levels (run: python tests/monitor/data/make_statistics.py).

The shape is Model Monitor's ("Schema for Statistics (statistics.json file)" in the SageMaker
docs; the SageMaker Python SDK's tests/data/monitor/statistics.json is one such file): per feature
``numerical_statistics`` with ``distribution.kll.buckets`` and ``distribution.kll.sketch``
(``parameters`` c and k, ``data`` a list of levels), or ``string_statistics`` with categorical
buckets. The sketches are made by the KLL compaction below (Karnin, Lang and Liberty 2016), not by
Model Monitor's container: level k's items each stand for 2**k values.

``tenure`` is the integers 0..9999 arriving in increasing order (a table sorted by signup), so the
old, small values end up compacted on the high levels and the recent, large ones stay on level 0:
reading the levels without their weights puts the median near 9,000 instead of 5,000.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

K, C = 64, 0.64


def kll_levels(stream, k: int = K, c: float = C) -> list[list[float]]:
    levels: list[list[float]] = [[]]
    flip = 0

    def capacity(h: int) -> int:
        return max(2, math.ceil(k * c ** (len(levels) - h - 1)))

    for x in stream:
        levels[0].append(float(x))
        while sum(map(len, levels)) > sum(capacity(h) for h in range(len(levels))):
            h = next(h for h in range(len(levels)) if len(levels[h]) >= capacity(h))
            if h + 1 == len(levels):
                levels.append([])
            items = sorted(levels[h])
            rest = [items.pop()] if len(items) % 2 else []  # an odd item waits on its level
            levels[h + 1].extend(items[flip::2])  # one of each pair, at twice the weight
            levels[h] = rest
            flip ^= 1
    return levels


def numeric(name: str, itype: str, values: np.ndarray, stream) -> dict:
    edges = np.linspace(values.min(), values.max(), 11)
    counts = np.histogram(values, edges)[0]
    return {"name": name, "inferred_type": itype, "numerical_statistics": {
        "common": {"num_present": int(values.size), "num_missing": 0},
        "mean": float(values.mean()), "sum": float(values.sum()), "std_dev": float(values.std()),
        "min": float(values.min()), "max": float(values.max()),
        "distribution": {"kll": {
            "buckets": [{"lower_bound": float(lo), "upper_bound": float(hi), "count": float(n)}
                        for lo, hi, n in zip(edges[:-1], edges[1:], counts)],
            "sketch": {"parameters": {"c": C, "k": float(K)}, "data": kll_levels(stream)}}}}}


def categorical(name: str, counts: dict[str, int]) -> dict:
    return {"name": name, "inferred_type": "String", "string_statistics": {
        "common": {"num_present": sum(counts.values()), "num_missing": 0},
        "distinct_count": float(len(counts)),
        "distribution": {"categorical": {"buckets": [{"value": v, "count": n} for v, n in counts.items()]}}}}


def main() -> None:
    n = 10_000
    tenure = np.arange(n)
    monthly = np.round(np.random.default_rng(7).normal(70, 20, n), 2)
    statistics = {"version": 0.0, "dataset": {"item_count": n}, "features": [
        numeric("tenure", "Integral", tenure, tenure),
        numeric("monthly", "Fractional", monthly, monthly),
        categorical("plan", {"basic": 5000, "plus": 3000, "pro": 2000}),
        categorical("region", {"eu": 6000, "us": 4000}),
    ]}
    out = Path(__file__).with_name("statistics.json")
    out.write_text(json.dumps(statistics, indent=2) + "\n")


if __name__ == "__main__":
    main()
