"""How a listing's values read to a person: the cells of the formatted tables that listings show in
a notebook (HTML) and in a terminal (text), from the raw values their DataFrames keep.

Figures are rounded and carry their unit (``212.5 MB``, ``3.2 ms``, ``12.4 req/s``, ``1.2 %``),
times read to the second, or in HTML relative to now ("5 min ago") with the absolute time (UTC) in
the element's title; statuses and approvals are badges, URLs links. A live figure that is missing
because an endpoint has served nothing yet reads as a muted dash titled "no traffic yet".

A cell is decided by its listing column (``listings.LISTINGS``: its JSON type) and its name, so
every listing with a ``status`` or a ``created_at`` reads alike. Nothing here imports pandas.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from typing import Any

from . import html
from .listings import Column

#: columns whose figures carry a unit: (unit, decimals)
UNITS = {"rss_mb": ("MB", 1), "p50_ms": ("ms", 1), "p99_ms": ("ms", 1), "req_per_s": ("req/s", 1),
         "seconds": ("s", 1), "cpu_percent": ("%", 1)}
#: columns holding a share of 1, shown as a percentage
SHARES = {"error_rate"}
#: the live figures of an endpoint: missing while it has served nothing
TRAFFIC = {"req_per_s", "p50_ms", "p99_ms", "error_rate"}
LIVE = {"running", "updating", "starting"}
BADGES = {"status", "approval", "latest_approval", "last_status", "reproduction"}
LINKS = {"url"}
#: counts that read better with thousands separators
COUNTS = {"rows", "versions", "violations"}
#: at most this many characters of an object or a long text in a cell (the title has it all)
MAX_CHARS = 80

#: the tone of each status word a listing shows as a badge (the kit's own words first)
TONES = {
    "Approved": "ok", "Rejected": "bad", "PendingManualApproval": "warn",
    "PASS": "ok", "FAIL": "bad",
    "running": "ok", "updating": "info", "starting": "info", "stopped": "muted", "failed": "bad",
    "active": None, "archived": "muted",
    "succeeded": "ok", "violation": "warn", "skipped": "muted", "gate_failed": "bad",
    "ok": "ok", "warn": "warn", "alert": "bad",
}


def utc(value: Any) -> dt.datetime | None:
    """A datetime-like value as an aware UTC datetime (the database's naive ones are UTC)."""
    if _missing(value) or not isinstance(value, dt.datetime):
        return None
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def absolute(when: dt.datetime) -> str:
    """To the second, in UTC: ``2026-11-28 17:43:27``."""
    return f"{when:%Y-%m-%d %H:%M:%S}"


def relative(when: dt.datetime, now: dt.datetime) -> str:
    """``12 s ago``, ``5 min ago``, ``3 h ago``, ``2 days ago`` (``in 5 min`` ahead); the date
    after a week."""
    seconds = (now - when).total_seconds()
    ahead, seconds = seconds < 0, abs(seconds)
    if seconds < 1:
        return "now"
    if seconds >= 7 * 86400:
        return f"{when:%Y-%m-%d}"
    for size, unit in ((86400, " days"), (3600, " h"), (60, " min"), (1, " s")):
        if seconds >= size:
            count = int(seconds // size)
            text = f"{count}{' day' if unit == ' days' and count == 1 else unit}"
            return f"in {text}" if ahead else f"{text} ago"
    return "now"  # pragma: no cover


def figure(value: float, decimals: int = 1) -> str:
    """A rounded figure: ``decimals`` after the point, or two significant digits below 1."""
    if value != 0 and abs(value) < 1:
        return f"{value:.2g}"
    return f"{value:,.{decimals}f}"


def text(column: Column | None, name: str, value: Any) -> str:
    """The plain-text cell (the terminal's table): as the HTML cell reads, times absolute."""
    if _missing(value):
        return "—"
    when = utc(value) if _is_time(column, value) else None
    if when is not None:
        return absolute(when)
    return _plain(column, name, value)


def cell(column: Column | None, name: str, value: Any, row: dict, now: dt.datetime) -> html.Raw:
    """The HTML of one cell of listing column ``name`` in ``row`` (the row's raw values)."""
    if _missing(value):
        if name in TRAFFIC and row.get("status") in LIVE:
            return html.Raw('<span class="mlops-muted" title="no traffic yet">&ndash;</span>')
        return html.Raw('<span class="mlops-muted">&ndash;</span>')
    when = utc(value) if _is_time(column, value) else None
    if when is not None:
        iso = when.isoformat()
        return html.Raw(f'<time datetime="{html.esc(iso)}" title="{html.esc(absolute(when))} UTC">'
                        f"{html.esc(relative(when, now))}</time>")
    if name in BADGES:
        return html.Raw(html.badge(value, TONES.get(str(value))))
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return html.Raw(html.format_cell(bool(value)))  # the kit's coloured yes / no
    if (name in LINKS and isinstance(value, str) and value.startswith(("http://", "https://"))
            and row.get("status") not in ("stopped", "failed")):  # a dead endpoint's address is no link
        return html.Raw(f'<a href="{html.esc(value)}" target="_blank" rel="noopener">{html.esc(value)}</a>')
    shown = _plain(column, name, value)
    if name.endswith("sha256") or name == "hash":
        return html.Raw(f'<span class="mlops-mono">{html.esc(shown)}</span>')
    if shown.endswith("…"):
        return html.Raw(f'<span title="{html.esc(html.format_text(value))}">{html.esc(shown)}</span>')
    return html.Raw(html.esc(shown))


def numeric(column: Column | None, name: str) -> bool:
    """Whether the column is right-aligned (figures)."""
    return name in UNITS or name in SHARES or (column is not None and column.type in ("integer", "number"))


def _plain(column: Column | None, name: str, value: Any) -> str:
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if isinstance(value, numbers.Real):
        number = float(value)
        if name in SHARES:
            return f"{figure(number * 100)} %"
        if name in UNITS:
            unit, decimals = UNITS[name]
            return f"{figure(number, decimals)} {unit}"
        if isinstance(value, numbers.Integral) or (column is not None and column.type == "integer"
                                                   and number.is_integer()):
            return f"{int(number):,}" if name in COUNTS else str(int(number))
        return html.format_text(number)
    if hasattr(value, "tolist") and not isinstance(value, str):  # a numpy array in an "array" column
        value = value.tolist()
    shown = html.format_text(value)
    return shown if len(shown) <= MAX_CHARS else shown[:MAX_CHARS - 1] + "…"


def _is_time(column: Column | None, value: Any) -> bool:
    return isinstance(value, dt.datetime) or (column is not None and column.type == "date-time")


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(value != value)  # NaT and pandas' NA are not equal to themselves
    except (TypeError, ValueError):  # arrays compare element-wise
        return False
