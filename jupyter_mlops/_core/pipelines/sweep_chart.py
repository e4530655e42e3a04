"""A sweep's chart: its metric against each parameter that took more than one value, as inline SVG.

Drawn with matplotlib only when the sweep is displayed, through the monitoring reports' figure
and SVG helpers (``monitor/reports/charts.py``), so every chart of the package looks alike and
none touches pyplot's global state or the network. Each trial is a dot; the line joins the best
value reached at each value of the parameter (the other parameters vary across the dots of one
value); the best trial is a star. A numeric parameter spread over two orders of magnitude or more
(``C`` in 0.01, 0.1, 1, 10) is drawn on a log scale; anything else that is not a number is drawn as
categories in the order the trials gave them.
"""

from __future__ import annotations

import math
from typing import Any

MAX_CHARTS = 8


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _label(value: Any) -> str:
    return value if isinstance(value, str) else repr(value)


def metric_against_parameters(trials: list, parameters: list[str], metric: str | None, direction: str,
                              best_trial: int | None) -> list[str]:
    """One SVG per parameter that varies across the trials that reported ``metric``; none when
    no trial did."""
    scored = [t for t in trials if t.status == "succeeded" and t.value(metric) is not None]
    if not scored:
        return []
    varying = [p for p in parameters if len({_label(t.parameters.get(p)) for t in scored}) > 1]
    pick = max if direction == "max" else min
    return [_chart(p, scored, metric, pick, best_trial, len(trials) - len(scored)) for p in varying[:MAX_CHARTS]]


def _chart(parameter: str, scored: list, metric: str, pick, best_trial: int | None, unscored: int) -> str:
    from ..monitor.reports.charts import ALERT_COLOUR, CURRENT_COLOUR, REFERENCE_COLOUR, _figure, _svg

    values = [t.parameters.get(parameter) for t in scored]
    ys = [t.value(metric) for t in scored]
    fig, ax = _figure()
    if all(_is_number(v) for v in values):
        xs = [float(v) for v in values]
        positive = [x for x in xs if x > 0]
        if len(positive) == len(xs) and max(xs) / min(xs) >= 100:
            ax.set_xscale("log")
    else:
        labels = [_label(v) for v in values]
        order = list(dict.fromkeys(labels))
        xs = [float(order.index(label)) for label in labels]
        ax.set_xticks(range(len(order)), [label[:12] for label in order])
    top: dict[float, float] = {}  # the best value reached at each x
    for x, y in zip(xs, ys):
        top[x] = pick(top[x], y) if x in top else y
    line = sorted(top.items())
    ax.plot([x for x, _ in line], [y for _, y in line], color=REFERENCE_COLOUR, linewidth=1)
    ax.scatter(xs, ys, s=14, color=CURRENT_COLOUR, zorder=3)
    for t, x, y in zip(scored, xs, ys):
        if t.trial == best_trial:
            ax.scatter([x], [y], s=90, marker="*", color=ALERT_COLOUR, zorder=4, label=f"best (trial {t.trial})")
            ax.legend(fontsize=7, frameon=False)
    missing = f" ({unscored} failed or without it, not shown)" if unscored else ""
    ax.set_title(f"{metric} by {parameter}{missing}", fontsize=9, loc="left")
    ax.set_xlabel(parameter, fontsize=7)
    ax.set_ylabel(metric, fontsize=7)
    return _svg(fig)

