"""What every monitoring report does: summary first, HTML for notebooks, a table, JSON, save.

Subclasses (dataclasses) provide ``title``, ``status()`` ("ok" | "warn" | "alert" | "info"),
``summary()``, ``_body_html()`` and ``to_frame()``; ``to_dict()`` is the dataclass as JSON-ready
values plus the report's name, status and summary. Charts are drawn inside ``_body_html`` only,
i.e. when the report is displayed or saved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ... import html, text
from ...results import Result


class Report(Result):
    title = "Report"

    def status(self) -> str:
        return "info"

    def summary(self) -> str:
        return ""

    def meta(self) -> str:
        return ""

    def _body_html(self) -> str:
        return ""

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["report"] = type(self).__name__
        d["status"] = self.status()
        d["summary"] = self.summary()
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        """The report back from its ``to_dict()`` (a saved ``.json``): the fields this class has,
        the computed keys (``report``, ``status``, ``summary``) left out. Reports with nested
        results override it to rebuild those."""
        import dataclasses

        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def to_text(self) -> str:
        """The report for a terminal (``mlops drift`` and the other report commands print it):
        title and status, the summary, then its tables as plain text."""
        lines = [f"{self.title} [{self.status().upper()}]", self.summary()]
        if self.meta():
            lines.append(self.meta())
        for heading, frame in self._text_tables():
            lines += ["", heading, text.table(frame)]
        return "\n".join(lines)

    def _text_tables(self) -> list[tuple[str, Any]]:
        """(heading, DataFrame) pairs ``to_text`` prints; by default the report's ``to_frame()``."""
        return [("Details", self.to_frame())]

    def _repr_html_(self) -> str:
        inner = html.report_header(self.title, self.status(), self.summary(), self.meta()) + self._body_html()
        return html.styled(inner, "report")

    def to_html(self) -> str:
        """A standalone HTML page (inline CSS and SVG: no network needed to view it)."""
        return html.page(self.title, self._repr_html_())

    def save(self, path: str | Path) -> Path:
        """Write ``path`` (.html, standalone) and the same name with .json; returns the HTML path."""
        path = Path(path)
        if path.suffix.lower() not in (".html", ".htm"):
            path = path.with_suffix(".html")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_html(), encoding="utf-8")
        path.with_suffix(".json").write_text(self.to_json(), encoding="utf-8")
        return path

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.status().upper()}: {self.summary()}>"
