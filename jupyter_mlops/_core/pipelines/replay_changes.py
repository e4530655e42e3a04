"""Where a candidate's predictions changed, feature by feature (what ``Replay.changes_by_feature``
holds).

Each feature's rows are grouped (numbers into quantile bins of the replayed window, or one group
per value when there are few; categories as they are, the rarest folded into "other"; missing
values in a group of their own), and each group says how many of its rows changed. The
*concentration* of a feature is the total variation distance between where the changed rows fall
and where all rows fall: 0 when changes are spread like the data, towards 1 when they sit in a few
groups. Features are listed most concentrated first, each with the place (a contiguous value range,
or the categories) where the share of changed rows is above the window's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: quantile bins of a numeric feature; a feature with at most this many values gets one per value
NUMERIC_BINS = 10
#: categories listed by name; the rest are summed as "other"
MAX_CATEGORIES = 20
MISSING = "(missing)"
OTHER = "(other)"


def changes_by_feature(features, changed: np.ndarray) -> dict[str, dict[str, Any]]:
    """feature -> {"kind", "concentration", "where", "bins" or "categories"}, most concentrated
    first. ``changed``: one boolean per row of ``features`` (a DataFrame)."""
    import pandas as pd

    changed = np.asarray(changed, dtype=bool)
    overall = float(changed.mean()) if len(changed) else 0.0
    out = {}
    for column in features.columns:
        values = features[column]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        if numeric and values.nunique(dropna=True) > NUMERIC_BINS:
            out[str(column)] = _binned(str(column), values.to_numpy(dtype=float), changed, overall)
        else:
            out[str(column)] = _grouped(str(column), values, changed, overall, numeric)
    return dict(sorted(out.items(), key=lambda item: -item[1]["concentration"]))


def _share(changed: int, rows: int) -> float:
    return changed / rows if rows else 0.0


def _concentration(rows: np.ndarray, changed_rows: np.ndarray) -> float:
    total_changed = changed_rows.sum()
    if total_changed == 0 or rows.sum() == 0:
        return 0.0
    return float(0.5 * np.abs(changed_rows / total_changed - rows / rows.sum()).sum())


def _binned(name: str, values: np.ndarray, changed: np.ndarray, overall: float) -> dict[str, Any]:
    present = ~np.isnan(values)
    edges = np.unique(np.quantile(values[present], np.linspace(0, 1, NUMERIC_BINS + 1)))
    which = np.searchsorted(edges[1:-1], values[present], side="right")
    bins = []
    for i in range(len(edges) - 1):
        inside = which == i
        rows, hits = int(inside.sum()), int(changed[present][inside].sum())
        bins.append({"range": [float(edges[i]), float(edges[i + 1])], "rows": rows, "changed": hits,
                     "share": _share(hits, rows)})
    if (~present).any():
        rows, hits = int((~present).sum()), int(changed[~present].sum())
        bins.append({"range": None, "rows": rows, "changed": hits, "share": _share(hits, rows)})
    counts = np.array([b["rows"] for b in bins], dtype=float)
    hits = np.array([b["changed"] for b in bins], dtype=float)
    return {"kind": "numeric", "concentration": _concentration(counts, hits),
            "where": _where_range(name, bins, overall), "bins": bins}


def _where_range(name: str, bins: list[dict], overall: float) -> str:
    """The contiguous run of bins above the overall share that holds the most changed rows."""
    best, run = None, []
    for b in [*bins, None]:
        if b is not None and b["range"] is not None and b["changed"] and b["share"] > overall:
            run.append(b)
            continue
        if run and (best is None or sum(x["changed"] for x in run) > sum(x["changed"] for x in best)):
            best = run
        run = []
    if best is None:
        return ""
    rows, hits = sum(b["rows"] for b in best), sum(b["changed"] for b in best)
    low, high = best[0]["range"][0], best[-1]["range"][1]
    return (f"{name} {low:.4g}–{high:.4g}: {hits} of {rows} rows changed "
            f"({_share(hits, rows):.0%}; {overall:.0%} overall)")


def _grouped(name: str, values, changed: np.ndarray, overall: float, numeric: bool) -> dict[str, Any]:
    import pandas as pd

    keys = values.astype(object).where(values.notna(), MISSING)
    frame = pd.DataFrame({"key": keys.map(_label).to_numpy(), "changed": changed})
    table = frame.groupby("key", sort=False)["changed"].agg(["size", "sum"]).sort_values(
        ["sum", "size"], ascending=False)
    if len(table) > MAX_CATEGORIES:
        rest = table.iloc[MAX_CATEGORIES - 1:].sum().to_frame(OTHER).T
        table = pd.concat([table.iloc[:MAX_CATEGORIES - 1], rest])
    groups = [{"category": key, "rows": int(size), "changed": int(hits), "share": _share(int(hits), int(size))}
              for key, size, hits in zip(table.index, table["size"], table["sum"])]
    above = [g for g in groups if g["changed"] and g["share"] > overall]
    where = ""
    if above:
        hits, rows = sum(g["changed"] for g in above), sum(g["rows"] for g in above)
        where = (f"{name} in {{{', '.join(str(g['category']) for g in above[:5])}"
                 f"{', …' if len(above) > 5 else ''}}}: {hits} of {rows} rows changed "
                 f"({_share(hits, rows):.0%}; {overall:.0%} overall)")
    return {"kind": "values" if numeric else "categorical",
            "concentration": _concentration(table["size"].to_numpy(float), table["sum"].to_numpy(float)),
            "where": where, "categories": groups}


def _label(value: Any) -> Any:
    """A group's name as JSON keeps it: whole floats as ints (2.0 -> 2), numpy scalars as Python's."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, (int, float, str, bool)) else str(value)
