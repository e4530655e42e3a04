"""Plain-text tables for a terminal: what ``to_text()`` of a result prints (the CLI shows it).

Values read as in the notebook's HTML tables: floats to 4 significant digits, booleans as yes/no,
missing values as a dash; numbers right-aligned, text left-aligned; columns with nothing in any
row are left out, so a terminal line stays short.
"""

from __future__ import annotations

import numbers
from typing import Any

from .html import format_text


def cell(value: Any) -> str:
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "yes" if value else "no"
    if _missing(value):
        return "—"
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return format_text(float(value))
    return format_text(value)


def table(frame, index: bool = True) -> str:
    """``frame`` (a pandas DataFrame) as aligned columns under a header line."""
    frame = frame.reset_index() if index and _named_index(frame) else frame
    columns = [c for c in frame.columns if not all(_missing(v) or v == "" for v in frame[c])]
    if not columns or not len(frame):
        return "(none)"
    texts = {c: [cell(v) for v in frame[c]] for c in columns}
    numeric = {c: all(_missing(v) or (isinstance(v, numbers.Real) and not isinstance(v, bool)) for v in frame[c])
               for c in columns}
    widths = {c: max(len(str(c)), *(len(t) for t in texts[c])) for c in columns}

    def line(values: dict) -> str:
        return "  ".join(values[c].rjust(widths[c]) if numeric[c] else values[c].ljust(widths[c])
                         for c in columns).rstrip()

    rows = [line({c: str(c) for c in columns}), line({c: "-" * widths[c] for c in columns})]
    rows += [line({c: texts[c][i] for c in columns}) for i in range(len(frame))]
    return "\n".join(rows)


def _named_index(frame) -> bool:
    return any(name is not None for name in frame.index.names)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT and pandas' NA are not equal to themselves
    except (TypeError, ValueError):
        return False


def aligned(names: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    """Cells already formatted (``listing_cells.text``) as aligned columns under a header line;
    the columns at the indexes in ``right`` are right-aligned."""
    widths = [max(len(names[i]), *(len(r[i]) for r in rows)) for i in range(len(names))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(widths[i]) if i in right else v.ljust(widths[i])
                         for i, v in enumerate(values)).rstrip()

    return "\n".join([line(names), line(["-" * w for w in widths]), *(line(r) for r in rows)])
