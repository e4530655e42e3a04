"""ConceptDriftReport: when each detector fired, where the change began, sudden or gradual."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .base import Report
from ...html import charts, table


@dataclass
class Detection:
    detector: str
    index: int  # where the detector fired
    start_index: int  # where the change began
    kind: str  # "sudden" | "gradual"
    time: str | None = None
    start_time: str | None = None
    mean_before: float | None = None
    mean_after: float | None = None


@dataclass(repr=False)
class ConceptDriftReport(Report):
    target: str
    stream_kind: str
    n: int
    detectors: list[str]
    detections: list[Detection] = field(default_factory=list)
    curve: dict[str, Any] | None = None

    title = "Concept drift"

    def status(self) -> str:
        return "alert" if self.detections else "ok"

    def summary(self) -> str:
        if not self.detections:
            return f"No concept drift in {self.n:,} {self.stream_kind} values ({', '.join(self.detectors)})."
        first = min(self.detections, key=lambda d: d.start_index)
        when = first.start_time or f"#{first.start_index}"
        return (f"{len(self.detections)} detection(s) in {self.n:,} {self.stream_kind} values; the first change "
                f"({first.kind}, {first.detector}) began at {when} and was detected at "
                f"{first.time or '#' + str(first.index)}.")

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([d.__dict__ for d in self.detections],
                            columns=["detector", "index", "start_index", "kind", "time", "start_time", "mean_before", "mean_after"])

    def _text_tables(self):
        return [("Detections", self.to_frame())] if self.detections else []

    def _body_html(self) -> str:
        from .charts import series

        out = ""
        if self.curve:
            out += charts([series(
                self.curve["index"], self.curve["value"], f"rolling mean of the {self.stream_kind} stream; dashed: change starts",
                sorted({d.start_index for d in self.detections}), self.stream_kind)], width=620)
        if self.detections:
            rows = [[d.detector, d.start_time or d.start_index, d.time or d.index, d.kind, d.mean_before, d.mean_after]
                    for d in self.detections]
            out += "<h4>Detections</h4>" + table(["detector", "change began", "detected", "kind", "mean before", "mean after"], rows, numeric={4, 5})
        return out
