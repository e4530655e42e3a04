"""Inline charts, drawn with matplotlib only when a report is displayed or saved.

Each chart is an SVG string (no files, no network): distribution overlays of reference and current
for a feature, and horizontal bars for attributions. The matplotlib Agg backend is used through the
object API, so drawing never touches pyplot's global state or an interactive backend.

Charts follow the notebook's theme: the figure is transparent, its ink (titles, labels, ticks,
spines, legends) is drawn in ``INK`` and the series in the colour constants below, and ``_svg``
rewrites those colours in the SVG to ``currentColor`` and to the result kit's custom properties
(``--mlops-chart-*``, with these colours as fallbacks), so a dark theme redraws them light.
Colours a chart picks itself (a colormap, an annotation on a coloured cell) are left as drawn.
"""

from __future__ import annotations

import io
import re
from typing import Any

REFERENCE_COLOUR = "#8c959f"
CURRENT_COLOUR = "#0969da"
ALERT_COLOUR = "#cf222e"
#: the chart's text and axes; black (matplotlib's default) on the text and axes of a chart becomes it
INK = "#1f2328"

# what each colour becomes in the SVG: the page's text colour, or the kit's themed series colour
_THEMED = {
    INK: "currentColor",
    REFERENCE_COLOUR: f"var(--mlops-chart-reference,{REFERENCE_COLOUR})",
    CURRENT_COLOUR: f"var(--mlops-chart-current,{CURRENT_COLOUR})",
    ALERT_COLOUR: f"var(--mlops-chart-alert,{ALERT_COLOUR})",
}
_HEX = re.compile(r"#[0-9a-f]{6}\b")


def _figure(width: float = 3.4, height: float = 2.1):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=7, length=2, colors=INK)
    return fig, ax


def _ink(fig) -> None:
    """The figure's own text and axes in ``INK`` where matplotlib left them black: titles, axis
    labels, tick labels, legends, spines, ticks (not a chart's annotations, ``ax.texts``, which
    may sit on a coloured cell)."""
    from matplotlib.colors import to_hex
    from matplotlib.text import Text

    annotations = {id(t) for ax in fig.axes for t in ax.texts}
    for text in fig.findobj(Text):
        if id(text) not in annotations and to_hex(text.get_color()) == "#000000":
            text.set_color(INK)
    for ax in fig.axes:
        for spine in ax.spines.values():
            if to_hex(spine.get_edgecolor()) == "#000000":
                spine.set_edgecolor(INK)


def _svg(fig) -> str:
    _ink(fig)
    buf = io.StringIO()
    fig.tight_layout(pad=0.4)
    fig.savefig(buf, format="svg", transparent=True)
    text = buf.getvalue()
    return _HEX.sub(lambda m: _THEMED.get(m.group(0), m.group(0)), text[text.find("<svg"):])


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
    ax.set_title(title, fontsize=9, loc="left", color=ALERT_COLOUR if drifted else INK)
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
