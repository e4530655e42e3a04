"""Watching a rollout: what ``ws.watch(endpoint)``, ``ws.deploy(..., wait=True)``,
``%mlops watch`` and ``mlops watch`` show while a canary, linear or blue/green rollout bakes.

A ``RolloutWatch`` is one look at the endpoint: each variant's weight, the bake's countdown, and
for each production variant the error rate and p99 since the current step began (the very
window the endpoint's controller judges, ``metrics.since_step``) against the rollout's
guardrails; once the rollout ends, its final state and why. ``follow`` takes such a look four
times a second and hands each one to ``on_update`` until the rollout is no longer baking. The
core draws nothing: a view passes ``on_update`` (an updating notebook display, a redrawn
terminal line); ``_core/displays.py`` holds the one the package's view layer gives
``wait=True`` when the caller passes none.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ... import html
from ...results import Result
from ..contract import ConfigFile, EndpointConfig, EndpointPaths, RolloutStatus, read_worker_reports
from ..metrics import percentile, since_step

POLL_S = 0.25
#: status words of an ended rollout that count as a failure (``mlops watch`` exits non-zero)
FAILED = (str(RolloutStatus.ROLLED_BACK), str(RolloutStatus.REFUSED))

@dataclass
class RolloutWatch(Result):
    endpoint: str
    status: str                      # baking | completed | rolled_back | refused | superseded | none
    strategy: str | None = None
    variant: str | None = None       # the version being rolled out
    step: int = 0
    steps: list[float] = field(default_factory=list)
    bake_s: float = 0.0
    bake_left_s: float | None = None
    weights: dict[str, float] = field(default_factory=dict)
    guardrails: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)  # variant -> requests, error_rate, p99_ms
    reason: str | None = None
    at: float = 0.0

    @property
    def finished(self) -> bool:
        return self.status != str(RolloutStatus.BAKING)

    @property
    def failed(self) -> bool:
        return self.status in FAILED

    def _guardrail_marks(self, name: str) -> list[str]:
        """"ok"/"over" per guardrail for variant ``name`` (only the new variant is judged)."""
        f = self.figures.get(name) or {}
        marks = []
        for key, figure, unit in (("max_error_rate", "error_rate", ""), ("max_p99_ms", "p99_ms", " ms")):
            limit = self.guardrails.get(key)
            if limit is None or name != self.variant:
                continue
            value = f.get(figure)
            state = "n/a" if value is None else ("over" if value > float(limit) else "ok")
            marks.append(f"{figure} {_num(value)}{unit} vs {float(limit):g}{unit}: {state}")
        return marks

    def to_text(self) -> str:
        """One compact line (the terminal redraws it), with the reason once it has ended."""
        if self.status == "none":
            return f"{self.endpoint}: no rollout" + (f" ({self.reason})" if self.reason else "")
        weights = " ".join(f"{k}={v:g}" for k, v in self.weights.items())
        head = f"{self.endpoint} {self.strategy} {self.variant} [{self.status}]"
        if not self.finished:
            pct = self.steps[self.step] if self.step < len(self.steps) else 100
            head += f" step {self.step + 1}/{len(self.steps)} at {pct:g}%, bake {_num(self.bake_left_s)} s left"
        figures = "; ".join(
            f"{name}: {f.get('requests', 0)} req, err {_pct(f.get('error_rate'))}, p99 {_num(f.get('p99_ms'))} ms"
            for name, f in self.figures.items())
        parts = [head, weights, figures] + self._guardrail_marks(self.variant or "")
        line = " | ".join(p for p in parts if p)
        return line + (f" -- {self.reason}" if self.finished and self.reason else "")

    def __repr__(self) -> str:
        return f"RolloutWatch({self.to_text()})"

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([{"variant": n, "weight": self.weights.get(n), **self.figures.get(n, {})}
                             for n in self.weights], columns=["variant", "weight", "requests", "error_rate", "p99_ms"])

    def _repr_html_(self) -> str:
        if self.status == "none":
            return html.card(f"endpoint {self.endpoint}", html.badge("no rollout", "muted"),
                             [("", html.note(html.esc(self.reason or "No rollout is running.")))])
        tone = {"baking": "info", "completed": "ok"}.get(self.status, "bad")
        rows = []
        for name, weight in self.weights.items():
            f = self.figures.get(name) or {}
            rows.append([name, weight, f.get("requests", 0), _pct(f.get("error_rate")),
                         _num(f.get("p99_ms")), "; ".join(self._guardrail_marks(name)) or "-"])
        flagged = [i for i, name in enumerate(self.weights)
                   if any(m.endswith("over") for m in self._guardrail_marks(name))]
        step = (f"step {self.step + 1} of {len(self.steps)} ({', '.join(f'{s:g}%' for s in self.steps)})"
                if self.steps else "")
        info = [("strategy", self.strategy), ("new variant", self.variant), ("steps", step),
                ("bake", f"{self.bake_s:g} s" + ("" if self.finished else f", {_num(self.bake_left_s)} s left")),
                ("guardrails", ", ".join(f"{k}={v:g}" for k, v in self.guardrails.items()) or "none")]
        sections = [("rollout", html.kv_table(info)),
                    ("variants since the step began", html.table(
                        ["variant", "weight", "requests", "error rate", "p99 ms", "guardrails"], rows,
                        flagged=flagged, numeric=[1, 2, 3, 4]))]
        if self.finished and self.reason:
            sections.append(("outcome", html.note(html.esc(self.reason), "ok" if not self.failed else "bad")))
        return html.card(f"rollout on {self.endpoint}", html.badge(self.status.replace("_", " "), tone), sections)


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}"


def _pct(value: Any) -> str:
    return "-" if value is None else f"{value:.1%}"


def look(paths: EndpointPaths, config: EndpointConfig | None = None, now: float | None = None) -> RolloutWatch:
    """The endpoint's rollout as it stands now (status "none" when it never had one)."""
    config = config or ConfigFile(paths.config).read()
    now = time.time() if now is None else now
    rollout = config.rollout
    weights = config.production_weights()
    if rollout is None:
        return RolloutWatch(paths.name, "none", weights=weights, reason=config.status_reason, at=now)
    window = since_step(read_worker_reports(paths), [rollout.id, rollout.step])
    figures = {}
    for name in weights:
        stats = window.get(name) or {}
        requests = int(stats.get("requests", 0))
        p99 = percentile(stats.get("hist", []), 0.99) if requests else None
        figures[name] = {"requests": requests,
                         "error_rate": stats.get("errors", 0) / requests if requests else None,
                         "p99_ms": None if p99 is None else p99 * 1000}
    baking = rollout.status == RolloutStatus.BAKING
    left = max(0.0, float(rollout.bake) - (now - float(rollout.step_started_at or now))) if baking else None
    return RolloutWatch(
        paths.name, str(rollout.status), strategy=rollout.strategy, variant=rollout.variant, step=rollout.step,
        steps=list(rollout.steps), bake_s=float(rollout.bake), bake_left_s=left, weights=weights,
        guardrails=dict(rollout.guardrails), figures=figures,
        reason=rollout.reason or (None if baking else config.status_reason), at=now)


def follow(paths: EndpointPaths, on_update: Callable[[RolloutWatch], Any] | None = None,
           timeout: float | None = None, alive: Callable[[], bool] = lambda: True) -> RolloutWatch:
    """Look every ``POLL_S`` until the rollout is no longer baking (or ``timeout`` s have passed,
    or the endpoint's process is gone), handing each look to ``on_update``; returns the last."""
    deadline = None if timeout is None else time.monotonic() + float(timeout)
    while True:
        seen = look(paths)
        if on_update is not None:
            on_update(seen)
        if seen.finished or (deadline is not None and time.monotonic() >= deadline):
            return seen
        if not alive():
            seen.reason = "the endpoint's process is gone"
            return seen
        time.sleep(POLL_S)
