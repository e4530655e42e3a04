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

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{"endpoint": self.name, **v} for v in self.variants],
                            columns=["endpoint", "name", "ref", "weight", "role"])

    def _repr_html_(self) -> str:
        rows = [[v["name"], v.get("ref"), v.get("role", "production"), v.get("weight")]
                for v in self.variants]
        info = [("url", self.url), ("pid", self.pid), ("workers", self.workers),
                ("capture %", self.capture_percent), ("token", "required" if self.token_required
                                                      else "none")]
        sections = [("", html.kv_table(info)), ("variants", html.table(
            ["variant", "ref", "role", "weight"], rows))]
        if self.rollout:
            r = self.rollout
            sections.append(("rollout", html.kv_table(
                [(k, r.get(k)) for k in ("strategy", "variant", "status", "steps", "step", "bake",
                                         "guardrails", "reason") if r.get(k) is not None])))
        if self.status_reason:
            sections.append(("status", html.note(html.esc(self.status_reason))))
        return html.card(f"endpoint {self.name}", html.badge(self.status), sections)

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
