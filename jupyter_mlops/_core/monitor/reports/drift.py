"""DriftReport: per-feature drift with the test used, its score and threshold, ranked by severity.

Severity (``ColumnDrift.severity``, defined in ``stattests.base.severity``) is one number for every
test: the statistic over its threshold for distance tests, log(p) / log(threshold) for p-value
tests; 1 at the threshold, larger is more drifted. The table, the text and the charts list features
most severe first: the ``top_n`` most severe get a distribution chart (drifted or not), the other
features' charts are folded in a ``<details>`` element, and every table row carries a sparkline
of reference vs current.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base import Report
from ..stattests.base import severity
from ...html import Raw, charts, esc, table

TOP_N = 8  # charts shown open; the rest are folded (DriftReport.top_n)
# a matplotlib chart costs ~80 ms to draw: past this many folded ones (a wide table) the other
# features have their table row and sparkline only: 500 features draw no more charts than 32 do
MAX_FOLDED_CHARTS = 24


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

    @property
    def severity(self) -> float | None:
        """statistic / threshold, or log(p) / log(threshold) for p-value tests; None if untested."""
        return severity(self.score_name, self.statistic, self.p_value, self.threshold)


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
    top_n: int = TOP_N  # how many of the most severe features get an open chart

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
        """The drifted features, most severe first."""
        return [c.column for c in self.ranked() if c.drifted]

    def ranked(self) -> list[ColumnDrift]:
        """The features most severe first (ties by name); untested features last."""
        return sorted(self.columns, key=lambda c: (c.severity is None, -(c.severity or 0.0), c.column))

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
                "severity": c.severity, "reference_mean": c.reference_mean, "current_mean": c.current_mean,
                "n_current": c.n_current, "missing_current": c.missing_current, "note": c.note,
            }
            for c in self.columns
        ]
        return pd.DataFrame(rows).set_index("column")

    def _text_tables(self):
        order = [c.column for c in self.ranked()]
        frame = self.to_frame().loc[order].drop(columns=["n_current", "missing_current"])
        return [("Features (most severe first)", frame)]

    def _body_html(self) -> str:
        return self._charts_html() + self._table_html()

    def _table_html(self) -> str:
        from .charts import sparkline

        rows, bad = [], set()
        for i, c in enumerate(self.ranked()):
            if c.drifted:
                bad.add(i)
            rule = ("p < " if c.score_name == "p_value" else "≥ ") + f"{c.threshold:g}"
            rows.append([
                c.column, c.kind, c.method, c.statistic, c.p_value, Raw(esc(rule)), c.severity, c.drifted,
                Raw(sparkline(c.chart, bool(c.drifted))) if c.chart else None,
                c.reference_mean, c.current_mean,
                Raw(esc(c.note or (("new: " + ", ".join(map(str, c.new_categories[:5]))) if c.new_categories else ""))),
            ])
        return "<h4>Features (most severe first)</h4>" + table(
            ["feature", "kind", "test", "statistic", "p-value", "drift if", "severity", "drift",
             "reference / current", "ref. mean", "cur. mean", "note"],
            rows, bad, numeric={3, 4, 6, 9, 10},
        )

    def _charts_html(self) -> str:
        """The ``top_n`` most severe features' charts (drifted or not), then the others folded."""
        from .charts import distribution_overlay

        charted = [c for c in self.ranked() if c.chart]
        if not charted:
            return ""
        n = max(int(self.top_n), 0)

        def draw(cols):
            return charts(distribution_overlay(
                c.chart, f"{c.column}  ({c.method} {c.statistic:.3g}, severity {c.severity:.2g})", bool(c.drifted))
                for c in cols)

        out = f"<h4>{esc(f'Most drifted features (top {min(n, len(charted))} by severity)')}</h4>" + draw(charted[:n]) if n else ""
        rest = charted[n:]
        if rest:
            label = f'{len(rest)} more feature{"s" if len(rest) != 1 else ""}'
            if len(rest) > MAX_FOLDED_CHARTS:
                label += f" (charts for the next {MAX_FOLDED_CHARTS} by severity; the others in the table)"
            out += (f'<details class="mlops-more-charts"><summary>{esc(label)}</summary>'
                    f"{draw(rest[:MAX_FOLDED_CHARTS])}</details>")
        return out
