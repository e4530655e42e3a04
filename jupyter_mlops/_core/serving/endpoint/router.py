"""Which variant answers a request: TargetVariant first, else the weights (share = weight / sum).

With a sticky key (header ``X-Mlops-Route-Key``, or ``route-key=…`` in the SageMaker
CustomAttributes) the draw is a hash of the key, the same in every worker and every restart, so one
user keeps one variant while the weights stay the same.
"""

from __future__ import annotations

import bisect
import hashlib
import random


class NoVariant(Exception):
    pass


class Router:
    def __init__(self, weights: dict[str, float], shadows: dict[str, float] | None = None):
        self.weights = {k: float(v) for k, v in weights.items() if float(v) > 0}
        total = sum(self.weights.values())
        self.names = list(self.weights)
        self.cumulative: list[float] = []
        acc = 0.0
        for name in self.names:
            acc += self.weights[name] / total if total else 0.0
            self.cumulative.append(acc)
        if self.cumulative:
            self.cumulative[-1] = 1.0
        self.shadows = dict(shadows or {})  # shadow variant -> sampling fraction 0..1
        self._random = random.random

    def pick(self, key: str | None = None) -> str:
        if not self.names:
            raise NoVariant("The endpoint has no variant with a positive weight.")
        if len(self.names) == 1:
            return self.names[0]
        u = self._unit(key) if key else self._random()
        return self.names[min(bisect.bisect_right(self.cumulative, u), len(self.names) - 1)]

    @staticmethod
    def _unit(key: str) -> float:
        digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2.0 ** 64

    def shadow_targets(self) -> list[str]:
        return [name for name, frac in self.shadows.items() if frac > 0 and self._random() < frac]
