"""Shadow traffic: a sampled copy of each production request goes to the shadow variants on one
background thread, after the answer was sent; their answers are never returned, only compared
with production's (agreement, latency) and captured under the shadow's own prefix."""

from __future__ import annotations

import time

import numpy as np

from ..inference import codec

MAX_BACKLOG = 1000  # shadows never build a backlog that would eat the endpoint's memory


class ShadowRunner:
    def __init__(self, runtime):
        self.runtime = runtime
        self._pool = None

    def submit(self, live, table, preds: np.ndarray, prod_seconds: float,
               inference_id: bytes | None) -> None:
        targets = live.router.shadow_targets()
        if not targets:
            return
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mlops-shadow")
        if self._pool._work_queue.qsize() > MAX_BACKLOG:
            return
        for name in targets:
            self._pool.submit(self._run, live, live.variants[name], table, preds, prod_seconds,
                              inference_id)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def _run(self, live, variant, table, preds, prod_seconds, inference_id) -> None:
        metrics = self.runtime.metrics
        t0 = time.perf_counter()
        try:
            out = variant.predict(table)
        except Exception:
            metrics.observe_shadow(variant.name, 0, prod_seconds, 0, 0, 0.0, True)
            return
        seconds = time.perf_counter() - t0
        agreed, diff = agreement(preds, out)
        metrics.observe_shadow(variant.name, seconds, prod_seconds, len(preds), agreed, diff, False)
        if live.capture_fraction and self.runtime.capture is not None:
            rows = table.array if table.array is not None else np.array(table.rows(), dtype=object)
            self.runtime.capture.put(variant.name, "text/csv", codec.encode(rows, "text/csv"),
                                     "application/json", codec.encode(out, "application/json"),
                                     inference_id.decode("latin-1") if inference_id else None)


def agreement(prod: np.ndarray, shadow: np.ndarray) -> tuple[int, float]:
    """Rows where production and shadow agree (numbers within 1e-6), and the summed |difference|."""
    if prod.shape != shadow.shape:
        return 0, float("nan")
    if prod.dtype.kind in "fc" or shadow.dtype.kind in "fc":
        try:
            a, b = prod.astype(float), shadow.astype(float)
            same = np.isclose(a, b, rtol=1e-6, atol=1e-9)
            same = same.reshape(len(prod), -1).all(axis=1)
            return int(same.sum()), float(np.abs(a - b).sum())
        except (TypeError, ValueError):
            pass
    same = (prod == shadow).reshape(len(prod), -1).all(axis=1)
    return int(same.sum()), float(len(prod) - int(same.sum()))
