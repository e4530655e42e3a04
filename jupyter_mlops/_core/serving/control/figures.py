"""What the kernel shows of endpoints: an ``Endpoint`` (its live status, variants and rollout),
the ``endpoints()`` listing with each one's last-minute figures, per-variant metrics and the
shadow report, all from the workers' reports merged (``serving/metrics.py``)."""

from __future__ import annotations

from typing import Any

from ..contract import EndpointConfig, EndpointPaths, read_json, read_worker_reports
from ..metrics import combine, delta, merge, percentile, summarize
from . import processes
from .records import EndpointRecord
from .results import Endpoint, ShadowReport

LISTING_COLUMNS = ["name", "status", "url", "variants", "req_per_s", "p50_ms", "p99_ms",
                   "error_rate", "async_queue", "cpu_percent", "rss_mb", "pid", "workers",
                   "serverless", "cold_starts", "last_cold_start_s", "reason"]


def live_status(record: EndpointRecord, alive: bool) -> tuple[str, str | None]:
    """(status, why) from the process itself; the row says only what it was last seen doing."""
    if record.status == "stopped":
        return "stopped", record.state.get("stop")  # which pids the stop ended, and how
    if alive:
        return "running", None
    if record.status in ("running", "starting"):
        code = processes.exit_status(record.pid)
        return "failed", (f"process {record.pid} exited with status {code}" if code is not None
                          else f"process {record.pid} is gone")
    return record.status, record.state.get("error")


def compiled_by_variant(paths: EndpointPaths) -> dict[str, str]:
    """Each loaded variant's ``compiled`` status (its engine, or "no (reason)") from the workers."""
    found: dict[str, str] = {}
    for report in read_worker_reports(paths):
        for name, status in (report.get("compiled") or {}).items():
            found.setdefault(name, status)
    return found


def describe(record: EndpointRecord, config: EndpointConfig, alive: bool,
             compiled: dict[str, str] | None = None, multi_model: dict | None = None) -> Endpoint:
    status, why = live_status(record, alive)
    if status == "running" and config.baking is not None:
        status = "updating"
    return Endpoint(
        name=record.name, url=record.url, port=record.port, pid=record.pid, status=status,
        variants=[{"name": v.name, "ref": v.ref, "weight": v.weight, "role": str(v.role),
                   "compiled": (compiled or {}).get(v.name)} for v in config.variants],
        rollout=config.rollout.public() if config.rollout else None,
        status_reason=why or config.status_reason, workers=int(config.workers),
        capture_percent=float(config.capture.percent), token_required=bool(config.token_hash),
        serverless=serverless_state(EndpointPaths(config.home, config.name), config, alive),
        multi_model=multi_model)


def serverless_state(paths: EndpointPaths, config: EndpointConfig, alive: bool) -> dict | None:
    """A serverless endpoint's settings and what its supervisor last wrote: ``state`` (warm,
    cold, starting), ``cold_starts``, ``last_cold_start_s``; None for an always-on endpoint."""
    if not config.serverless:
        return None
    state = (read_json(paths.serverless) or {}) if alive else {"state": "stopped"}
    # throttled: requests refused past max_concurrency since the workers last started
    throttled = sum(int(r.get("throttled") or 0) for r in read_worker_reports(paths)) if alive else None
    return {**config.serverless, **{k: state.get(k) for k in (
        "state", "cold_starts", "last_cold_start_s", "cold_since", "warm_workers")},
        "throttled": throttled}


def multi_model_figures(paths: EndpointPaths, config: EndpointConfig, alive: bool) -> dict | None:
    """A multi-model endpoint's limits and, while it runs, its cache figures over the workers:
    counts summed, models loaded now counted per worker, latency the slowest worker's."""
    if not config.multi_model:
        return None
    out: dict[str, Any] = {"deployed": len(config.variants), **config.multi_model}
    reports = [r["multi_model"] for r in read_worker_reports(paths) if r.get("multi_model")] \
        if alive else []
    if reports:
        out["loaded_now"] = sum(len(r["loaded"]) for r in reports)
        for key in ("loads", "evictions", "unloads", "hits", "misses"):
            out[key] = sum(r.get(key) or 0 for r in reports)
        for key in ("cold_p50_ms", "cold_p99_ms", "warm_p50_ms", "warm_p99_ms"):
            values = [r[key] for r in reports if r.get(key) is not None]
            out[key] = round(max(values), 3) if values else None
    return out


def last_minute(paths: EndpointPaths) -> dict[str, Any]:
    merged = merge(read_worker_reports(paths))
    window = delta(merged["variants"], merged["window"]["variants"])
    seconds = merged["t"] - (merged["window"]["t"] or merged["t"])
    return summarize(combine(window), seconds)


def listing(serving, records: list[EndpointRecord], stopped: bool = False):
    """The ``endpoints`` listing; an endpoint whose live status is "stopped" only with ``stopped``."""
    import pandas as pd

    from ...listing_frame import listing as listing_frame

    rows = []
    for record in records:
        name = record.name
        try:
            paths = serving.paths(name)
            if not paths.config.exists():
                continue
            ep = serving._describe(paths, record)
        except Exception:  # a half-deleted endpoint folder: leave it out of the listing
            continue
        if ep.status == "stopped" and not stopped:
            continue
        stats: dict[str, Any] = {}
        usage: dict[str, Any] = {}
        if ep.status in ("running", "updating"):
            paths = serving.paths(name)
            stats = last_minute(paths)
            workers = (read_json(paths.server) or {}).get("worker_pids") or []
            usage = processes.process_usage([ep.pid, *workers])
        rows.append({
            "name": name, "status": ep.status, "url": ep.url,
            "variants": multi_model_summary(ep.multi_model) if ep.multi_model else ", ".join(
                f"{v['name']}={v['weight']:g}" + (" (shadow)" if v["role"] == "shadow" else "")
                for v in ep.variants),
            "req_per_s": stats.get("req_per_s"), "p50_ms": stats.get("p50_ms"),
            "p99_ms": stats.get("p99_ms"), "error_rate": stats.get("error_rate"),
            "async_queue": async_depth(paths),
            "cpu_percent": usage.get("cpu_percent"), "rss_mb": usage.get("rss_mb"),
            "pid": ep.pid, "workers": ep.workers,
            "serverless": (ep.serverless or {}).get("state"),
            "cold_starts": (ep.serverless or {}).get("cold_starts"),
            "last_cold_start_s": (ep.serverless or {}).get("last_cold_start_s"),
            "reason": ep.status_reason})
    return listing_frame("endpoints", pd.DataFrame(rows, columns=LISTING_COLUMNS))


def multi_model_summary(m: dict) -> str:
    """The listing's variants cell of a multi-model endpoint."""
    text = f"multi-model: {m['deployed']} models"
    if m.get("max_models"):
        text += f", at most {m['max_models']} loaded"
    if m.get("loaded_now") is not None:
        text += f"; {m['loaded_now']} loaded, {m.get('loads', 0)} loads, {m.get('evictions', 0)} evictions"
    return text


def async_depth(paths: EndpointPaths) -> int:
    """Asynchronous requests waiting or running (read from the queue folder: a stopped endpoint
    shows the requests it will run when started again)."""
    from ..async_inference.queue import AsyncQueue

    depth = AsyncQueue(paths.dir / "async").depth()
    return depth["pending"] + depth["running"]


def variant_metrics(paths: EndpointPaths) -> dict[str, Any]:
    merged = merge(read_worker_reports(paths))
    window = delta(merged["variants"], merged["window"]["variants"])
    seconds = merged["t"] - (merged["window"]["t"] or merged["t"])
    return {"total": {k: summarize(v) for k, v in merged["variants"].items()},
            "last_minute": {k: summarize(v, seconds) for k, v in window.items()}}


def _ms(hist, q: float) -> float | None:
    value = percentile(hist, q)
    return None if value is None else value * 1000


def shadow_report(paths: EndpointPaths, config: EndpointConfig) -> ShadowReport:
    merged = merge(read_worker_reports(paths))
    production = []
    for name in config.production_weights():
        s = summarize(merged["variants"][name]) if merged["variants"].get(name) else {}
        production.append({"variant": name, "requests": s.get("requests", 0),
                           "p50_ms": s.get("p50_ms"), "p99_ms": s.get("p99_ms")})
    shadows = []
    for name, s in merged["shadow"].items():
        ok = s["compared"] - s["errors"]
        shadows.append({
            "variant": name, "requests": s["compared"], "errors": s["errors"],
            "rows": s["rows"], "agreement": (s["agreed_rows"] / s["rows"]) if s["rows"] else None,
            "mean_abs_diff": (s["abs_diff_sum"] / s["rows"]) if s["rows"] else None,
            "shadow_p50_ms": _ms(s["hist"], 0.5), "shadow_p99_ms": _ms(s["hist"], 0.99),
            "production_p50_ms": _ms(s["prod_hist"], 0.5) if ok else None,
            "production_p99_ms": _ms(s["prod_hist"], 0.99) if ok else None})
    return ShadowReport(paths.name, production, shadows)
