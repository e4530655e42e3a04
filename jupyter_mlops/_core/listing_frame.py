"""``ListingFrame``: the DataFrame a listing verb returns (``models()``, ``versions()``,
``endpoints()``, ``schedules()``, ``runs()``, ``reports()``, ``datasets()``, ``audit()``), which shows
itself as a formatted table while its values stay the raw ones.

It is a pandas DataFrame in every respect (indexing, ``set_index``, ``to_dict``, the REST records
of ``listings.records``); only its display differs: ``_repr_html_`` (a notebook) and ``to_text()``
(the CLI) read each value through ``listing_cells``, and ``to_frame()`` is a plain DataFrame of
the same raw values, for a person who wants pandas' own display or to compute. Anything derived
from it (a filter, ``set_index``, a copy) is a plain DataFrame: the formatting belongs to the
listing as the verb returned it.

``charts`` is an optional callable of the frame that returns inline SVGs drawn under the table
(``versions()``: a metric across versions); it runs only when the frame is displayed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

import pandas as pd

from . import html, listing_cells, text
from .listings import LISTINGS

#: at most this many rows in a displayed table: the first and last halves, a marker between
MAX_ROWS = 200


class ListingFrame(pd.DataFrame):
    _metadata = ["listing", "charts"]
    listing: str | None = None
    charts: Callable[[pd.DataFrame], list[str]] | None = None

    @property
    def _constructor(self):
        return pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The raw values as a plain DataFrame (pandas' own display, for computing)."""
        return pd.DataFrame(self, copy=True)

    def _columns(self) -> tuple[pd.DataFrame, list[str]]:
        frame = pd.DataFrame(self, copy=False)
        if any(name is not None for name in frame.index.names):
            frame = frame.reset_index()
        return frame, [str(c) for c in frame.columns]

    def _documented(self, name: str):
        listing = LISTINGS.get(self.listing or "")
        return listing.column(name) if listing else None

    def _repr_html_(self) -> str:
        frame, names = self._columns()
        now = dt.datetime.now(dt.timezone.utc)
        columns = [self._documented(n) for n in names]
        rows, skipped = _shown(frame.to_dict(orient="records"))
        cells = []
        for row in rows:
            if row is None:
                cells.append([html.Raw(f'<span class="mlops-muted">… {skipped:,} more rows (to_frame() has them all)</span>')]
                             + [html.Raw("")] * (len(names) - 1))
                continue
            raw = {str(k): v for k, v in row.items()}
            cells.append([listing_cells.cell(c, n, raw[n], raw, now) for c, n in zip(columns, names)])
        numeric = [i for i, (c, n) in enumerate(zip(columns, names)) if listing_cells.numeric(c, n)]
        count = len(frame)
        meta = f'<div class="mlops-meta">{count:,} {"row" if count == 1 else "rows"}</div>'
        body = html.table(names, cells, numeric=numeric) if count else html.note("none")
        charts = self.charts(self.to_frame()) if self.charts is not None and count else []
        return html.styled(meta + body + (html.charts(charts) if charts else ""), "listing")

    def to_text(self) -> str:
        """The table for a terminal: the same figures and units, times absolute (UTC)."""
        frame, names = self._columns()
        columns = [self._documented(n) for n in names]
        rows = [[listing_cells.text(c, n, v) for c, n, v in zip(columns, names, row)]
                for row in frame.itertuples(index=False, name=None)]
        keep = [i for i in range(len(names)) if any(r[i] not in ("—", "") for r in rows)]
        if not rows or not keep:
            return "(none)"
        right = {i for i in keep if listing_cells.numeric(columns[i], names[i])}
        return text.aligned([names[i] for i in keep], [[r[i] for i in keep] for r in rows],
                        {n for n, i in enumerate(keep) if i in right})


def listing(name: str, frame: pd.DataFrame, charts: Callable | None = None) -> ListingFrame:
    """``frame`` (the raw values of listing ``name``) as the frame a verb returns."""
    out = ListingFrame(frame)
    out.listing = name
    out.charts = charts
    return out


def _shown(rows: list[dict]) -> tuple[list[dict | None], int]:
    if len(rows) <= MAX_ROWS:
        return rows, 0
    half = MAX_ROWS // 2
    return [*rows[:half], None, *rows[-half:]], len(rows) - 2 * half
