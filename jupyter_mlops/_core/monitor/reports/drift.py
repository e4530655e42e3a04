"""DriftReport: per-feature drift with the test used, its score and threshold, and overlays of the
drifted features' distributions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base import Report
from ...html import Raw, charts, esc, table

MAX_CHARTS = 12


@dataclass
class ColumnDrift:
    column: str
    kind: str
    method: str
    threshold: float
    score_name: str  # "p_value" or "statistic"
    n_reference: int
    n_current: int
    missing_current: int
    statistic: float | None = None
    p_value: float | None = None
    drifted: bool | None = False
    reference_mean: float | None = None
    current_mean: float | None = None
    new_categories: list = field(default_factory=list)
    note: str = ""
    chart: dict[str, Any] | None = None

    @property
    def score(self) -> float | None:
        return self.p_value if self.score_name == "p_value" else self.statistic


@dataclass(repr=False)
class DriftReport(Report):
    columns: list[ColumnDrift]
    n_reference: int
    n_current: int
    n_drifted: int
    share_drifted: float
    drift_share: float
    dataset_drift: bool
    method: str = "auto"
    seconds: float = 0.0

    title = "Data drift"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "DriftReport":
        from dataclasses import fields

        names = {f.name for f in fields(ColumnDrift)}
        columns = [ColumnDrift(**{k: v for k, v in c.items() if k in names}) for c in data.get("columns") or []]
        return super().from_dict({**data, "columns": columns})

    def __getitem__(self, column: str) -> ColumnDrift:
        for c in self.columns:
            if c.column == column:
                return c
        raise KeyError(column)

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    def status(self) -> str:
        if self.dataset_drift:
            return "alert"
        return "warn" if self.n_drifted else "ok"

    def summary(self) -> str:
        tested = sum(1 for c in self.columns if c.drifted is not None)
        verdict = "Dataset drift detected" if self.dataset_drift else "No dataset drift"
        names = ", ".join(self.drifted_columns[:5]) + ("…" if self.n_drifted > 5 else "")
        return (
            f"{verdict}: {self.n_drifted} of {tested} features drifted "
            f"({self.share_drifted:.0%}; the dataset drifts at {self.drift_share:.0%})"
            + (f" — {names}." if names else ".")
        )

    def meta(self) -> str:
        return f"reference {self.n_reference:,} rows · current {self.n_current:,} rows · method {self.method} · computed in {self.seconds:.2f} s"

    def to_frame(self):
        import pandas as pd

        rows = [
            {
                "column": c.column, "kind": c.kind, "method": c.method, "statistic": c.statistic,
                "p_value": c.p_value, "threshold": c.threshold, "drifted": c.drifted,
                "reference_mean": c.reference_mean, "current_mean": c.current_mean,
                "n_current": c.n_current, "missing_current": c.missing_current, "note": c.note,
            }
            for c in self.columns
        ]
        return pd.DataFrame(rows).set_index("column")

    def _text_tables(self):
        order = [c.column for c in sorted(self.columns, key=lambda c: (not c.drifted, c.column))]
        frame = self.to_frame().loc[order].drop(columns=["n_current", "missing_current"])
        return [("Features (drifted first)", frame)]

    def _body_html(self) -> str:
        order = sorted(self.columns, key=lambda c: (not c.drifted, c.column))
        rows, bad = [], set()
        for i, c in enumerate(order):
            if c.drifted:
                bad.add(i)
            rule = ("p < " if c.score_name == "p_value" else "≥ ") + f"{c.threshold:g}"
            rows.append([
                c.column, c.kind, c.method, c.statistic, c.p_value, Raw(esc(rule)), c.drifted,
                c.reference_mean, c.current_mean,
                Raw(esc(c.note or (("new: " + ", ".join(map(str, c.new_categories[:5]))) if c.new_categories else ""))),
            ])
        out = table(
            ["feature", "kind", "test", "statistic", "p-value", "drift if", "drift", "ref. mean", "cur. mean", "note"],
            rows, bad, numeric={3, 4, 7, 8},
        )
        return self._charts_html(order) + "<h4>Features</h4>" + out

    def _charts_html(self, order: list[ColumnDrift]) -> str:
        from .charts import distribution_overlay

        shown = [c for c in order if c.drifted and c.chart][:MAX_CHARTS]
        if not shown:
            return ""
        title = "Drifted features" + (f" (first {MAX_CHARTS})" if self.n_drifted > MAX_CHARTS else "")
        return f"<h4>{esc(title)}</h4>" + charts(
            distribution_overlay(c.chart, f"{c.column}  ({c.method} {c.statistic:.3g})", True) for c in shown)
