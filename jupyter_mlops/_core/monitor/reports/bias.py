"""BiasReport: Clarify's pre- and post-training bias metrics per facet value, with bias drift."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base import Report
from ...html import charts, esc, table

NAMES = {"CI": "class imbalance", "DPL": "diff. positive labels", "DPPL": "diff. positive predictions",
         "DI": "disparate impact", "AD": "accuracy difference", "RD": "recall difference",
         "DAR": "precision difference", "DCA": "diff. conditional acceptance"}
# the values Clarify calls balanced; beyond these a metric is highlighted
FAIR = {"DI": (0.8, 1.25)}
LIMIT = 0.1


@dataclass(repr=False)
class BiasReport(Report):
    target: str
    facet: str
    label_value: Any
    groups: dict[str, dict[str, float | None]]
    baseline: dict[str, dict] = field(default_factory=dict)
    drift: list[dict[str, Any]] = field(default_factory=list)
    tolerance: float = 0.1
    n: int = 0
    has_predictions: bool = True

    @property
    def title(self) -> str:
        return f"Bias · facet {self.facet}" + (f" · {self.target}" if self.target else "")

    def flagged(self) -> list[tuple[str, str, float]]:
        out = []
        for g, m in self.groups.items():
            for k, v in m.items():
                if k in NAMES and v is not None:
                    lo, hi = FAIR.get(k, (-LIMIT, LIMIT))
                    if not lo <= v <= hi:
                        out.append((g, k, v))
        return out

    def status(self) -> str:
        if self.drift:
            return "alert"
        return "warn" if self.flagged() else "ok"

    def summary(self) -> str:
        f = self.flagged()
        parts = [f"{len(self.groups)} group(s) of {self.facet} on {self.n:,} rows (positive label {self.label_value!r})"]
        if f:
            g, k, v = max(f, key=lambda t: abs(t[2] - (1.0 if t[1] == 'DI' else 0.0)))
            parts.append(f"{len(f)} metric(s) outside the balanced range, largest {k} = {v:.3f} for {self.facet}={g}")
        else:
            parts.append("all metrics within the balanced range")
        if self.baseline:
            parts.append(f"{len(self.drift)} bias drift(s) against the baseline" if self.drift else "no bias drift against the baseline")
        return "; ".join(parts) + "."

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.groups).T.rename_axis(f"{self.facet} (d)")

    def _text_tables(self):
        import pandas as pd

        tables = [("Metrics per group", self.to_frame())]
        if self.drift:
            tables.append(("Bias drift against the baseline", pd.DataFrame(self.drift)))
        return tables

    def _body_html(self) -> str:
        metrics = [k for k in NAMES if any(k in m for m in self.groups.values())]
        flagged = {(g, k) for g, k, _ in self.flagged()}
        rows = []
        for g, m in self.groups.items():
            row = [g, m.get("n_d"), m.get("n_a")]
            row.extend(m.get(k) for k in metrics)
            rows.append(row)
        head = ["d = " + self.facet, "n_d", "n_a"] + metrics
        out = table(head, rows, numeric=set(range(1, len(head))))
        g0 = next(iter(self.groups))
        base0 = self.baseline.get(g0) or {}
        shown = [k for k in metrics if self.groups[g0].get(k) is not None]
        if shown:
            from .charts import paired_bars

            chart = paired_bars(shown, [base0.get(k) or 0.0 for k in shown], [self.groups[g0][k] for k in shown],
                                f"{self.facet}={g0} vs the rest" + (" (grey: baseline)" if base0 else ""), "metric value")
            out = charts([chart], width=420) + out
        legend = " · ".join(f"<b>{k}</b> {esc(v)}" for k, v in NAMES.items() if k in metrics)
        out = f'<div class="mlops-meta">{legend}</div>' + out
        if flagged:
            out += "<h4>Outside the balanced range (|x| > 0.1; DI outside [0.8, 1.25])</h4><ul>" + "".join(
                f"<li>{esc(k)} = {v:.3f} for {esc(self.facet)}={esc(g)}</li>" for g, k, v in self.flagged()) + "</ul>"
        if self.drift:
            out += "<h4>Bias drift</h4><ul>" + "".join(f"<li>{esc(d['description'])}</li>" for d in self.drift) + "</ul>"
        return out
