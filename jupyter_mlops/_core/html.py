"""The HTML of every result: one stylesheet, cards (a title, badges and key/value sections) and
reports (a status badge, a summary sentence, tables and charts), and the standalone page that
``Report.save`` writes. No template engine: the pieces are small and a person should be able to
read this file.

Every output is one ``<div class="mlops …">`` carrying the stylesheet once. The stylesheet takes
its text colours, surfaces and fonts from JupyterLab's theme variables (then VS Code's, then a light
default for the classic notebook and standalone pages), switches its own tone palette in a dark
theme, and outranks the host's table rules; charts draw in the same palette (``charts.py``).
New rules for tables start with ``SCOPE``; new classes start with ``mlops-`` and get a rule here
(tests/test_results.py checks that every class a result uses is defined in this stylesheet).
"""

from __future__ import annotations

import html
import math
from typing import Any, Iterable

ROOT_CLASS = "mlops"

# The palette, as custom properties on each output's root. Text and surfaces follow the host's
# theme variables (JupyterLab's --jp-*, then VS Code's --vscode-*, then a light default for the
# classic notebook and exported pages). Tone colours (ok, bad, warn, info) and muted text are the
# kit's own, one set per theme, because the themes' own (white on --jp-warn-color1, or
# --jp-ui-font-color2 on a striped row) fall below WCAG AA contrast; every pair here was measured
# in the rendered page (tests/ui/test_results_theme.py). A host is dark when JupyterLab says so
# (``data-jp-theme-light="false"`` on <body>, exported pages too) or VS Code does.
_LIGHT = """
  --mlops-text:var(--jp-ui-font-color1,var(--vscode-editor-foreground,#1f2328));
  --mlops-muted:#59636e;
  --mlops-line:var(--jp-border-color2,var(--vscode-editorWidget-border,#d8dee4));
  --mlops-line-strong:var(--jp-border-color1,var(--vscode-editorWidget-border,#afb8c1));
  --mlops-head-bg:var(--jp-layout-color2,rgba(128,128,128,.12));
  --mlops-ok:#1a7f37;--mlops-bad:#cf222e;--mlops-warn:#9a6700;--mlops-info:#0969da;
  --mlops-flag-bg:rgba(207,34,46,.08);--mlops-neutral-bg:#eaeef2;
  --mlops-chart-reference:#8c959f;--mlops-chart-current:#0969da;--mlops-chart-alert:#cf222e;
  --mlops-chart-amber:#bf8700;--mlops-chart-purple:#8250df;--mlops-chart-green:#1a7f37;--mlops-chart-orange:#bc4c00;"""
_DARK = """
  --mlops-muted:#9198a1;
  --mlops-ok:#3fb950;--mlops-bad:#ff7b72;--mlops-warn:#d29922;--mlops-info:#4493f8;
  --mlops-flag-bg:rgba(248,81,73,.15);--mlops-neutral-bg:#30363d;
  --mlops-chart-reference:#8c959f;--mlops-chart-current:#4493f8;--mlops-chart-alert:#ff7b72;
  --mlops-chart-amber:#d29922;--mlops-chart-purple:#ab7df8;--mlops-chart-green:#3fb950;--mlops-chart-orange:#f0883e;"""
# A badge is a solid pill whose white text meets AA on each tone in every theme (5.0 to 5.4).
_BADGE = {"ok": "#1a7f37", "bad": "#cf222e", "warn": "#9a6700", "info": "#0969da"}

#: Every rule that touches a table starts with this triple class: (0,3,x) outranks the host's table
#: rules, JupyterLab's ``:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon th`` (right-aligned),
#: ``.jp-RenderedHTMLCommon tbody tr:nth-child(odd)`` (striped, hover) and the classic notebook's
#: ``.rendered_html`` ones, all (0,2,x), whatever order the stylesheets come in.
SCOPE = ".mlops.mlops.mlops"

_RULES = """
.mlops{%(light)s}
[data-jp-theme-light="false"] .mlops,.vscode-dark .mlops,.vscode-high-contrast:not(.vscode-high-contrast-light) .mlops{%(dark)s}
& {font-family:var(--jp-ui-font-family,-apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif);
  font-size:13px;line-height:1.45;color:var(--mlops-text);max-width:1100px;text-align:left}
& h3{font-size:15px;font-weight:600;line-height:1.45;margin:4px 0 6px 0;padding:0;color:var(--mlops-text)}
& h4{font-size:12px;font-weight:600;line-height:1.45;margin:12px 0 4px 0;padding:0;color:var(--mlops-muted);
  text-transform:uppercase;letter-spacing:.04em}
& table{border-collapse:collapse;border-spacing:0;border:none;margin:4px 0 8px 0;width:auto;table-layout:auto;
  font-size:13px;color:var(--mlops-text);background:transparent}
& thead{border:none;vertical-align:bottom}
& tr,& tbody tr,& tbody tr:nth-child(odd),& tbody tr:nth-child(even),& tbody tr:hover{background:transparent;
  border:none;text-align:left}
& th,& td{padding:2px 10px 2px 0;text-align:left;vertical-align:top;line-height:1.45;white-space:normal;
  max-width:none;border:none;border-bottom:1px solid var(--mlops-line);background:transparent;color:var(--mlops-text);
  font-weight:400}
& tbody th{color:var(--mlops-muted);font-weight:600;white-space:nowrap}
& thead th{background:var(--mlops-head-bg);font-weight:600;border-bottom:1px solid var(--mlops-line-strong)}
& .mlops-data th,& .mlops-data td{padding:3px 10px;white-space:nowrap}
& .mlops-kv td{overflow-wrap:anywhere}
& td.mlops-num{text-align:right;font-variant-numeric:tabular-nums}
& tr.mlops-flagged td{background:var(--mlops-flag-bg)}
.mlops .mlops-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:2px 28px}
.mlops-badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:11px;font-weight:600;
  margin:0 6px 0 0;vertical-align:1px;background:var(--mlops-neutral-bg,#eaeef2);color:var(--mlops-text,#1f2328)}
.mlops-badge.mlops-ok{background:%(ok)s;color:#fff}
.mlops-badge.mlops-bad{background:%(bad)s;color:#fff}
.mlops-badge.mlops-warn{background:%(warn)s;color:#fff}
.mlops-badge.mlops-info{background:%(info)s;color:#fff}
.mlops-badge.mlops-muted{background:transparent;border:1px solid var(--mlops-line-strong);color:var(--mlops-muted)}
.mlops-summary{font-size:14px;margin:2px 0 10px 0}
.mlops-meta{color:var(--mlops-muted,#59636e);font-size:12px;margin-bottom:8px}
.mlops-note{margin:6px 0}
.mlops-muted{color:var(--mlops-muted,#59636e)}
.mlops-note.mlops-warn{color:var(--mlops-warn,#9a6700);font-weight:600}
.mlops-yes{color:var(--mlops-bad,#cf222e);font-weight:600}
.mlops-no{color:var(--mlops-ok,#1a7f37)}
.mlops-mono{font-family:var(--jp-code-font-family,SFMono-Regular,Consolas,monospace);font-size:12px}
.mlops-charts{display:flex;flex-wrap:wrap;gap:10px}
.mlops-chart{border:1px solid var(--mlops-line,#d8dee4);border-radius:6px;padding:4px;background:transparent;
  color:var(--mlops-text,#1f2328)}
.mlops-chart svg{display:block;width:300px;height:auto;max-width:none}
.mlops-sparkline{display:block}
.mlops-more-charts>summary{cursor:pointer;color:var(--mlops-muted,#59636e);margin:6px 0}
"""

CSS = (_RULES % {"light": _LIGHT, "dark": _DARK, **_BADGE}).replace("&", SCOPE)

#: the badge tone of words that results show as badges
_TONES = {
    "Approved": "ok", "Rejected": "bad", "PendingManualApproval": "warn", "archived": "muted",
    "PASS": "ok", "FAIL": "bad", "running": "ok", "failed": "bad", "intact": "ok", "broken": "bad",
}
STATUS_TONES = {"ok": "ok", "warn": "warn", "alert": "bad", "info": "info"}
STATUS_WORDS = {"ok": "OK", "warn": "WARNING", "alert": "ALERT", "info": "INFO"}


class Raw(str):
    """HTML that a table cell takes as is (already escaped)."""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def format_text(value: Any) -> str:
    """``value`` as plain text for a card or a terminal: floats to 4 significant digits, None as
    a dash, lists and dicts flattened to one line."""
    if isinstance(value, float):
        text = f"{value:.4g}"
        return text + ".0" if text.lstrip("-").isdigit() else text
    if value is None:
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={format_text(v)}" for k, v in value.items())
    return str(value)


def format_cell(value: Any, digits: int = 4) -> str:
    """``value`` as the HTML of a table cell: booleans as a coloured yes/no, missing values muted,
    floats to ``digits`` significant digits (scientific when tiny or huge)."""
    if isinstance(value, Raw):
        return value
    if value is None:
        return '<span class="mlops-muted">&ndash;</span>'
    if isinstance(value, bool):
        return '<span class="mlops-yes">yes</span>' if value else '<span class="mlops-no">no</span>'
    if isinstance(value, float):
        if math.isnan(value):
            return '<span class="mlops-muted">nan</span>'
        if value != 0 and (abs(value) < 10 ** -(digits - 1) or abs(value) >= 1e7):
            return f"{value:.{digits - 1}e}"
        return f"{value:.{digits}g}" if abs(value) >= 1 else f"{value:.{digits}f}"
    return esc(value)


def badge(text: Any, tone: str | None = None) -> str:
    """A pill; ``tone`` is "ok", "bad", "warn", "info" or "muted" (default: by the word)."""
    tone = tone or _TONES.get(str(text))
    cls = f"mlops-badge mlops-{tone}" if tone else "mlops-badge"
    return f'<span class="{cls}">{esc(text)}</span>'


def status_badge(status: str) -> str:
    """A report's status ("ok", "warn", "alert", "info") as its badge."""
    return badge(STATUS_WORDS.get(status, status.upper()), STATUS_TONES.get(status, "muted"))


def note(content: str, tone: str = "muted") -> str:
    """A paragraph under a card's table; ``content`` is HTML."""
    return f'<p class="mlops-note mlops-{tone}">{content}</p>'


def kv_table(rows: Iterable[tuple[str, Any]]) -> str:
    """A two-column table of names and plain-text values (``Raw`` values are HTML)."""
    body = "".join(
        f"<tr><th>{esc(k)}</th><td>{v if isinstance(v, Raw) else esc(format_text(v))}</td></tr>"
        for k, v in rows
    )
    return f'<table class="mlops-kv"><tbody>{body}</tbody></table>' if body else note("none")


def table(columns: list[str], rows: Iterable[Iterable[Any]], flagged: Iterable[int] = (),
          numeric: Iterable[int] = ()) -> str:
    """A data table: rows at the indexes in ``flagged`` are highlighted, columns at the indexes
    in ``numeric`` are right-aligned."""
    flagged, numeric = set(flagged), set(numeric)
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for i, row in enumerate(rows):
        cells = "".join(f'<td class="mlops-num">{format_cell(v)}</td>' if j in numeric
                        else f"<td>{format_cell(v)}</td>" for j, v in enumerate(row))
        body.append(f'<tr class="mlops-flagged">{cells}</tr>' if i in flagged else f"<tr>{cells}</tr>")
    return f'<table class="mlops-data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def charts(svgs: Iterable[str], width: int | None = None) -> str:
    """Charts side by side, wrapping; ``width`` (px) overrides the stylesheet's chart width."""
    if width:
        svgs = (svg.replace("<svg", f'<svg style="width:{width}px"', 1) for svg in svgs)
    return '<div class="mlops-charts">' + "".join(f'<div class="mlops-chart">{svg}</div>' for svg in svgs) + "</div>"


def styled(inner: str, kind: str) -> str:
    """One output: the root element (``mlops mlops-<kind>``) with the stylesheet and ``inner``."""
    return f'<div class="{ROOT_CLASS} mlops-{kind}"><style>{CSS}</style>{inner}</div>'


def card(title: str, badges: str, sections: list[tuple[str, str]]) -> str:
    """A titled card whose sections (heading, HTML) flow in columns as wide as the output area allows."""
    parts = [f"<h3>{esc(title)} {badges}</h3>", '<div class="mlops-grid">']
    for heading, content in sections:
        parts.append(f"<div>{f'<h4>{esc(heading)}</h4>' if heading else ''}{content}</div>")
    parts.append("</div>")
    return styled("".join(parts), "card")


def report_header(title: str, status: str, summary: str, meta: str = "") -> str:
    """A report's first lines: status badge and title, the summary sentence, then ``meta``."""
    return (f"<h3>{status_badge(status)}{esc(title)}</h3><div class=\"mlops-summary\">{esc(summary)}</div>"
            + (f'<div class="mlops-meta">{esc(meta)}</div>' if meta else ""))


def page(title: str, output: str) -> str:
    """A standalone HTML document around one ``styled`` output: the stylesheet is inline, charts
    are inline SVG, so no network is needed to view it."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{esc(title)}</title></head><body style=\"margin:24px\">{output}</body></html>\n"
    )
