"""Result objects of the serving part: an ``Endpoint`` and a ``ShadowReport`` (see
``results.Result``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ... import html
from ...results import Result


@dataclass
class Endpoint(Result):
    name: str
    url: str | None
    port: int | None
    pid: int | None
    status: str
    variants: list[dict[str, Any]] = field(default_factory=list)
    rollout: dict[str, Any] | None = None
    status_reason: str | None = None
    workers: int = 1
    capture_percent: float = 0.0
    token_required: bool = False
    #: a serverless endpoint's settings, state (warm/cold), cold starts and the last one's seconds
    serverless: dict[str, Any] | None = None
    #: a multi-model endpoint: its limits, models loaded now, loads, evictions, cold and warm
    #: latency (summed or, for latency, the slowest worker's, over the workers); None otherwise
    multi_model: dict[str, Any] | None = None
    #: reads the recent request history (an ``EndpointHistory``) when the endpoint is displayed;
    #: set by serving, not a field: it is neither data nor on the wire
    history_source = None

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{"endpoint": self.name, **v} for v in self.variants],
                            columns=["endpoint", "name", "ref", "weight", "role", "compiled"])

    def _repr_html_(self) -> str:
        rows = [[v["name"], v.get("ref"), v.get("role", "production"), v.get("weight"),
                 v.get("compiled") or ""] for v in self.variants]
        info = [("url", self.url), ("pid", self.pid), ("workers", self.workers),
                ("capture %", self.capture_percent), ("token", "required" if self.token_required
                                                      else "none")]
        if self.serverless:
            s = self.serverless
            info += [("serverless", f"{s.get('state') or '?'}, idle after {s.get('idle'):g} s"),
                     ("cold starts", f"{s.get('cold_starts') or 0}" + (
                         f" (last {s['last_cold_start_s']:.2f} s)" if s.get("last_cold_start_s") else ""))]
            if s.get("max_concurrency"):
                info.append(("max concurrency", f"{s['max_concurrency']} ({s.get('throttled') or 0} "
                                                "throttled)"))
            if s.get("provisioned"):
                info.append(("provisioned", s["provisioned"]))
        sections = [("", html.kv_table(info)), ("variants", html.table(
            ["variant", "ref", "role", "weight", "compiled"], rows))]
        if self.multi_model:
            m = self.multi_model
            sections.append(("multi-model", html.kv_table(
                [(k, m.get(k)) for k in ("deployed", "max_models", "max_memory_mb", "loaded_now",
                                         "loads", "evictions", "cold_p50_ms", "warm_p50_ms")
                 if m.get(k) is not None])))
        if self.rollout:
            r = self.rollout
            sections.append(("rollout", html.kv_table(
                [(k, r.get(k)) for k in ("strategy", "variant", "status", "steps", "step", "bake",
                                         "guardrails", "reason") if r.get(k) is not None])))
        if self.status_reason:
            sections.append(("status", html.note(html.esc(self.status_reason))))
        sections += self._history_sections()
        return html.card(f"endpoint {self.name}", html.badge(self.status), sections)

    def _history_sections(self) -> list[tuple[str, str]]:
        """req/s and p99 over the last minutes, when there were requests."""
        if self.history_source is None:
            return []
        try:
            history = self.history_source()
        except Exception:  # a view never fails for want of its charts
            return []
        if not history.rows:
            return []
        return [(f"last {history.window_seconds() / 60:.0f} min", html.charts(history.charts(3.4, 1.7)))]

    def __repr__(self) -> str:
        variants = ", ".join(f"{v['name']}={v.get('weight', 0):g}"
                             + (" (shadow)" if v.get("role") == "shadow" else "")
                             for v in self.variants)
        text = f"Endpoint {self.name} [{self.status}] {self.url or ''} variants: {variants}"
        if self.status_reason:
            text += f"\n  {self.status_reason}"
        return text


@dataclass
class ShadowReport(Result):
    endpoint: str
    production: list[dict[str, Any]]
    shadows: list[dict[str, Any]]

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.shadows, columns=[
            "variant", "requests", "errors", "rows", "agreement", "mean_abs_diff",
            "shadow_p50_ms", "shadow_p99_ms", "production_p50_ms", "production_p99_ms"])

    def _repr_html_(self) -> str:
        df = self.to_frame()
        return html.card(f"shadow report: {self.endpoint}", "", [
            ("", html.table(list(df.columns), df.itertuples(index=False)))])

    def __repr__(self) -> str:
        if not self.shadows:
            return f"ShadowReport({self.endpoint}): no shadow variant"
        return f"ShadowReport({self.endpoint})\n{self.to_frame().to_string(index=False)}"


@dataclass(frozen=True, repr=False)
class GroundTruthUpload(Result):
    """What ``ground_truth`` stored: how many labels, and how they met the captured requests."""

    endpoint: str
    #: labels written (one per inference id: of ids given twice, the last)
    labels: int
    #: labels whose inference id is a captured request of the endpoint
    matched: int
    #: labels naming no captured request (kept: they join once such a request is captured)
    unmatched: int
    unmatched_ids: list[str]
    #: inference ids given more than once in this upload (the last label kept)
    repeated: int
    repeated_ids: list[str]
    #: inference ids an earlier upload labelled: this label replaces that one
    relabelled: int
    path: str

    def summary(self) -> str:
        text = f"{self.labels:,} label(s) for endpoint {self.endpoint}: {self.matched:,} matched captured requests"
        if self.unmatched:
            text += f"; {self.unmatched:,} name no captured request ({_some(self.unmatched_ids, self.unmatched)})"
        if self.repeated:
            text += (f"; {self.repeated:,} id(s) were given twice, the last label kept "
                     f"({_some(self.repeated_ids, self.repeated)})")
        if self.relabelled:
            text += f"; {self.relabelled:,} replace(s) labels uploaded before"
        return text + "."

    def _repr_html_(self) -> str:
        tone = "warn" if self.unmatched or self.repeated else "ok"
        rows = [("labels", self.labels), ("matched", self.matched), ("unmatched", self.unmatched),
                ("given twice (last kept)", self.repeated), ("replacing earlier labels", self.relabelled),
                ("file", self.path)]
        return html.card(f"ground truth: {self.endpoint}", html.badge(f"{self.matched} matched", tone),
                         [("", html.kv_table(rows)), ("", html.note(html.esc(self.summary()), tone))])

    def __repr__(self) -> str:
        return f"<GroundTruthUpload {self.summary()}>"


def _some(ids: list[str], count: int, shown: int = 3) -> str:
    """The first ``shown`` of ``count`` ids, and an ellipsis when there are more."""
    return ", ".join(ids[:shown]) + (", …" if count > shown else "")
