"""Small live charts: an SVG sparkline per figure, drawn by hand (a polyline), with no plotting
library, so that a refresh every few seconds costs microseconds and the chart renders wherever
HTML does (JupyterLab, the classic notebook, a screenshot, a saved page).

The colours are JupyterLab theme variables with fallbacks, so the charts follow light and dark
themes. Each chart is ``<div class="mlops-chart mlops-spark">``: the browser tests look for it.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from .._core.html import esc

WIDTH, HEIGHT, PAD = 180, 40, 3
LINE = "var(--jp-brand-color1,#0969da)"
ALERT = "var(--jp-error-color1,#cf222e)"
MUTED = "var(--jp-ui-font-color2,#59636e)"


def _finite(values: Iterable[float | None]) -> list[float | None]:
    out = []
    for v in values:
        out.append(float(v) if v is not None and isinstance(v, (int, float)) and math.isfinite(v) else None)
    return out


def sparkline(values: Sequence[float | None], alert: bool = False) -> str:
    """An inline SVG of ``values`` (oldest first; None is a gap), scaled to its own range from 0."""
    vals = _finite(values)
    present = [v for v in vals if v is not None]
    top = max(present) if present else 0.0
    top = top if top > 0 else 1.0
    n = len(vals)
    step = (WIDTH - 2 * PAD) / max(n - 1, 1)
    colour = ALERT if alert else LINE
    segments, current = [], []
    for i, v in enumerate(vals):
        if v is None:
            if current:
                segments.append(current)
            current = []
            continue
        x = PAD + i * step
        y = HEIGHT - PAD - (v / top) * (HEIGHT - 2 * PAD)
        current.append(f"{x:.1f},{y:.1f}")
    if current:
        segments.append(current)
    lines = "".join(
        f'<polyline points="{" ".join(points)}" fill="none" style="stroke:{colour}" stroke-width="1.5"/>'
        if len(points) > 1 else
        f'<circle cx="{points[0].split(",")[0]}" cy="{points[0].split(",")[1]}" r="1.8" style="fill:{colour}"/>'
        for points in segments)
    base = f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" style="stroke:{MUTED}" stroke-opacity="0.35"/>'
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
            f'height="{HEIGHT}" role="img">{base}{lines}</svg>')


def chart(title: str, values: Sequence[float | None], latest: str, alert: bool = False) -> str:
    """A titled sparkline with the latest value in words: one ``mlops-chart`` box."""
    return (f'<div class="mlops-chart mlops-spark" data-figure="{esc(title)}">'
            f'<div class="mlops-spark-head"><span>{esc(title)}</span><b>{esc(latest)}</b></div>'
            f"{sparkline(values, alert)}</div>")


def figure_text(value: float | None, unit: str = "", digits: int = 3) -> str:
    if value is None or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–"
    return f"{value:.{digits}g}{unit}"
