"""``Sweep``: the result of a hyperparameter sweep, one ``Trial`` per parameter set, compared.

A sweep is a row of the scheduler's ``job_runs`` (kind ``sweep``, its ``result`` this JSON), and
each trial is a ``Run`` of its own (kind ``sweep-trial``) whose trigger names the sweep, so
``Workspace.runs(name)`` lists both (ARCHITECTURE.md, "Retraining: runs of notebooks").
``to_frame()`` is the comparison, one row per trial, with MLflow's column names for parameters
and metrics (``params.C``, ``metrics.auc``: MLflow's ``search_runs`` documentation) so that a
parameter and a metric of the same name never collide. The chart of the metric against each
parameter is drawn only when the sweep is displayed (``sweep_chart.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .. import html
from ..results import Result
from .runs import _link

_TONES = {"succeeded": "ok", "failed": "bad", "gate_failed": "warn", "running": "info"}


@dataclass(frozen=True)
class Trial:
    """One parameter set of a sweep, run as its own recorded run."""

    trial: int                                   # 1-based, in the order the sets were given
    parameters: dict
    status: str                                  # succeeded | failed
    run: int | None = None                       # its run id (a row of ws.runs())
    version: str | None = None                   # the version it registered
    metrics: dict = field(default_factory=dict)  # numbers it output(), over its version's metrics
    seconds: float | None = None
    failure: dict | None = None                  # cell, ename, evalue (its run also has the cell's source)
    output_notebook: str | None = None           # the executed notebook (a local path)

    @classmethod
    def of(cls, index: int, run) -> "Trial":
        failure = {k: v for k, v in run.failure.items() if k != "source"} if run.failure else None
        return cls(index, dict(run.parameters), run.status, run.id, run.version, dict(run.metrics),
                   round(run.seconds, 3) if run.seconds is not None else None, failure, run.output_notebook)

    def value(self, metric: str | None) -> float | None:
        number = self.metrics.get(metric) if metric else None
        return float(number) if isinstance(number, (int, float)) and not isinstance(number, bool) else None


@dataclass(frozen=True)
class Sweep(Result):
    """A notebook run once per parameter set in parallel kernels: the trials, the best by
    ``metric`` and what the gate made of the best trial's version."""

    id: int
    name: str
    notebook: str
    sha256: str                                  # of the notebook as read for every trial
    status: str                                  # running | succeeded | failed | gate_failed
    trials: list                                 # Trial, in the order the sets were given
    workers: int
    metric: str | None                           # what "best" is measured by
    direction: str                               # max | min
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    best_trial: int | None = None                # the best trial's number
    choice: str = ""                             # how the metric was chosen, or why there is no best
    gate: dict | None = None                     # the GateVerdict's dict, for the best trial's version
    release: dict | None = None                  # approved / rejected / promoted
    deployed: dict | None = None
    failure: dict | None = None                  # why the sweep failed (every trial, or its release)
    options: dict = field(default_factory=dict)  # gate, deploy, promote, endpoint, timeout

    # -- reading -------------------------------------------------------------------------------
    @property
    def best(self) -> Trial | None:
        return next((t for t in self.trials if t.trial == self.best_trial), None)

    @property
    def succeeded(self) -> list[Trial]:
        return [t for t in self.trials if t.status == "succeeded"]

    @property
    def failed(self) -> list[Trial]:
        return [t for t in self.trials if t.status == "failed"]

    @property
    def parameter_names(self) -> list[str]:
        names: dict[str, None] = {}
        for t in self.trials:
            names.update(dict.fromkeys(t.parameters))
        return list(names)

    @property
    def metric_names(self) -> list[str]:
        names: dict[str, None] = {}
        for t in self.trials:
            names.update(dict.fromkeys(t.metrics))
        return sorted(names, key=lambda n: (n != self.metric, n))

    @property
    def seconds(self) -> float | None:
        return (self.finished_at - self.started_at).total_seconds() if self.finished_at else None

    def to_frame(self):
        """The comparison: one row per trial (index ``trial``), ``status``, ``params.*``,
        ``metrics.*`` (numbers, so it sorts: ``frame.sort_values("metrics.auc")``), ``version``,
        ``seconds``, ``run``."""
        import pandas as pd

        rows = [{"trial": t.trial, "status": t.status, **{f"params.{p}": t.parameters.get(p) for p in
                                                         self.parameter_names},
                 **{f"metrics.{m}": t.value(m) for m in self.metric_names}, "version": t.version,
                 "seconds": t.seconds, "run": t.run} for t in self.trials]
        columns = ["trial", "status", *(f"params.{p}" for p in self.parameter_names),
                   *(f"metrics.{m}" for m in self.metric_names), "version", "seconds", "run"]
        frame = pd.DataFrame(rows, columns=columns).set_index("trial")
        return frame.astype({f"metrics.{m}": "float64" for m in self.metric_names} | {"seconds": "float64"})

    # -- showing -------------------------------------------------------------------------------
    def summary(self) -> str:
        took = f" in {self.seconds:.1f} s" if self.seconds is not None else ""
        failed = f" ({len(self.failed)} failed)" if self.failed else ""
        parts = [f"sweep {self.id} of {self.name} {self.status}: {len(self.trials)} trials{failed}{took}"]
        best = self.best
        if best is not None:
            parts.append(f"best trial {best.trial} ({html.format_text(best.parameters)}): {self.metric} "
                         f"{html.format_text(best.value(self.metric))}" + (f", {best.version}" if best.version else ""))
        elif self.choice:
            parts.append(self.choice)
        if self.gate:
            parts.append(f"the gate {'passed' if self.gate.get('passed') else 'failed'} it: {self.gate.get('reason')}")
        if self.failure:
            parts.append(str(self.failure.get("evalue")))
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"<Sweep {self.summary()}>"

    def _repr_html_(self) -> str:
        best = self.best
        about = [("notebook", self.notebook), ("sha256", self.sha256[:16]), ("workers", self.workers),
                 ("took", f"{self.seconds:.1f} s" if self.seconds is not None else "running"),
                 ("best by", f"{self.metric} ({self.direction})" if self.metric else "—"), ("why", self.choice),
                 ("best", f"trial {best.trial}: {html.format_text(best.parameters)} → {best.version or 'no version'}"
                  if best else "none")]
        sections = [("sweep", html.kv_table(about)), ("trials", self._trials_table())]
        chart = self._chart()
        if chart:
            sections.append((f"{self.metric} against each parameter", chart))
        if self.gate is not None or self.release or self.deployed or self.failure:
            sections.append(("best trial's release", html.kv_table(self._release_rows())))
        badges = [html.badge(self.status, _TONES.get(self.status)), html.badge(f"{len(self.trials)} trials", "info")]
        if self.failed:
            badges.append(html.badge(f"{len(self.failed)} failed", "bad"))
        return html.card(f"Sweep {self.id}: {self.name}", " ".join(badges), sections)

    def _ranked(self) -> list[Trial]:
        """Best first by the metric, then those without it, failed last."""
        sign = -1 if self.direction == "max" else 1

        def key(t: Trial):
            value = t.value(self.metric)
            return (t.status != "succeeded", value is None, sign * value if value is not None else 0, t.trial)

        return sorted(self.trials, key=key)

    def _trials_table(self) -> str:
        ranked = self._ranked()
        params, metrics = self.parameter_names, self.metric_names
        rows = []
        for t in ranked:
            failure = t.failure or {}
            why = f"{failure.get('ename')}: {failure.get('evalue')}"[:160] if t.failure else None
            rows.append([t.trial, *(t.parameters.get(p) for p in params), *(t.value(m) for m in metrics),
                         html.Raw(html.badge(t.status, _TONES.get(t.status))), t.version, t.seconds, why,
                         html.Raw(_link(t.output_notebook)) if t.output_notebook else None])
        numeric = range(1 + len(params), 1 + len(params) + len(metrics))
        flagged = [i for i, t in enumerate(ranked) if t.trial == self.best_trial]
        return html.table(["trial", *params, *metrics, "status", "version", "seconds", "failure", "output"], rows,
                          flagged=flagged, numeric=numeric)

    def _chart(self) -> str:
        from .sweep_chart import metric_against_parameters

        svgs = metric_against_parameters(self.trials, self.parameter_names, self.metric, self.direction,
                                         self.best_trial)
        return html.charts(svgs) if svgs else ""

    def _release_rows(self) -> list[tuple]:
        rows: list[tuple] = []
        if self.gate is not None:
            verdict = html.badge("passed", "ok") if self.gate.get("passed") else html.badge("failed", "bad")
            rows += [("gate", self.gate.get("expression")), ("verdict", html.Raw(verdict)),
                     ("why", self.gate.get("reason"))]
        rows += list((self.release or {}).items())
        if self.deployed:
            rows += [("deployed to", self.deployed.get("endpoint")), ("rollout", self.deployed.get("strategy"))]
        if self.failure:
            rows.append(("failure", f"{self.failure.get('ename')}: {self.failure.get('evalue')}"))
        return rows
