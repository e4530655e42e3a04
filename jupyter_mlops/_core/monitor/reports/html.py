"""HTML building blocks shared by every report: one stylesheet, a header with a status badge and a
summary sentence, tables, and the page wrapper ``save`` writes. No template engine: the reports are
small and a person should be able to read this file."""

from __future__ import annotations

import html
import math
from typing import Any

STATUS_COLOURS = {"ok": "#1a7f37", "warn": "#9a6700", "alert": "#cf222e", "info": "#0969da"}
STATUS_WORDS = {"ok": "OK", "warn": "WARNING", "alert": "ALERT", "info": "INFO"}

CSS = """
.mlops-report{font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;
  font-size:13px;color:#1f2328;max-width:1100px;line-height:1.45}
.mlops-report h3{font-size:16px;margin:4px 0 6px 0;font-weight:600}
.mlops-report h4{font-size:13px;margin:14px 0 6px 0;font-weight:600;color:#59636e;
  text-transform:uppercase;letter-spacing:.04em}
.mlops-report .badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;
  font-size:11px;font-weight:600;margin-right:8px;vertical-align:1px}
.mlops-report .summary{font-size:14px;margin:2px 0 10px 0}
.mlops-report .meta{color:#59636e;font-size:12px;margin-bottom:8px}
.mlops-report table{border-collapse:collapse;margin:4px 0 8px 0;width:auto}
.mlops-report th{background:#f6f8fa;text-align:left;font-weight:600;border-bottom:1px solid #d1d9e0}
.mlops-report table th,.mlops-report table td{padding:3px 10px;border-bottom:1px solid #eef1f4;
  white-space:nowrap;text-align:left}
.mlops-report table td.num{text-align:right;font-variant-numeric:tabular-nums}
.mlops-report tr.bad td{background:#fff1f0}
.mlops-report .yes{color:#cf222e;font-weight:600}.mlops-report .no{color:#1a7f37}
.mlops-report .muted{color:#8c959f}
.mlops-report .charts{display:flex;flex-wrap:wrap;gap:10px}
.mlops-report .chart{border:1px solid #eef1f4;border-radius:6px;padding:4px}
.mlops-report .chart svg{display:block;width:300px;height:auto}
.mlops-report .bar{display:inline-block;height:9px;background:#0969da;border-radius:2px;vertical-align:0}
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return '<span class="muted">&ndash;</span>'
    if isinstance(value, bool):
        return '<span class="yes">yes</span>' if value else '<span class="no">no</span>'
    if isinstance(value, float):
        if math.isnan(value):
            return '<span class="muted">nan</span>'
        if value != 0 and (abs(value) < 10 ** -(digits - 1) or abs(value) >= 1e7):
            return f"{value:.{digits - 1}e}"
        return f"{value:.{digits}g}" if abs(value) >= 1 else f"{value:.{digits}f}"
    return esc(value)


def header(title: str, status: str, summary: str, meta: str = "") -> str:
    colour = STATUS_COLOURS.get(status, "#59636e")
    word = STATUS_WORDS.get(status, status.upper())
    return (
        f'<h3><span class="badge" style="background:{colour}">{esc(word)}</span>{esc(title)}</h3>'
        f'<div class="summary">{esc(summary)}</div>' + (f'<div class="meta">{esc(meta)}</div>' if meta else "")
    )


def table(columns: list[str], rows: list[list[Any]], bad_rows: set[int] = frozenset(), numeric: set[int] = frozenset()) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for i, row in enumerate(rows):
        cells = "".join(
            f'<td class="num">{fmt(v)}</td>' if j in numeric else f"<td>{v if isinstance(v, Raw) else fmt(v)}</td>"
            for j, v in enumerate(row)
        )
        body.append(f'<tr class="bad">{cells}</tr>' if i in bad_rows else f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


class Raw(str):
    """HTML that a table cell takes as is (already escaped)."""


def wrap(inner: str) -> str:
    return f'<div class="mlops-report"><style>{CSS}</style>{inner}</div>'


def page(title: str, inner: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{esc(title)}</title></head><body style=\"margin:24px\">{wrap(inner)}</body></html>\n"
    )
