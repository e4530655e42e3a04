"""Monitoring tab (the part "drift"): the latest report per endpoint (status, violations, drifted features),
the chosen report in full (its drifted features' distribution charts and violations: the report's
own HTML from ``_core/monitor/reports/``), the endpoint's alerts from the audit log, and "Check
now" over a window (``ws.check``), a long action that runs in the background."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from .._core import html
from .._core.listings import records
from .context import Context, button, set_html, set_options

REPORTS_READ = 200  # the newest reports read to find each endpoint's latest
ALERTS_SHOWN = 10


class DriftTab:
    title = "Monitoring"
    part = "drift"

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.latest = w.HTML()
        self.report = w.Dropdown(description="report", options=[], layout=w.Layout(width="460px"))
        self.endpoint = w.Text(placeholder="endpoint", layout=w.Layout(width="140px"))
        self.since = w.Text(value="1h", description="window", placeholder="30m, 1h, 7d",
                            layout=w.Layout(width="180px"))
        self.check = button("Check now", "primary", "ws.check(endpoint, since=window): drift and data quality",
                            "search")
        self.alerts = w.HTML()
        self.detail = w.HTML()
        self.detail.add_class("mlops-panel-detail")
        self._report_endpoint: str | None = None
        self._shown_report: Any = None  # the id of the report whose HTML the detail holds
        #: (the report chosen then,) while "Check now"'s own report is on show; else None
        self._checked: tuple | None = None
        self.report.observe(lambda _: self.ctx.poke(), "value")
        self.check.on_click(lambda _: self._check())
        row = w.HBox([self.report, self.endpoint, self.since, self.check])
        row.add_class("mlops-panel-row")
        self.widget = w.VBox([self.latest, row, self.alerts, self.detail])
        self.widget.add_class("mlops-panel-drift")

    def refresh(self) -> None:
        ws = self.ctx.ws
        reports = records("reports", ws.reports(None, limit=REPORTS_READ))
        latest = list({r["endpoint"]: r for r in reversed(reports)}.values())[::-1]  # newest first, one each
        latest.sort(key=lambda r: r["created"] or "", reverse=True)
        options = [(f"#{r['id']} {r['endpoint']} · {r['status']} · {(r['created'] or '')[:16].replace('T', ' ')}",
                    r["id"]) for r in reports]
        chosen = self.report.value if self.report.value in {r["id"] for r in reports} else (
            latest[0]["id"] if latest else None)
        endpoint = next((r["endpoint"] for r in reports if r["id"] == chosen), None)
        alerts = records("audit", ws.audit(endpoint)) if endpoint else []
        alerts = [a for a in alerts if a["action"] == "alert"][-ALERTS_SHOWN:][::-1]
        # a report's HTML draws its charts (matplotlib): only when another report is chosen
        if self._checked is not None and self._checked != (chosen,):
            self._checked = None  # another report was chosen since "Check now": show that one
        wanted = None if self._checked is not None else chosen
        body = ws.report(wanted)._repr_html_() if wanted is not None and wanted != self._shown_report else None
        with self.ctx.lock:
            set_html(self.latest, _latest_html(latest))
            set_options(self.report, options, keep=chosen)
            if endpoint and endpoint != self._report_endpoint:
                self.endpoint.value = endpoint  # Check now checks the chosen report's endpoint
            self._report_endpoint = endpoint
            set_html(self.alerts, _alerts_html(endpoint, alerts))
            if body is not None:
                self._shown_report = chosen
                set_html(self.detail, body)
            elif chosen is None and self._checked is None:
                set_html(self.detail, "")

    def _check(self) -> None:
        endpoint = self.endpoint.value.strip()
        if not endpoint:
            self.ctx.message.show("error", "Name the endpoint to check.")
            return
        since = self.since.value.strip() or None

        chosen = self.report.value

        def shown(report) -> None:
            # the check's report stays on show until another report is chosen
            self._checked, self._shown_report = (chosen,), None
            with self.ctx.lock:
                set_html(self.detail, report._repr_html_())

        self.ctx.actions.run(f"check {endpoint} over {since or 'all captured traffic'}",
                             lambda: self.ctx.ws.check(endpoint, since=since), shown)


def _latest_html(latest: list[dict]) -> str:
    if not latest:
        return html.styled(html.note("No monitoring reports yet: <code>%mlops monitor E --every 1h</code> "
                                     "schedules checks of an endpoint's captured traffic."), "panel-table")
    rows = [[r["endpoint"], html.Raw(html.status_badge(r["status"])), (r["created"] or "")[:19].replace("T", " "),
             r["ref"], r["rows"], r["violations"], ", ".join(r["drifted_features"] or []) or None, r["summary"]]
            for r in latest]
    flagged = [i for i, r in enumerate(latest) if r["status"] == "alert"]
    return html.styled("<h4>latest report per endpoint</h4>" + html.table(
        ["endpoint", "status", "checked (UTC)", "baseline of", "rows", "violations", "drifted features", "summary"],
        rows, flagged=flagged, numeric=[4, 5]), "panel-table")


def _alerts_html(endpoint: str | None, alerts: list[dict]) -> str:
    if not endpoint:
        return ""
    if not alerts:
        return html.styled(html.note(f"No alerts for {html.esc(endpoint)}."), "panel-alerts")
    rows = [[(a["time"] or "")[:19].replace("T", " "), a["actor"], html.format_text(a["details"])[:160]]
            for a in alerts]
    return html.styled(f"<h4>alerts: {html.esc(endpoint)}</h4>" + html.table(["time (UTC)", "by", "details"], rows),
                       "panel-alerts")
