"""Small HTML building blocks shared by the result objects' ``_repr_html_``."""

from __future__ import annotations

from html import escape
from typing import Any, Iterable

STYLE = (
    "<style>.mlops-card{font-family:var(--jp-ui-font-family,system-ui,sans-serif);font-size:13px;"
    "max-width:960px}.mlops-card h4{margin:4px 0 6px 0;font-size:15px}.mlops-card table{border-collapse:"
    "collapse;margin:4px 0 10px 0}.mlops-card td,.mlops-card th{padding:2px 10px 2px 0;text-align:left;"
    "vertical-align:top;border-bottom:1px solid #eee;overflow-wrap:anywhere}.mlops-grid{display:grid;grid-template-columns:"
    "repeat(auto-fit,minmax(280px,1fr));gap:2px 28px}.mlops-card th{color:#555;font-weight:600;white-space:nowrap;overflow-wrap:normal}"
    ".mlops-badge{display:inline-block;padding:1px 7px;border-radius:9px;font-size:11px;margin-left:4px;"
    "background:#e8e8e8;color:#333}.mlops-ok{background:#d4f4dd;color:#11632b}.mlops-bad{background:"
    "#fbdada;color:#8a1111}.mlops-warn{background:#fff1c9;color:#7a5300}.mlops-muted{color:#777}"
    ".mlops-mono{font-family:var(--jp-code-font-family,monospace);font-size:12px}</style>"
)

_BADGE_CLASS = {
    "Approved": "mlops-ok", "Rejected": "mlops-bad", "PendingManualApproval": "mlops-warn",
    "archived": "mlops-muted", "PASS": "mlops-ok", "FAIL": "mlops-bad", "running": "mlops-ok",
    "failed": "mlops-bad", "intact": "mlops-ok", "broken": "mlops-bad",
}


def badge(text: Any, cls: str | None = None) -> str:
    cls = cls or _BADGE_CLASS.get(str(text), "")
    return f'<span class="mlops-badge {cls}">{escape(str(text))}</span>'


def kv_table(rows: Iterable[tuple[str, Any]], *, raw: bool = False) -> str:
    body = "".join(
        f"<tr><th>{escape(str(k))}</th><td>{v if raw else escape(fmt(v))}</td></tr>" for k, v in rows
    )
    return f"<table>{body}</table>" if body else '<p class="mlops-muted">none</p>'


def table(header: list[str], rows: Iterable[Iterable[Any]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(fmt(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def fmt(value: Any) -> str:
    if isinstance(value, float):
        text = f"{value:.4g}"
        return text + ".0" if text.lstrip("-").isdigit() else text
    if value is None:
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={fmt(v)}" for k, v in value.items())
    return str(value)


def card(title: str, badges: str, sections: list[tuple[str, str]]) -> str:
    """A titled card whose sections flow in columns as wide as the output area allows."""
    parts = [STYLE, '<div class="mlops-card">', f"<h4>{escape(title)} {badges}</h4>", '<div class="mlops-grid">']
    for heading, content in sections:
        parts.append(f'<div><b>{escape(heading)}</b>{content}</div>')
    parts.append("</div></div>")
    return "".join(parts)
