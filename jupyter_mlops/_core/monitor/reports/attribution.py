"""AttributionReport: mean |SHAP| per feature, baseline vs current, and the ranking's NDCG."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Report
from ...html import charts, table

MAX_BARS = 15


@dataclass(repr=False)
class AttributionReport(Report):
    target: str
    explainer: str
    baseline: dict[str, float]
    current: dict[str, float]
    ndcg: float
    threshold: float
    drifted: bool
    n_baseline: int
    n_current: int

    @property
    def title(self) -> str:
        return "Feature attribution drift" + (f" · {self.target}" if self.target else "")

    def status(self) -> str:
        return "alert" if self.drifted else "ok"

    def _ranks(self, d: dict[str, float]) -> dict[str, int]:
        return {f: i + 1 for i, f in enumerate(sorted(d, key=lambda k: -d[k]))}

    def summary(self) -> str:
        rb, rc = self._ranks(self.baseline), self._ranks(self.current)
        top_b = min(rb, key=rb.get)
        top_c = min(rc, key=rc.get)
        verdict = "Attribution drift" if self.drifted else "No attribution drift"
        moved = f"top feature now {top_c} (was {top_b})" if top_b != top_c else f"top feature still {top_c}"
        return f"{verdict}: NDCG {self.ndcg:.3f} ({'<' if self.drifted else '≥'} {self.threshold:g}); {moved}."

    def meta(self) -> str:
        return f"{self.explainer} explainer · mean |SHAP| on {self.n_baseline:,} baseline and {self.n_current:,} current rows"

    def to_frame(self):
        import pandas as pd

        rb, rc = self._ranks(self.baseline), self._ranks(self.current)
        rows = [{"feature": f, "baseline": self.baseline[f], "current": self.current.get(f),
                 "change": (self.current.get(f, 0.0) - self.baseline[f]), "rank_baseline": rb[f], "rank_current": rc.get(f)}
                for f in self.baseline]
        return pd.DataFrame(rows).set_index("feature").sort_values("rank_current")

    def _text_tables(self):
        return [("Features (by current rank)", self.to_frame())]

    def _body_html(self) -> str:
        from .charts import paired_bars

        df = self.to_frame()
        top = df.head(MAX_BARS)
        chart = paired_bars(list(top.index), top["baseline"].tolist(), top["current"].tolist(),
                            "mean |SHAP| by current rank", "mean |SHAP value|")
        rows = [[f, r.baseline, r.current, r.change, int(r.rank_baseline), int(r.rank_current)] for f, r in df.iterrows()]
        moved = {i for i, row in enumerate(rows) if row[4] != row[5]}
        return (charts([chart], width=460)
                + "<h4>Features</h4>"
                + table(["feature", "baseline", "current", "change", "rank (baseline)", "rank (current)"], rows, moved, {1, 2, 3, 4, 5}))
