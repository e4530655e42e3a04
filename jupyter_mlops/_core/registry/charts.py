"""The registry's charts: each metric across a model's versions, drawn under ``versions(name)``.

Drawn only when the listing is displayed (``ListingFrame.charts``), with matplotlib's object API
through the monitoring reports' figure and SVG helpers (``monitor/reports/charts.py``), as the
sweep's chart is, so every chart of the package looks alike. One small chart per metric, the
first ``MAX_CHARTS`` metrics in the order the versions logged them, each once two or more versions
have it: version numbers on x, a line through the values, each point marked by its approval
(filled: Approved, a cross: Rejected, hollow: pending) and labelled with its aliases.
"""

from __future__ import annotations

import math
from typing import Any

MAX_CHARTS = 6
#: the versions listing's own columns; any other column is a metric
LISTED = {"model", "version", "created_at", "created_by", "approval", "aliases", "status", "reproduction",
          "data_sha256"}


def metric_names(frame) -> list[str]:
    """The metrics of a ``versions`` frame that two or more versions have, in the frame's order."""
    return [str(c) for c in frame.columns if str(c) not in LISTED
            and sum(_number(v) is not None for v in frame[c]) >= 2]


def metrics_across_versions(frame) -> list[str]:
    """One SVG per metric (the first ``MAX_CHARTS``) of one model's ``versions`` frame (indexed by
    version); none for a listing of several models, whose version numbers do not share an axis."""
    if "model" in frame.columns and frame["model"].nunique() > 1:
        return []
    return [_chart(frame, name) for name in metric_names(frame)[:MAX_CHARTS]]


def _chart(frame, metric: str) -> str:
    from ..monitor.reports.charts import ALERT_COLOUR, CURRENT_COLOUR, REFERENCE_COLOUR, _figure, _svg

    points = [(int(version), _number(row[metric]), str(row.get("approval") or ""), str(row.get("aliases") or ""))
              for version, row in frame.iterrows() if _number(row[metric]) is not None]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    fig, ax = _figure()
    ax.plot(xs, ys, color=REFERENCE_COLOUR, linewidth=1, zorder=1)
    styles = {"Approved": dict(marker="o", color=CURRENT_COLOUR, label="Approved"),
              "Rejected": dict(marker="x", color=ALERT_COLOUR, label="Rejected")}
    pending = dict(marker="o", facecolors="none", edgecolors=REFERENCE_COLOUR, label="pending")
    for approval in ("Approved", "Rejected", None):
        mine = [(x, y) for x, y, a, _ in points if (a == approval if approval else a not in styles)]
        if mine:
            ax.scatter([x for x, _ in mine], [y for _, y in mine], s=22, zorder=2, **styles.get(approval, pending))
    for x, y, _, aliases in points:
        if aliases:
            ax.annotate(", ".join("@" + a.strip() for a in aliases.split(",")), (x, y), textcoords="offset points",
                        xytext=(0, 6), ha="center", fontsize=6, color=CURRENT_COLOUR)
    if len(xs) <= 12:
        ax.set_xticks(xs, [str(x) for x in xs])
    else:
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("version", fontsize=7)
    ax.set_title(metric, fontsize=9, loc="left")
    ax.margins(x=0.08, y=0.2)
    ax.legend(fontsize=6, frameon=False, loc="best")
    return _svg(fig)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
