"""MonitoringReport (a check: data quality violations and drift over one window) and the Baseline
entity (statistics + constraints stored with a model version)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .base import Report
from .drift import DriftReport
from ...html import esc, table


@dataclass(repr=False)
class MonitoringReport(Report):
    target: str
    ref: str
    endpoint: str | None
    n_rows: int
    since: str | None
    violations: list[dict[str, str]]
    drift: DriftReport
    baseline_id: int | None = None
    created_at: str = ""
    #: a scheduled check's id (its run's, see ``Workspace.reports``) and that of the check of the
    #: same schedule before it, with the predecessor's saved page beside this one's
    report_id: int | None = None
    previous_report: int | None = None
    previous_report_file: str | None = None

    @property
    def title(self) -> str:
        where = f"endpoint {self.endpoint} ({self.ref})" if self.endpoint else self.ref
        return f"Monitoring check · {where}"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MonitoringReport":
        return super().from_dict({**data, "drift": DriftReport.from_dict(data["drift"])})

    @property
    def has_violations(self) -> bool:
        return bool(self.violations) or self.drift.dataset_drift

    def status(self) -> str:
        if self.has_violations:
            return "alert"
        return "warn" if self.drift.n_drifted else "ok"

    def summary(self) -> str:
        kinds = sorted({v["constraint_check_type"] for v in self.violations})
        viol = (f"{len(self.violations)} data quality violation(s) ({', '.join(kinds)})" if self.violations
                else "no data quality violations")
        return f"{viol}; {self.drift.summary()[0].lower()}{self.drift.summary()[1:]}"

    def meta(self) -> str:
        window = f"since {self.since}" if self.since else "given data"
        text = f"{self.n_rows:,} rows ({window}) · baseline #{self.baseline_id} · {self.created_at}"
        if self.report_id is not None:
            text += f" · report #{self.report_id}"
            text += (f" (previous: #{self.previous_report})" if self.previous_report is not None
                     else " (the first of its schedule)")
        return text

    def constraint_violations(self) -> dict[str, list]:
        """The window's violations as Model Monitor's constraint_violations.json."""
        return {"violations": list(self.violations)}

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.violations, columns=["feature_name", "constraint_check_type", "description"])

    def _text_tables(self):
        tables = [("Data quality violations", self.to_frame())] if self.violations else []
        return tables + self.drift._text_tables()

    def save(self, path):
        html_path = super().save(path)
        Path(html_path).with_name(Path(html_path).stem + ".constraint_violations.json").write_text(
            json.dumps(self.constraint_violations(), indent=2))
        return html_path

    def _predecessor_html(self) -> str:
        if self.previous_report is None:
            return ""
        name = f"report #{self.previous_report}"
        link = (f'<a href="{esc(self.previous_report_file)}">{esc(name)}</a>' if self.previous_report_file
                else esc(name))
        return f'<p class="mlops-note mlops-muted">Previous check of this schedule: {link} (ws.report({self.previous_report}))</p>'

    def _body_html(self) -> str:
        out = self._predecessor_html()
        if self.violations:
            rows = [[v["feature_name"], v["constraint_check_type"], v["description"]] for v in self.violations]
            out += "<h4>Data quality violations</h4>" + table(["feature", "check", "description"], rows, set(range(len(rows))))
        return out + self.drift._body_html()


@dataclass(repr=False)
class Baseline(Report):
    id: int
    ref: str
    created_at: str
    statistics: dict[str, Any]
    constraints: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"Baseline #{self.id} · {self.ref}"

    def status(self) -> str:
        return "info"

    def summary(self) -> str:
        n = self.statistics.get("dataset", {}).get("item_count", 0)
        feats = self.statistics.get("features", [])
        kinds = {}
        for f in feats:
            kinds[f.get("inferred_type")] = kinds.get(f.get("inferred_type"), 0) + 1
        parts = ", ".join(f"{v} {k}" for k, v in sorted(kinds.items()))
        return f"{len(feats)} features ({parts}) from {n:,} rows; created {self.created_at}."

    def to_frame(self):
        import pandas as pd

        cons = {f["name"]: f for f in self.constraints.get("features", [])}
        rows = []
        for f in self.statistics.get("features", []):
            num = f.get("numerical_statistics")
            st = f.get("string_statistics")
            common = (num or st or {}).get("common", {})
            c = cons.get(f["name"], {})
            rows.append({
                "feature": f["name"], "inferred_type": f.get("inferred_type"),
                "num_present": common.get("num_present"), "num_missing": common.get("num_missing"),
                "mean": (num or {}).get("mean"), "std_dev": (num or {}).get("std_dev"),
                "min": (num or {}).get("min"), "max": (num or {}).get("max"),
                "distinct_count": (st or {}).get("distinct_count"), "completeness": c.get("completeness"),
                "domain": ", ".join(c.get("string_constraints", {}).get("domains", [])[:8]) or None,
            })
        return pd.DataFrame(rows).set_index("feature")

    def _text_tables(self):
        return [("Features", self.to_frame())]

    def save(self, path) -> Path:
        """Write statistics.json and constraints.json into the folder ``path``."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "statistics.json").write_text(json.dumps(self.statistics, indent=2))
        (folder / "constraints.json").write_text(json.dumps(self.constraints, indent=2))
        return folder

    def _body_html(self) -> str:
        df = self.to_frame()
        rows = [[name, *r.tolist()] for name, r in df.iterrows()]
        return "<h4>Features</h4>" + table(["feature", *df.columns], rows, numeric={2, 3, 4, 5, 6, 7, 8, 9}) + (
            f'<div class="mlops-meta">{esc("statistics.json / constraints.json: Model Monitor shapes; baseline.save(folder) writes them")}</div>')
