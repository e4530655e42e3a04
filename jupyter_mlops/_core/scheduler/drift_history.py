"""``ws.drift_history(endpoint)``: how each feature's drift moved across the endpoint's scheduled
checks. Every completed check keeps its per-feature statistics in its run's result
(``monitor_job.feature_statistics``), so the history reads rows, not report files; checks kept
before that are read from their saved report instead.

A feature's *score* is what its test compares with the threshold: the p-value for ks and chi2
(drift below it), the statistic for psi, wasserstein and jensenshannon (drift at or above it).
Its *severity* puts both on one scale, 1 at the threshold and more the further past it:
statistic / threshold, or log(p) / log(threshold).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from .. import html, text
from ..durations import since_time
from ..results import Result

COLUMNS = ["time", "report_id", "feature", "method", "statistic", "p_value", "score", "threshold", "drifted"]
#: features charted in the open; the rest are behind a <details>
TOP = 6
#: rows of the frame a terminal shows (``to_frame()`` has them all)
TEXT_ROWS = 60


def severity(score_name: str | None, score: float | None, threshold: float | None) -> float | None:
    if score is None or threshold is None or not math.isfinite(score):
        return None
    if score_name == "p_value":
        if not 0 < threshold < 1:
            return None
        return math.log(max(score, 1e-300)) / math.log(threshold)
    return score / threshold if threshold > 0 else None


@dataclass
class DriftHistory(Result):
    endpoint: str
    since: str | None
    #: one per check and feature: time (ISO, UTC), report_id, schedule, feature, method,
    #: statistic, p_value, score_name, score, threshold, drifted, severity
    rows: list[dict[str, Any]] = field(default_factory=list)
    top: int = TOP

    def to_frame(self):
        import pandas as pd

        frame = pd.DataFrame(self.rows, columns=[*COLUMNS, "score_name", "severity", "schedule"])
        frame["time"] = pd.to_datetime(frame["time"], utc=True)
        return frame[COLUMNS]

    @property
    def reports(self) -> list[int]:
        return sorted({r["report_id"] for r in self.rows})

    def latest(self):
        """Each feature at its latest check, most severe first; ``checks_drifted`` counts the
        checks in which it drifted."""
        import pandas as pd

        frame = pd.DataFrame(self.rows, columns=[*COLUMNS, "score_name", "severity", "schedule"])
        if frame.empty:
            return pd.DataFrame(columns=["feature", "method", "score", "threshold", "drifted", "severity",
                                         "checks_drifted", "checks"])
        frame["severity"] = pd.to_numeric(frame["severity"], errors="coerce")
        frame["drifted_check"] = frame["drifted"].eq(True)
        last = frame.sort_values("report_id").groupby("feature").tail(1).set_index("feature")
        counts = frame.groupby("feature").agg(checks_drifted=("drifted_check", "sum"),
                                              checks=("report_id", "nunique"))
        out = last[["method", "score", "threshold", "drifted", "severity"]].join(counts)
        return out.sort_values("severity", ascending=False, na_position="last").reset_index()

    def summary(self) -> str:
        n = len(self.reports)
        if not n:
            return f"No scheduled checks of endpoint {self.endpoint} kept" + (f" since {self.since}." if self.since else ".")
        latest = self.latest()
        drifted = list(latest.loc[latest["drifted"].eq(True), "feature"])
        now = (f"{len(drifted)} feature(s) drifted at the latest: {', '.join(drifted[:5])}"
               + ("…" if len(drifted) > 5 else "")) if drifted else "no feature drifted at the latest"
        return f"{n} check(s) of {len(latest)} feature(s) at endpoint {self.endpoint}; {now}."

    def charts(self, features: list[str] | None = None) -> list[str]:
        """One SVG per feature: its score over the checks with the threshold line."""
        from ..monitor.reports.charts import over_time

        out = []
        frame = self.to_frame().assign(score_name=[r["score_name"] for r in self.rows])
        for feature in features if features is not None else list(self.latest()["feature"]):
            part = frame[frame["feature"] == feature].sort_values("time")
            if part.empty:
                continue
            p_value = part["score_name"].iloc[-1] == "p_value"
            label = "p-value (drift below)" if p_value else "statistic (drift above)"
            threshold = part["threshold"].iloc[-1]
            values = [None if v is None or (isinstance(v, float) and math.isnan(v)) else max(float(v), 1e-300)
                      if p_value else float(v) for v in part["score"]]
            out.append(over_time({f"{feature} ({part['method'].iloc[-1]})": (list(part["time"]), values)},
                                 feature, label, threshold=None if threshold is None else float(threshold),
                                 log=p_value, width=3.4, height=2.0, points=True))
        return out

    def _repr_html_(self) -> str:
        latest = self.latest()
        head = html.report_header(f"Drift history · endpoint {self.endpoint}", self._status(), self.summary(),
                                  f"reports {', '.join(f'#{i}' for i in self.reports)}" if self.reports else "")
        if latest.empty:
            return html.styled(head, "report")
        names = list(latest["feature"])
        body = html.charts(self.charts(names[:self.top]))
        if len(names) > self.top:
            body += (f"<details><summary>{len(names) - self.top} more feature(s)</summary>"
                     f"{html.charts(self.charts(names[self.top:]))}</details>")
        flagged = [i for i, d in enumerate(latest["drifted"]) if d is True or d == True]  # noqa: E712
        body += "<h4>Latest check, most drifted first</h4>" + html.table(
            list(latest.columns), latest.itertuples(index=False), flagged, numeric={2, 3, 5, 6, 7})
        return html.styled(head + body, "report")

    def _status(self) -> str:
        latest = self.latest()
        return "warn" if latest["drifted"].eq(True).any() else "ok"

    def to_text(self) -> str:
        lines = [f"Drift history · endpoint {self.endpoint} [{self._status().upper()}]", self.summary()]
        if self.rows:
            frame = self.to_frame()
            shown = frame.tail(TEXT_ROWS)
            heading = "Every check" if len(shown) == len(frame) else f"Checks (the last {len(shown)} rows of {len(frame)})"
            lines += ["", "Latest check, most drifted first", text.table(self.latest(), index=False),
                      "", heading, text.table(shown, index=False)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<DriftHistory {self.summary()}>"


def drift_history(reports, endpoint: str, last: Any = None) -> DriftHistory:
    """``reports`` is the ``ReportHistory`` (its store, and ``report(id)`` for older checks)."""
    from sqlalchemy import select

    from ..errors import ReportNotFound
    from ..store import orm
    from .reports import CHECKED
    from .scheduler import utc

    since = since_time(last, option="last")
    q = (select(orm.JobRun).where(orm.JobRun.kind == "monitor", orm.JobRun.target == str(endpoint),
                                  orm.JobRun.status.in_(CHECKED)).order_by(orm.JobRun.id))
    with reports.store.read() as s:
        runs = [(r.id, r.schedule_id, utc(r.finished_at) or utc(r.started_at), dict(r.result or {}))
                for r in s.execute(q).scalars()]
    rows = []
    for run_id, schedule, when, result in runs:
        if since is not None and when is not None and when < since:
            continue
        features = result.get("features")
        if features is None:  # a check kept before its statistics were: read its report
            try:
                from .monitor_job import feature_statistics

                features = feature_statistics(reports.report(run_id).drift)
            except ReportNotFound:
                continue
        for f in features:
            score = f.get("p_value") if f.get("score_name") == "p_value" else f.get("statistic")
            rows.append({"time": when.isoformat() if isinstance(when, dt.datetime) else when,
                         "report_id": run_id, "schedule": schedule, "feature": f["feature"],
                         "method": f.get("method"), "statistic": f.get("statistic"), "p_value": f.get("p_value"),
                         "score_name": f.get("score_name"), "score": score, "threshold": f.get("threshold"),
                         "drifted": f.get("drifted"),
                         "severity": severity(f.get("score_name"), score, f.get("threshold"))})
    return DriftHistory(str(endpoint), since.isoformat() if since else None, rows)
