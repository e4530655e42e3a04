"""QualityReport: model metrics on the window, next to the baseline's, with the violations, and the
charts people look for: ROC and precision-recall curves and a confusion matrix for classifiers,
predicted vs actual and the residuals for regressions (drawn from ``confusion`` and ``curves``, so
a report read back from its JSON draws the same charts)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base import Report
from ...html import Raw, charts, esc, table


@dataclass(repr=False)
class QualityReport(Report):
    target: str
    problem_type: str
    n: int  # labelled predictions used
    n_window: int  # rows in the window
    metrics: dict[str, float]
    baseline: dict[str, float] = field(default_factory=dict)
    violations: list[dict[str, Any]] = field(default_factory=list)
    confusion: dict[str, Any] | None = None
    estimated: bool = False
    # binary: {"positive", "roc": {fpr, tpr, auc}, "pr": {recall, precision, average_precision,
    # prevalence}}; regression: {"scatter": {actual, predicted, n}, "residuals": {edges, counts}}
    curves: dict[str, Any] | None = None

    @property
    def title(self) -> str:
        return "Model quality" + (" (estimated, no labels)" if self.estimated else "") + (f" · {self.target}" if self.target else "")

    def status(self) -> str:
        return "alert" if self.violations else "ok"

    def summary(self) -> str:
        head = "accuracy" if "accuracy" in self.metrics else "rmse"
        value = self.metrics.get(head)
        est = "Estimated (CBPE, from predicted probabilities; no ground truth) " if self.estimated else ""
        base = f" vs {self.baseline[head]:.4g} at baseline" if head in self.baseline else ""
        bad = f"; {len(self.violations)} metric(s) degraded: " + ", ".join(v["metric"] for v in self.violations) if self.violations else "; no metric degraded"
        return f"{est}{head} {value:.4g}{base} on {self.n:,} predictions{bad}."

    def to_frame(self):
        import pandas as pd

        bad = {v["metric"]: v for v in self.violations}
        rows = [{"metric": k, "value": v, "baseline": self.baseline.get(k), "limit": bad.get(k, {}).get("limit"),
                 "violated": k in bad} for k, v in self.metrics.items()]
        return pd.DataFrame(rows).set_index("metric")

    def _text_tables(self):
        tables = [("Metrics", self.to_frame())]
        if self.confusion:
            import pandas as pd

            labels = [str(label) for label in self.confusion["labels"]]
            matrix = pd.DataFrame(self.confusion["matrix"], index=pd.Index(labels, name="actual"), columns=labels)
            tables.append(("Confusion matrix" + (" (expected counts)" if self.estimated else "")
                           + ": rows actual, columns predicted", matrix))
        return tables

    def _body_html(self) -> str:
        bad = {v["metric"]: v for v in self.violations}
        rows, bad_rows = [], set()
        for i, (k, v) in enumerate(self.metrics.items()):
            b = self.baseline.get(k)
            if k in bad:
                bad_rows.add(i)
            rows.append([k, v, b, (v - b) if b is not None else None, bad.get(k, {}).get("limit"), k in bad])
        from .charts import paired_bars

        names = [k for k in self.metrics if k in self.baseline]
        chart = ""
        if names:
            svg = paired_bars(names, [self.baseline[k] for k in names], [self.metrics[k] for k in names],
                              "window vs baseline", "value")
            chart = charts([svg], width=420)
        out = chart + self._curves_html() + "<h4>Metrics</h4>" + table(["metric", "value", "baseline", "change", "limit", "violated"], rows, bad_rows, {1, 2, 3, 4})
        if self.violations:
            out += "<h4>Violations</h4><ul>" + "".join(f"<li>{esc(v['description'])}</li>" for v in self.violations) + "</ul>"
        if self.confusion:
            labels = self.confusion["labels"]
            m = self.confusion["matrix"]
            cm_rows = [[Raw(f"<b>{esc(labels[i])}</b>")] + [float(x) if self.estimated else int(x) for x in row] for i, row in enumerate(m)]
            out += "<h4>Confusion matrix" + (" (expected counts)" if self.estimated else "") + " — rows: actual, columns: predicted</h4>"
            out += table([""] + [str(lbl) for lbl in labels], cm_rows, numeric=set(range(1, len(labels) + 1)))
        return out

    def _curves_html(self) -> str:
        from . import charts as ch

        svgs = []
        curves = self.curves or {}
        if "roc" in curves:
            positive = f" (positive: {curves.get('positive')})"
            svgs.append(ch.roc_curve_chart(curves["roc"], "ROC curve" + positive))
            svgs.append(ch.pr_curve_chart(curves["pr"], "Precision-recall" + positive))
        if self.confusion:
            svgs.append(ch.confusion_matrix_chart(self.confusion["labels"], self.confusion["matrix"],
                                                  "Confusion matrix" + (" (expected)" if self.estimated else "")))
        if "scatter" in curves:
            n = curves["scatter"].get("n", 0)
            shown = len(curves["scatter"]["actual"])
            svgs.append(ch.predicted_vs_actual_chart(curves["scatter"]["actual"], curves["scatter"]["predicted"],
                                                     "Predicted vs actual" + (f" ({shown} of {n:,})" if n > shown else "")))
            svgs.append(ch.residual_histogram(curves["residuals"]["edges"], curves["residuals"]["counts"]))
        return charts(svgs, width=300) if svgs else ""
