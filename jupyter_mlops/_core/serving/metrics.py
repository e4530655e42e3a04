"""Per-variant counters and latency histograms, kept as plain ints on the hot path.

Each worker writes a snapshot (cumulative counts plus the counts of about a minute ago) to
``workers/<index>.json``; readers (``/metrics`` in any worker, the rollout controller, and
``ws.endpoints()`` in the kernel) merge the snapshots of all workers, so metrics aggregate over
``--workers N`` without shared memory.
"""

from __future__ import annotations

import bisect
import collections
import copy
import math
import threading
import time
from typing import Any

# upper bounds in seconds; the last bucket is +Inf
BUCKETS = (0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075,
           0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
           60.0)
NB = len(BUCKETS) + 1


def _new_stats() -> dict[str, Any]:
    return {"requests": 0, "errors": 0, "client_errors": 0, "sum": 0.0, "hist": [0] * NB}


def _new_shadow() -> dict[str, Any]:
    return {"compared": 0, "agreed": 0, "rows": 0, "agreed_rows": 0, "abs_diff_sum": 0.0,
            "errors": 0, "hist": [0] * NB, "prod_hist": [0] * NB}


class Metrics:
    def __init__(self, window_seconds: float = 60.0, history=None):
        self.variants: dict[str, dict[str, Any]] = {}
        #: a ``history.History`` fed at every snapshot (off the request path), or None
        self.history = history
        self._snapshot_lock = threading.Lock()  # two snapshots at once would feed it out of order
        self.shadow: dict[str, dict[str, Any]] = {}
        self.started = time.time()
        self._ring: collections.deque = collections.deque()
        self.window_seconds = window_seconds

    def observe(self, variant: str, seconds: float, status: int) -> None:
        s = self.variants.get(variant)
        if s is None:
            s = self.variants[variant] = _new_stats()
        s["requests"] += 1
        s["sum"] += seconds
        s["hist"][bisect.bisect_left(BUCKETS, seconds)] += 1
        if status >= 500 or status == 424:
            s["errors"] += 1
        elif status >= 400:
            s["client_errors"] += 1

    def observe_shadow(self, variant: str, seconds: float, prod_seconds: float,
                       rows: int, agreed_rows: int, abs_diff: float, failed: bool) -> None:
        s = self.shadow.get(variant)
        if s is None:
            s = self.shadow[variant] = _new_shadow()
        s["compared"] += 1
        if failed:
            s["errors"] += 1
            return
        s["rows"] += rows
        s["agreed_rows"] += agreed_rows
        s["agreed"] += int(agreed_rows == rows)
        s["abs_diff_sum"] += abs_diff
        s["hist"][bisect.bisect_left(BUCKETS, seconds)] += 1
        s["prod_hist"][bisect.bisect_left(BUCKETS, prod_seconds)] += 1

    def counters(self) -> dict[str, dict[str, Any]]:
        """A copy of the per-variant counters, taken from any thread."""
        return _copied(self.variants)

    def snapshot(self) -> dict[str, Any]:
        with self._snapshot_lock:
            now = time.time()
            current = {"variants": _copied(self.variants), "shadow": _copied(self.shadow)}
            if self.history is not None:
                self.history.record(now, current["variants"])
            return self._windowed(now, current)

    def _windowed(self, now: float, current: dict[str, Any]) -> dict[str, Any]:
        self._ring.append((now, current))
        while len(self._ring) > 1 and now - self._ring[0][0] > self.window_seconds:
            self._ring.popleft()
        t0, old = self._ring[0]
        return {"t": now, "started": self.started, **current,
                "window": {"t": t0 if t0 < now else self.started, **(old if t0 < now else
                                                                     {"variants": {}, "shadow": {}})}}


def _copied(stats: dict) -> dict:
    for _ in range(5):  # the event loop may add a variant while another thread copies
        try:
            return copy.deepcopy(stats)
        except RuntimeError:
            continue
    return copy.deepcopy(dict(stats))


# -- reading snapshots -------------------------------------------------------------------------

#: The key of a worker report holding its counters as they were when it applied a rollout step:
#: ``{"step": [rollout id, step], "generation": n, "variants": {...}}``.
STEP_BASELINE = "step_baseline"


def since_step(reports: list[dict[str, Any]], step: list) -> dict[str, Any]:
    """Per-variant stats since each worker applied ``step`` ([rollout id, step index]), summed
    over the workers that have applied it: a step's bake counts from its first request on."""
    out: dict[str, Any] = {}
    for report in reports:
        baseline = report.get(STEP_BASELINE) or {}
        if baseline.get("step") == list(step):
            _add_into(out, delta(report.get("variants", {}), baseline.get("variants")))
    return out


def merge(snapshots: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"variants": {}, "shadow": {}, "window": {"variants": {}, "t": None},
                           "t": max((s.get("t", 0) for s in snapshots), default=time.time())}
    for snap in snapshots:
        _add_into(out["variants"], snap.get("variants", {}))
        _add_into(out["shadow"], snap.get("shadow", {}))
        w = snap.get("window") or {}
        _add_into(out["window"]["variants"], w.get("variants", {}))
        if w.get("t") is not None:
            out["window"]["t"] = min(out["window"]["t"] or w["t"], w["t"])
    return out


def _add_into(target: dict, source: dict) -> None:
    for name, stats in source.items():
        if name not in target:
            target[name] = copy.deepcopy(stats)
            continue
        t = target[name]
        for k, v in stats.items():
            if isinstance(v, list):
                t[k] = [a + b for a, b in zip(t[k], v)]
            else:
                t[k] = t.get(k, 0) + v


def delta(now: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any]:
    """Per-variant stats between two merged variant dicts."""
    out = {}
    before = before or {}
    for name, s in now.items():
        b = before.get(name)
        if b is None:
            out[name] = copy.deepcopy(s)
            continue
        out[name] = {k: ([x - y for x, y in zip(v, b[k])] if isinstance(v, list) else v - b.get(k, 0))
                     for k, v in s.items()}
    return out


def percentile(hist: list[int], q: float) -> float | None:
    """Estimated q-quantile (0..1) in seconds, interpolating inside the bucket."""
    total = sum(hist)
    if total == 0:
        return None
    rank = q * total
    acc = 0
    for i, count in enumerate(hist):
        if count and acc + count >= rank:
            lo = BUCKETS[i - 1] if i > 0 else 0.0
            hi = BUCKETS[i] if i < len(BUCKETS) else BUCKETS[-1] * 2
            return lo + (hi - lo) * max(0.0, (rank - acc)) / count
        acc += count
    return BUCKETS[-1]


def summarize(stats: dict[str, Any], seconds: float | None = None) -> dict[str, Any]:
    req = stats.get("requests", 0)
    p50, p99 = percentile(stats.get("hist", []), 0.5), percentile(stats.get("hist", []), 0.99)
    return {
        "requests": req,
        "errors": stats.get("errors", 0),
        "client_errors": stats.get("client_errors", 0),
        "error_rate": (stats.get("errors", 0) / req) if req else 0.0,
        "req_per_s": (req / seconds) if seconds and seconds > 0 else None,
        "p50_ms": None if p50 is None else p50 * 1000,
        "p99_ms": None if p99 is None else p99 * 1000,
    }


def combine(per_variant: dict[str, Any]) -> dict[str, Any]:
    total = _new_stats()
    for s in per_variant.values():
        for k in ("requests", "errors", "client_errors", "sum"):
            total[k] += s.get(k, 0)
        total["hist"] = [a + b for a, b in zip(total["hist"], s.get("hist", [0] * NB))]
    return total


# -- Prometheus text format ------------------------------------------------------------------

def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus_text(endpoint: str, merged: dict[str, Any], processes: list[dict[str, Any]]) -> str:
    ep = _label(endpoint)
    lines = [
        "# HELP mlops_requests_total Requests answered, per variant.",
        "# TYPE mlops_requests_total counter",
    ]
    variants = merged.get("variants", {})
    for name, s in sorted(variants.items()):
        lines.append(f'mlops_requests_total{{endpoint="{ep}",variant="{_label(name)}"}} {s["requests"]}')
    lines += ["# HELP mlops_errors_total Failed requests, per variant and kind "
              "(model: 5xx or a model error; client: 4xx).",
              "# TYPE mlops_errors_total counter"]
    for name, s in sorted(variants.items()):
        v = _label(name)
        lines.append(f'mlops_errors_total{{endpoint="{ep}",variant="{v}",kind="model"}} {s["errors"]}')
        lines.append(f'mlops_errors_total{{endpoint="{ep}",variant="{v}",kind="client"}} '
                     f'{s["client_errors"]}')
    lines += ["# HELP mlops_request_duration_seconds Time from request to response, per variant.",
              "# TYPE mlops_request_duration_seconds histogram"]
    for name, s in sorted(variants.items()):
        v = _label(name)
        acc = 0
        for bound, count in zip(list(BUCKETS) + [math.inf], s["hist"]):
            acc += count
            le = "+Inf" if bound == math.inf else repr(bound)
            lines.append(f'mlops_request_duration_seconds_bucket{{endpoint="{ep}",variant="{v}",'
                         f'le="{le}"}} {acc}')
        lines.append(f'mlops_request_duration_seconds_sum{{endpoint="{ep}",variant="{v}"}} {s["sum"]}')
        lines.append(f'mlops_request_duration_seconds_count{{endpoint="{ep}",variant="{v}"}} '
                     f'{s["requests"]}')
    shadow = merged.get("shadow", {})
    if shadow:
        lines += ["# HELP mlops_shadow_requests_total Requests copied to a shadow variant.",
                  "# TYPE mlops_shadow_requests_total counter"]
        for name, s in sorted(shadow.items()):
            lines.append(f'mlops_shadow_requests_total{{endpoint="{ep}",variant="{_label(name)}"}} '
                         f'{s["compared"]}')
        lines += ["# HELP mlops_shadow_agreement_ratio Share of rows where the shadow agreed.",
                  "# TYPE mlops_shadow_agreement_ratio gauge"]
        for name, s in sorted(shadow.items()):
            ratio = s["agreed_rows"] / s["rows"] if s["rows"] else 0.0
            lines.append(f'mlops_shadow_agreement_ratio{{endpoint="{ep}",variant="{_label(name)}"}} '
                         f'{ratio}')
    lines += ["# HELP process_cpu_seconds_total CPU time of each worker process.",
              "# TYPE process_cpu_seconds_total counter"]
    for p in processes:
        lines.append(f'process_cpu_seconds_total{{endpoint="{ep}",worker="{p["index"]}"}} '
                     f'{p.get("cpu_seconds", 0.0)}')
    lines += ["# HELP process_resident_memory_bytes Resident memory of each worker process.",
              "# TYPE process_resident_memory_bytes gauge"]
    for p in processes:
        lines.append(f'process_resident_memory_bytes{{endpoint="{ep}",worker="{p["index"]}"}} '
                     f'{p.get("rss_bytes", 0)}')
    return "\n".join(lines) + "\n"
