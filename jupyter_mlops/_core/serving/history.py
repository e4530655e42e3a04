"""An endpoint's recent history: per variant and per fixed interval (5 s by default, kept for an
hour: at most 720 intervals a variant), requests, errors and a latency histogram of that interval
alone, so a p99 over time is the p99 of each interval, not of everything since the start.

Nothing on the request path changes: every time a worker takes its metric snapshot (every 0.5 s,
``metrics.Metrics.snapshot``) the requests since the previous snapshot go into the interval the
snapshot falls in (so an interval's edges are exact to within half a second). Each worker keeps its
own intervals and shares them the way it shares its counters, through files: the intervals that
have ended are written to ``history/<worker>.json`` when one ends (a file at most every interval,
bounded by the retention), the one still open travels in the worker's report (``HISTORY_OPEN``).
Readers merge the workers' intervals by start time. History lives in the worker processes: a
restart of the endpoint (or of a worker) starts it afresh; nothing is kept on disk beyond the hour.

``MLOPS_ENDPOINT_HISTORY="resolution=1,retention=60"`` (seconds) changes the defaults, read by each
worker at start (the tests use short ones rather than waiting an hour).
"""

from __future__ import annotations

import math
import os
import threading
from typing import Any

from .metrics import NB, delta

RESOLUTION_S = 5.0
RETENTION_S = 3600.0
ENV = "MLOPS_ENDPOINT_HISTORY"
#: the key of a worker report holding the intervals not yet in its history file
HISTORY_OPEN = "history_open"


def settings(env: dict[str, str] | None = None) -> tuple[float, float]:
    """(resolution, retention) in seconds from ``MLOPS_ENDPOINT_HISTORY``, else the defaults."""
    text = (os.environ if env is None else env).get(ENV, "")
    values = {"resolution": RESOLUTION_S, "retention": RETENTION_S}
    for part in text.split(","):
        key, _, value = part.partition("=")
        if key.strip() in values:
            try:
                values[key.strip()] = max(0.1, float(value))
            except ValueError:
                pass  # a typo keeps the default: the endpoint must start anyway
    return values["resolution"], values["retention"]


class History:
    """One worker's intervals: ``{start: {variant: stats}}`` with stats as in ``metrics.py``."""

    def __init__(self, resolution: float = RESOLUTION_S, retention: float = RETENTION_S):
        self.resolution = float(resolution)
        self.retention = float(retention)
        self._buckets: dict[float, dict[str, dict[str, Any]]] = {}
        self._last: dict[str, dict[str, Any]] = {}
        self._flushed_until = -math.inf   # intervals starting before this are in the file
        self._ended_wire: dict[float, dict[str, Any]] = {}  # an ended interval never changes
        self._lock = threading.Lock()     # the reporter thread and /metrics both take snapshots

    def start_of(self, t: float) -> float:
        return math.floor(t / self.resolution) * self.resolution

    def record(self, now: float, cumulative: dict[str, dict[str, Any]]) -> None:
        """Add what the counters (``Metrics.variants``, cumulative) gained since the last call to
        the interval ``now`` falls in; drop intervals older than the retention."""
        with self._lock:
            gained = delta(cumulative, self._last)
            self._last = cumulative
            start = self.start_of(now)
            for variant, stats in gained.items():
                if not stats.get("requests"):  # errors are requests too: counted in "requests"
                    continue
                bucket = self._buckets.setdefault(start, {})
                into = bucket.get(variant)
                if into is None:
                    bucket[variant] = {k: (list(v) if isinstance(v, list) else v) for k, v in stats.items()}
                else:
                    for k, v in stats.items():
                        into[k] = [a + b for a, b in zip(into[k], v)] if isinstance(v, list) else into.get(k, 0) + v
            self._drop(now)

    def _drop(self, now: float) -> None:
        # keep retention / resolution intervals, the current one included (720 for an hour)
        oldest = self.start_of(now) - self.retention
        for start in [s for s in self._buckets if s <= oldest]:
            del self._buckets[start]
            self._ended_wire.pop(start, None)

    def take_ended(self, now: float) -> list[dict[str, Any]] | None:
        """Every ended interval (for the history file) when one has ended since the last call,
        else None: the file is rewritten only then."""
        with self._lock:
            self._drop(now)
            current = self.start_of(now)
            ended = [s for s in self._buckets if s < current]
            if not any(s >= self._flushed_until for s in ended):
                return None
            self._flushed_until = current
            for s in ended:
                if s not in self._ended_wire:
                    self._ended_wire[s] = wire(s, self._buckets[s])
            return [self._ended_wire[s] for s in sorted(ended)]

    def pending(self) -> list[dict[str, Any]]:
        """The intervals not yet in the history file (for the worker's report)."""
        with self._lock:
            return [wire(s, b) for s, b in sorted(self._buckets.items()) if s >= self._flushed_until]

    def everything(self) -> list[dict[str, Any]]:
        with self._lock:
            return [wire(s, b) for s, b in sorted(self._buckets.items())]

    def settings(self) -> dict[str, float]:
        return {"resolution": self.resolution, "retention": self.retention}


# -- the wire form: sparse histograms keep a file of an hour small ---------------------------------

def wire(start: float, variants: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"t": start, "variants": {name: {**{k: v for k, v in s.items() if k != "hist"},
                                            "hist": {str(i): c for i, c in enumerate(s.get("hist", [])) if c}}
                                     for name, s in variants.items()}}


def dense(hist: Any) -> list[int]:
    out = [0] * NB
    if isinstance(hist, dict):
        for i, c in hist.items():
            if 0 <= int(i) < NB:
                out[int(i)] += int(c)
    elif isinstance(hist, list):
        for i, c in enumerate(hist[:NB]):
            out[i] += int(c)
    return out


def merge_workers(per_worker: list[list[dict[str, Any]]]) -> dict[float, dict[str, dict[str, Any]]]:
    """``{start: {variant: stats}}`` summed over workers. Within one worker's list an interval may
    appear twice (read from its file and from its report while it was being written): the copy
    with more requests is the later one, and is the one kept."""
    merged: dict[float, dict[str, dict[str, Any]]] = {}
    for buckets in per_worker:
        own: dict[float, dict[str, Any]] = {}
        for b in buckets:
            t = float(b["t"])
            kept = own.get(t)
            if kept is None or _requests(b) > _requests(kept):
                own[t] = b
        for t, b in own.items():
            into = merged.setdefault(t, {})
            for name, s in b["variants"].items():
                stats = {"requests": int(s.get("requests", 0)), "errors": int(s.get("errors", 0)),
                         "client_errors": int(s.get("client_errors", 0)), "sum": float(s.get("sum", 0.0)),
                         "hist": dense(s.get("hist"))}
                if name not in into:
                    into[name] = stats
                else:
                    for k, v in stats.items():
                        into[name][k] = ([a + c for a, c in zip(into[name][k], v)] if isinstance(v, list)
                                         else into[name][k] + v)
    return dict(sorted(merged.items()))


def _requests(bucket: dict[str, Any]) -> int:
    return sum(int(s.get("requests", 0)) for s in bucket["variants"].values())


def shared(reports: list[dict[str, Any]], files: list[dict[str, Any]]) -> tuple[dict, float]:
    """(merged intervals, resolution) from the workers' reports and history files, read in that
    order (see the module's docstring)."""
    per_worker: dict[Any, list[dict[str, Any]]] = {}
    resolution = None
    for report in reports:
        per_worker.setdefault(report.get("index"), []).extend(report.get(HISTORY_OPEN) or [])
        resolution = resolution or (report.get("history") or {}).get("resolution")
    for document in files:
        per_worker.setdefault(document.get("index"), []).extend(document.get("buckets") or [])
        resolution = resolution or document.get("resolution")
    return merge_workers(list(per_worker.values())), float(resolution or RESOLUTION_S)


def rows(merged: dict[float, dict[str, dict[str, Any]]], resolution: float,
         since: float | None = None) -> list[dict[str, Any]]:
    """One row per interval and variant with traffic: start time (epoch seconds), requests,
    errors, req/s over the interval, error rate, and p50/p99 of that interval's latencies."""
    from .metrics import summarize

    out = []
    for t, variants in merged.items():
        if since is not None and t + resolution <= since:
            continue
        for name, stats in sorted(variants.items()):
            s = summarize(stats, resolution)
            out.append({"t": t, "variant": name, "requests": s["requests"], "errors": s["errors"],
                        "req_per_s": s["req_per_s"], "error_rate": s["error_rate"],
                        "p50_ms": s["p50_ms"], "p99_ms": s["p99_ms"]})
    return out
