"""``ws.endpoint_history(name, last="15 min")``: an endpoint's request rate, error rate and
latency per variant over the last hour at most, as the workers keep it (``serving/history.py``),
with the weight changes of its rollouts marked (the config's history of changes and the rollout
controller's events)."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

from ... import html, text
from ...results import Result
from ..contract import EndpointConfig, EndpointPaths, read_events, read_history
from ..history import rows as history_rows, shared

#: intervals a terminal shows (``to_frame()`` has them all)
TEXT_ROWS = 40
COLUMNS = ["time", "variant", "requests", "errors", "req_per_s", "error_rate", "p50_ms", "p99_ms"]


@dataclass
class EndpointHistory(Result):
    endpoint: str
    #: seconds per interval, and how far back the endpoint keeps them
    resolution: float
    since: float | None
    until: float
    #: one per interval and variant with traffic: t (interval start, epoch s), variant, requests,
    #: errors, req_per_s, error_rate, p50_ms, p99_ms (of that interval's requests)
    rows: list[dict[str, Any]] = field(default_factory=list)
    #: weight changes: {"at": epoch s, "label": what changed}
    marks: list[dict[str, Any]] = field(default_factory=list)

    def to_frame(self):
        import pandas as pd

        frame = pd.DataFrame(self.rows, columns=["t", *COLUMNS[1:]])
        frame.insert(0, "time", pd.to_datetime(frame.pop("t"), unit="s", utc=True))
        return frame

    def per_variant(self):
        """Requests, errors, mean req/s and the worst interval's p99 per variant."""
        import pandas as pd

        frame = self.to_frame()
        if frame.empty:
            return pd.DataFrame(columns=["variant", "requests", "errors", "error_rate", "p99_ms_max"])
        out = frame.groupby("variant").agg(requests=("requests", "sum"), errors=("errors", "sum"),
                                           p99_ms_max=("p99_ms", "max")).reset_index()
        out.insert(3, "error_rate", out["errors"] / out["requests"].where(out["requests"] > 0))
        return out

    def summary(self) -> str:
        if not self.rows:
            return f"No requests at endpoint {self.endpoint} in the window kept."
        variants = sorted({r["variant"] for r in self.rows})
        total = sum(r["requests"] for r in self.rows)
        return (f"{total:,} request(s) to {', '.join(variants)} in {_span(self.window_seconds())} "
                f"({self.resolution:g} s intervals)")

    def window_seconds(self) -> float:
        start = self.since if self.since is not None else min((r["t"] for r in self.rows), default=self.until)
        return max(self.until - start, 0.0)

    def charts(self, width: float = 4.2, height: float = 2.0) -> list[str]:
        """Two SVG charts: req/s and p99 (ms) per variant over time, weight changes marked."""
        from ...monitor.reports.charts import over_time

        if not self.rows:
            return []
        frame = self.to_frame()
        starts = sorted(frame["time"].unique())
        rate, p99 = {}, {}
        for variant, part in frame.groupby("variant"):
            by_time = part.set_index("time")
            # no row means no request in that interval: 0 req/s, and no p99 to draw
            rate[variant] = (starts, [float(by_time["req_per_s"].get(t, 0.0)) for t in starts])
            p99[variant] = (list(by_time.index), list(by_time["p99_ms"]))
        first, last = starts[0].timestamp(), starts[-1].timestamp() + self.resolution
        marks = [(_when(m["at"]), m["label"]) for m in self.marks if first <= m["at"] <= last]
        return [over_time(rate, f"req/s · {self.endpoint}", "req/s", marks, width=width, height=height),
                over_time(p99, f"p99 latency · {self.endpoint}", "ms", marks, width=width, height=height)]

    def _repr_html_(self) -> str:
        table = self.per_variant()
        sections = [("", html.note(html.esc(self.summary())))]
        if self.rows:
            sections.append(("", html.charts(self.charts())))
            sections.append(("per variant", html.table(list(table.columns), table.itertuples(index=False),
                                                       numeric=range(1, len(table.columns)))))
        return html.card(f"endpoint history: {self.endpoint}", html.badge(f"{self.resolution:g} s"), sections)

    def to_text(self) -> str:
        lines = [f"Endpoint history · {self.endpoint}", self.summary()]
        if self.rows:
            frame = self.to_frame()
            shown = frame.tail(TEXT_ROWS)
            heading = "Intervals" if len(shown) == len(frame) else f"Intervals (the last {len(shown)} of {len(frame)})"
            lines += ["", "Per variant", text.table(self.per_variant(), index=False),
                      "", heading, text.table(shown, index=False)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<EndpointHistory {self.summary()}>"


def endpoint_history(paths: EndpointPaths, config: EndpointConfig, last: float | None = None) -> EndpointHistory:
    """The history the endpoint's workers keep, read from their files; ``last`` seconds back
    (None: all they keep)."""
    reports, files = read_history(paths)
    merged, resolution = shared(reports, files)
    now = time.time()
    since = now - last if last is not None else None
    return EndpointHistory(paths.name, resolution, since, now, history_rows(merged, resolution, since),
                           weight_changes(paths, config))


def weight_changes(paths: EndpointPaths, config: EndpointConfig) -> list[dict[str, Any]]:
    """When traffic moved: deploys and traffic changes (the config's history of changes) and
    rollout steps, completions and rollbacks (the rollout controller's events)."""
    marks = [{"at": float(h.at), "label": h.reason} for h in config.history]
    for event in read_events(paths):
        action = event.get("action", "")
        label = action.replace("_", " ")
        if event.get("percent") is not None:
            label += f" {event.get('variant', '')} {float(event['percent']):g}%"
        elif event.get("variant"):
            label += f" {event['variant']}"
        marks.append({"at": float(event.get("at", 0)), "label": label})
    return sorted(marks, key=lambda m: m["at"])


def _when(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc)


def _span(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"
