"""Inline charts, drawn with matplotlib only when a report is displayed or saved.

Each chart is an SVG string (no files, no network): distribution overlays of reference and current
for a feature, and horizontal bars for attributions. The matplotlib Agg backend is used through the
object API, so drawing never touches pyplot's global state or an interactive backend.
"""

from __future__ import annotations

import io
from typing import Any

REFERENCE_COLOUR = "#8c959f"
CURRENT_COLOUR = "#0969da"
ALERT_COLOUR = "#cf222e"


def _figure(width: float = 3.4, height: float = 2.1):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=7, length=2)
    return fig, ax


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.tight_layout(pad=0.4)
    fig.savefig(buf, format="svg")
    text = buf.getvalue()
    return text[text.find("<svg"):]


def distribution_overlay(chart: dict[str, Any], title: str, drifted: bool = False) -> str:
    """Reference vs current as shares: step histograms (numeric) or grouped bars (categorical)."""
    import numpy as np

    fig, ax = _figure()
    ref = np.asarray(chart["reference"], dtype=float)
    cur = np.asarray(chart["current"], dtype=float)
    ref = ref / ref.sum() if ref.sum() else ref
    cur = cur / cur.sum() if cur.sum() else cur
    if chart["type"] == "hist":
        edges = np.asarray(chart["edges"], dtype=float)
        ax.stairs(ref, edges, fill=True, color=REFERENCE_COLOUR, alpha=0.45, label="reference")
        ax.stairs(cur, edges, color=ALERT_COLOUR if drifted else CURRENT_COLOUR, linewidth=1.4, label="current")
    else:
        x = np.arange(len(chart["categories"]))
        ax.bar(x - 0.2, ref, width=0.4, color=REFERENCE_COLOUR, label="reference")
        ax.bar(x + 0.2, cur, width=0.4, color=ALERT_COLOUR if drifted else CURRENT_COLOUR, label="current")
        ax.set_xticks(x, [c[:10] for c in chart["categories"]], rotation=45 if len(x) > 4 else 0, ha="right" if len(x) > 4 else "center")
    ax.set_title(title, fontsize=9, loc="left", color=ALERT_COLOUR if drifted else "#1f2328")
    ax.set_ylabel("share", fontsize=7)
    ax.legend(fontsize=7, frameon=False)
    return _svg(fig)


def paired_bars(labels: list[str], baseline: list[float], current: list[float], title: str, xlabel: str) -> str:
    """Horizontal bars, baseline vs current, for attributions or metrics."""
    import numpy as np

    n = len(labels)
    fig, ax = _figure(4.6, max(1.6, 0.28 * n + 0.8))
    y = np.arange(n)
    ax.barh(y + 0.2, baseline, height=0.4, color=REFERENCE_COLOUR, label="baseline")
    ax.barh(y - 0.2, current, height=0.4, color=CURRENT_COLOUR, label="current")
    ax.set_yticks(y, [s[:18] for s in labels])
    ax.invert_yaxis()
    ax.set_xlabel(xlabel, fontsize=7)
    ax.set_title(title, fontsize=9, loc="left")
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _svg(fig)


def series(x: list[float], y: list[float], title: str, marks: list[float] = (), ylabel: str = "") -> str:
    """A line (e.g. an error stream) with vertical marks where detectors fired."""
    fig, ax = _figure(6.0, 2.0)
    ax.plot(x, y, color=CURRENT_COLOUR, linewidth=0.8)
    for m in marks:
        ax.axvline(m, color=ALERT_COLOUR, linewidth=1, linestyle="--")
    ax.set_title(title, fontsize=9, loc="left")
    ax.set_ylabel(ylabel, fontsize=7)
    return _svg(fig)


# -- over time: an endpoint's request history, drift across scheduled checks --------------------

def _series_colour(i: int) -> str:
    # read when drawing, so a restyle of the constants above reaches these charts too
    extra = ("#bf8700", "#8250df", "#1a7f37", "#bc4c00")
    return (CURRENT_COLOUR, *extra, REFERENCE_COLOUR)[i % (len(extra) + 2)]


def over_time(lines: dict[str, tuple[list, list]], title: str, ylabel: str = "",
              marks: list[tuple[Any, str]] = (), threshold: float | None = None,
              log: bool = False, width: float = 4.2, height: float = 2.0, points: bool = False) -> str:
    """Lines over time (``{label: (datetimes, values)}``, a value None is a gap), with dashed
    vertical ``marks`` (time, label) such as rollout weight changes and an optional horizontal
    ``threshold`` line."""
    import numpy as np
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    fig, ax = _figure(width, height)
    for i, (label, (x, y)) in enumerate(lines.items()):
        values = np.array([np.nan if v is None else float(v) for v in y], dtype=float)
        ax.plot(list(x), values, color=_series_colour(i), linewidth=1.2, label=label,
                marker="o" if points or len(values) < 3 else None, markersize=3)
    if threshold is not None:
        ax.axhline(threshold, color=ALERT_COLOUR, linewidth=1, linestyle="--", label="threshold")
    for when, label in marks:
        ax.axvline(when, color=REFERENCE_COLOUR, linewidth=0.9, linestyle=":")
        ax.annotate(label[:24], (when, 1.0), xycoords=("data", "axes fraction"), fontsize=6,
                    color=REFERENCE_COLOUR, rotation=90, va="top", ha="right")
    if log:
        ax.set_yscale("log")
    locator = AutoDateLocator(minticks=2, maxticks=5)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.set_title(title, fontsize=9, loc="left")
    ax.set_ylabel(ylabel, fontsize=7)
    if len(lines) > 1 or threshold is not None:
        ax.legend(fontsize=6, frameon=False)
    return _svg(fig)
