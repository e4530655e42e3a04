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
#: more series (one line per variant): each has its own light and dark shade in the kit
SERIES_COLOURS = {"amber": "#bf8700", "purple": "#8250df", "green": "#1a7f37", "orange": "#bc4c00"}

# what each colour becomes in the SVG: the page's text colour, or the kit's themed series colour
_THEMED = {
    INK: "currentColor",
    REFERENCE_COLOUR: f"var(--mlops-chart-reference,{REFERENCE_COLOUR})",
    CURRENT_COLOUR: f"var(--mlops-chart-current,{CURRENT_COLOUR})",
    ALERT_COLOUR: f"var(--mlops-chart-alert,{ALERT_COLOUR})",
    **{colour: f"var(--mlops-chart-{name},{colour})" for name, colour in SERIES_COLOURS.items()},
}
_HEX = re.compile(r"#[0-9a-f]{6}\b")


def _figure(width: float = 3.4, height: float = 2.1):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.add_subplot(1, 1, 1)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(which="both", labelsize=7, length=2, colors=INK)  # "both": a log axis' minor ticks too
    return fig, ax


def _css(colour: str) -> str:
    """``colour`` as the SVG style value that follows the theme (for hand-written SVG)."""
    return _THEMED.get(colour, colour)


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


# -- added for issue 11 (reports): sparklines in the drift table, quality-report curves ----------

SPARKLINE_SIZE = (80, 18)  # px: fits a table row


def sparkline(chart: dict[str, Any], drifted: bool = False, size: tuple[int, int] = SPARKLINE_SIZE) -> str:
    """A tiny reference/current picture of one feature for a table cell, as plain SVG markup (no
    matplotlib: one per row of every feature, so it must cost microseconds, not a figure).

    Numeric (``chart["type"] == "hist"``): the reference shares as a filled grey step area, the
    current shares as a step line. Categorical: a thin bar pair per category (reference, current).
    Both sides are scaled to the larger share so their shapes compare directly."""
    import numpy as np

    w, h = size
    ref = np.asarray(chart["reference"], dtype=float)
    cur = np.asarray(chart["current"], dtype=float)
    ref = ref / ref.sum() if ref.sum() else ref
    cur = cur / cur.sum() if cur.sum() else cur
    top = max(float(ref.max(initial=0)), float(cur.max(initial=0))) or 1.0
    colour = ALERT_COLOUR if drifted else CURRENT_COLOUR
    k = len(ref)
    parts = []
    if k and chart["type"] == "hist":
        xs = np.linspace(0, w, k + 1)

        def steps(v):
            ys = h - 1 - v / top * (h - 2)
            pts = [(xs[0], h - 1)]
            for i, y in enumerate(ys):
                pts += [(xs[i], y), (xs[i + 1], y)]
            return pts + [(xs[-1], h - 1)]

        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in steps(ref))
        parts.append(f'<polygon points="{pts}" style="fill:{_css(REFERENCE_COLOUR)};fill-opacity:.5;stroke:none"/>')
        pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in steps(cur)[1:-1])
        parts.append(f'<polyline points="{pts}" style="fill:none;stroke:{_css(colour)};stroke-width:1.2"/>')
    elif k:
        slot = w / k
        bar = max(slot * 0.4, 0.5)
        for i in range(k):
            for j, (v, fill) in enumerate(((ref[i], REFERENCE_COLOUR), (cur[i], colour))):
                bh = max(v / top * (h - 2), 0.5 if v else 0.0)
                x = i * slot + slot * 0.1 + j * bar
                parts.append(f'<rect x="{x:.1f}" y="{h - 1 - bh:.1f}" width="{bar:.1f}" height="{bh:.1f}" style="fill:{_css(fill)}"/>')
    return (f'<svg class="mlops-sparkline" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
            f'viewBox="0 0 {w} {h}" role="img"><title>reference (grey) vs current</title>{"".join(parts)}</svg>')


def roc_curve_chart(roc: dict[str, Any], title: str = "ROC curve") -> str:
    """True positive rate against false positive rate, with the chance diagonal and the AUC."""
    fig, ax = _figure(3.0, 2.6)
    ax.plot([0, 1], [0, 1], color=REFERENCE_COLOUR, linewidth=0.8, linestyle="--", label="chance")
    ax.plot(roc["fpr"], roc["tpr"], color=CURRENT_COLOUR, linewidth=1.4, label=f"AUC {roc['auc']:.3f}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("false positive rate", fontsize=7)
    ax.set_ylabel("true positive rate", fontsize=7)
    ax.set_title(title, fontsize=9, loc="left")
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    return _svg(fig)


def pr_curve_chart(pr: dict[str, Any], title: str = "Precision-recall curve") -> str:
    """Precision against recall, with the prevalence (a random classifier's precision) and the AP."""
    fig, ax = _figure(3.0, 2.6)
    if pr.get("prevalence") is not None:
        ax.axhline(pr["prevalence"], color=REFERENCE_COLOUR, linewidth=0.8, linestyle="--", label="prevalence")
    ax.step(pr["recall"], pr["precision"], where="post", color=CURRENT_COLOUR, linewidth=1.4,
            label=f"AP {pr['average_precision']:.3f}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall", fontsize=7)
    ax.set_ylabel("precision", fontsize=7)
    ax.set_title(title, fontsize=9, loc="left")
    ax.legend(fontsize=7, frameon=False, loc="lower left")
    return _svg(fig)


def confusion_matrix_chart(labels: list, matrix: list[list[float]], title: str = "Confusion matrix") -> str:
    """Rows actual, columns predicted; each cell shows its count and its share of the actual class
    (the row rate: recall on the diagonal), shaded by that rate."""
    import numpy as np
    from matplotlib.colors import LinearSegmentedColormap, to_rgb

    m = np.asarray(matrix, dtype=float)
    rows = m.sum(axis=1, keepdims=True)
    rates = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
    k = len(labels)
    side = max(2.6, min(1.2 + 0.35 * k, 6.0))  # the size of the curves next to it, larger for many classes
    fig, ax = _figure(side + 0.4, side)
    # the shade stops at 75% so that the page's text colour reads on every cell in both themes
    # (at least 5.6:1 over JupyterLab Light's white, 6.1:1 over JupyterLab Dark's #111)
    shade = LinearSegmentedColormap.from_list("rate", [(*to_rgb(CURRENT_COLOUR), 0.0), (*to_rgb(CURRENT_COLOUR), 0.75)])
    ax.imshow(rates, cmap=shade, vmin=0, vmax=1)
    whole = np.allclose(m, np.round(m))
    for i in range(k):
        for j in range(k):
            count = f"{int(round(m[i, j])):,}" if whole else f"{m[i, j]:,.1f}"
            ax.text(j, i, f"{count}\n{rates[i, j]:.0%}", ha="center", va="center", fontsize=7 if k <= 6 else 5,
                    color=INK)
    names = [str(v)[:10] for v in labels]
    ax.set_xticks(range(k), names, rotation=45 if k > 4 else 0, ha="right" if k > 4 else "center")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted", fontsize=7)
    ax.set_ylabel("actual", fontsize=7)
    ax.set_title(title, fontsize=9, loc="left")
    for side_name in ("left", "bottom"):
        ax.spines[side_name].set_visible(False)
    return _svg(fig)


def predicted_vs_actual_chart(actual: list[float], predicted: list[float], title: str = "Predicted vs actual") -> str:
    """A scatter of predictions against the truth (a sample of the rows) and the y = x line."""
    import numpy as np

    fig, ax = _figure(3.0, 2.6)
    a = np.asarray(actual, dtype=float)
    p = np.asarray(predicted, dtype=float)
    lo = float(np.nanmin([a.min(initial=0), p.min(initial=0)]))
    hi = float(np.nanmax([a.max(initial=1), p.max(initial=1)]))
    ax.plot([lo, hi], [lo, hi], color=REFERENCE_COLOUR, linewidth=0.8, linestyle="--")
    ax.scatter(a, p, s=6, color=CURRENT_COLOUR, alpha=0.6, linewidths=0)
    ax.set_xlabel("actual", fontsize=7)
    ax.set_ylabel("predicted", fontsize=7)
    ax.set_title(title, fontsize=9, loc="left")
    return _svg(fig)


def residual_histogram(edges: list[float], counts: list[int], title: str = "Residuals (predicted − actual)") -> str:
    """The distribution of the residuals over every labelled row, with a mark at 0."""
    import numpy as np

    fig, ax = _figure(3.0, 2.6)
    ax.stairs(np.asarray(counts, dtype=float), np.asarray(edges, dtype=float), fill=True, color=CURRENT_COLOUR, alpha=0.6)
    ax.axvline(0, color=ALERT_COLOUR, linewidth=1, linestyle="--")
    ax.set_xlabel("residual", fontsize=7)
    ax.set_ylabel("rows", fontsize=7)
    ax.set_title(title, fontsize=9, loc="left")
    return _svg(fig)


# -- over time: an endpoint's request history, drift across scheduled checks --------------------

def _series_colour(i: int) -> str:
    # read when drawing, so a restyle of the constants above reaches these charts too
    extra = tuple(SERIES_COLOURS.values())
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
