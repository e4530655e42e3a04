"""Hyperparameter sweeps: one notebook run once per parameter set, in parallel kernels, compared.

``Pipelines.sweep`` checks everything first, as a run does (the notebook, every parameter set
against its ``parameters`` cell, the gate, the deploy spec); nothing runs if one set is wrong.
Then each set is a run of its own, kind ``sweep-trial``, through the same ``Pipelines._execute``
as ``retrain`` (papermill in a fresh ``python3`` kernel, ``runner.py``): a thread pool of
``workers`` threads each waits on one kernel, so ``workers`` notebooks run at once, each with its
own environment (``MLOPS_RUN_ID`` …), folder and recorded ``Run``. A trial that fails is recorded
and reported as its run is (failing cell, error name and message, output notebook); it never stops
the others.

Kernels running at once share the cores: each is told to use its share of them for OpenMP and
BLAS threads (``OMP_NUM_THREADS`` … = cores // workers, unless this process's environment sets
them), as joblib does for its workers ("Avoiding over-subscription of CPU resources" in joblib's
documentation). Without it, two kernels each training with as many OpenMP threads as there are
cores spin against each other: measured here, a HistGradientBoosting fit that takes 0.05 s alone
took 1.2 to 3.3 s (README, "Sweeps").

The sweep itself is a row of ``job_runs`` of kind ``sweep`` whose ``result`` is the ``Sweep``'s
JSON, rather than a table of its own: ``ws.runs(name)`` lists it beside its trials and needs no
migration, and each trial's trigger (``{"kind": "sweep", "sweep": id, "trial": n}``) links it
back. It is not a ``Run``: it ran no notebook itself, it holds trials.

The best trial is chosen by ``metric`` (``direction`` max or min): the one given, else the first
candidate metric the gate names, else the one metric every succeeded trial reported (with
several and no choice, the sweep says which and has no best). The best trial's version then goes
through the gate, approval, promotion and deploy exactly as a retrain's (``release.py``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import os
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any, Callable

from ..collaborators import AuditRecorder
from ..errors import InvalidInput
from ..progress import bar
from .release import Release
from .runs import RunStore
from .sweep_results import Sweep, Trial

DIRECTIONS = ("max", "min")
#: the variables OpenMP (scikit-learn's histogram boosting, LightGBM, XGBoost) and the BLAS
#: libraries numpy may use read for their number of threads
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_GRID_HELP = 'e.g. grid={"C": [0.1, 1, 10], "max_depth": [4, 8]} (every combination is a trial)'
_TRIALS_HELP = 'e.g. trials=[{"C": 0.1}, {"C": 1, "max_depth": 8}] (each dict is a trial)'


def parameter_sets(grid: Any = None, trials: Any = None) -> list[dict]:
    """The trials' parameter sets: the cross product of ``grid`` (parameter -> list of values, in
    the order given), or ``trials`` as given."""
    if (grid is None) == (trials is None):
        raise InvalidInput("Give one of grid= or trials=" + (", not both." if grid is not None else "."),
                           hint=f"{_GRID_HELP}; {_TRIALS_HELP}.")
    if grid is not None:
        if not isinstance(grid, dict) or not grid:
            raise InvalidInput(f"grid must be a dict of parameter -> list of values, got {grid!r}.", hint=_GRID_HELP)
        axes = {name: _values(name, values) for name, values in grid.items()}
        return [dict(zip(axes, combination)) for combination in itertools.product(*axes.values())]
    if not isinstance(trials, (list, tuple)) or not trials:
        raise InvalidInput(f"trials must be a non-empty list of parameter dicts, got {trials!r}.", hint=_TRIALS_HELP)
    for i, chosen in enumerate(trials, 1):
        if not isinstance(chosen, dict):
            raise InvalidInput(f"trial {i} is {chosen!r}, not a dict of parameter -> value.", hint=_TRIALS_HELP)
    return [dict(chosen) for chosen in trials]


def _values(name: str, values: Any) -> list:
    """A grid's values for ``name``: a list, tuple or range, or a numpy array (``np.logspace(-2, 2, 5)``)."""
    if hasattr(values, "tolist") and type(values).__module__.startswith("numpy"):
        values = values.tolist()
    if not isinstance(values, (list, tuple, range)) or not values:
        raise InvalidInput(f"grid[{name!r}] must be a non-empty list of values, got {values!r}.", hint=_GRID_HELP)
    return list(values)


def check_options(workers: Any, metric: Any, direction: Any) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidInput(f"workers is how many trials run at once, a whole number >= 1; got {workers!r}.")
    if metric is not None and (not isinstance(metric, str) or not metric):
        raise InvalidInput(f"metric names what the best trial is best at (e.g. 'auc'); got {metric!r}.")
    if direction not in DIRECTIONS:
        raise InvalidInput(f"direction is 'max' (the highest {metric or 'metric'} is best) or 'min'; "
                           f"got {direction!r}.")


def thread_limits(at_once: int) -> dict[str, str]:
    """Each of ``at_once`` kernels' share of this machine's cores, for the thread variables this
    process's environment does not set already (a user's own setting wins)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    share = str(max(1, cores // max(1, at_once)))
    return {name: share for name in THREAD_VARIABLES if name not in os.environ}


def first_metric(gate) -> str | None:
    """The first metric of the candidate the gate names (``auc`` in ``auc >= production.auc``)."""
    if gate is None:
        return None
    own = sorted((n for n in gate._names() if n.scope is None), key=lambda n: n.start)
    return own[0].field if own else None


def choose_metric(trials: list[Trial], metric: str | None, gate) -> tuple[str | None, str]:
    """(the metric "best" is measured by, how it was chosen or why there is none)."""
    if metric is not None:
        return metric, "the metric asked for"
    from_gate = first_metric(gate)
    if from_gate is not None:
        return from_gate, "the gate's first metric"
    reported = [set(t.metrics) for t in trials if t.status == "succeeded"]
    shared = sorted(set.intersection(*reported)) if reported else []
    if len(shared) == 1:
        return shared[0], "the one metric every trial reported"
    if not reported:
        return None, "no trial succeeded"
    listing = ", ".join(shared) or "none"
    return None, f"no best: give metric= to choose one (the trials share: {listing})"


def best_of(trials: list[Trial], metric: str | None, direction: str) -> Trial | None:
    """The succeeded trial with the highest (``max``) or lowest ``metric``; the earliest of equals."""
    scored = [t for t in trials if t.status == "succeeded" and t.value(metric) is not None]
    if not scored:
        return None
    sign = -1 if direction == "max" else 1
    return min(scored, key=lambda t: (sign * t.value(metric), t.trial))


class Sweeper:
    """Runs a sweep's trials and releases its best: handed the runs' store, the function that
    executes one planned run (``Pipelines._execute``), the release and the audit log."""

    def __init__(self, runs: RunStore, execute: Callable, release: Release, audit: AuditRecorder):
        self.runs = runs
        self.execute = execute
        self.release = release
        self.audit = audit

    def run(self, plan, trial_plans: list, workers: int, metric: str | None, direction: str, by: str,
            progress: bool | None = None) -> Sweep:
        """``plan``: the sweep as planned (its gate, promote, deploy, endpoint, for the best);
        ``trial_plans``: one per parameter set, with no release of their own; ``progress``: a bar
        of the trials ended (``progress.py``)."""
        sweep_id, started = self.runs.open("sweep", plan.name)
        step = plan.steps[0]
        sweep = Sweep(sweep_id, plan.name, str(step.path), step.sha256, "running", [], workers, metric, direction,
                      started, options={k: v for k, v in plan.options().items() if k not in ("retries", "cache")})
        self.runs.save(sweep, final=False)
        try:
            trials = self._trials(sweep, trial_plans, workers, by, progress)
            sweep = self._decided(plan, dataclasses.replace(sweep, trials=trials), metric)
        except BaseException as exc:  # an interrupt, or a failure of ours: the row says so
            sweep = dataclasses.replace(sweep, status="failed", finished_at=_now(),
                                        failure={"stage": "sweep", "ename": type(exc).__name__, "evalue": str(exc)})
            self.runs.save(sweep, final=True, error=sweep.summary())
            raise
        self.runs.save(sweep, final=True, error=sweep.summary() if sweep.status == "failed" else None)
        best = sweep.best
        self.audit.record("sweep", plan.name, {
            "run": sweep.id, "trials": [t.run for t in trials], "failed": [t.trial for t in sweep.failed],
            "metric": sweep.metric, "best": best.version if best else None, "status": sweep.status,
            "gate": sweep.gate and sweep.gate.get("passed")})
        return sweep

    def _trials(self, sweep: Sweep, trial_plans: list, workers: int, by: str, progress: bool | None) -> list[Trial]:
        """Every trial, ``workers`` at a time; the sweep's row is updated as each one ends. On an
        interrupt, trials not started never start; those running finish and record themselves."""
        done: dict[int, Trial] = {}
        pool = ThreadPoolExecutor(max_workers=min(workers, len(trial_plans)), thread_name_prefix=f"sweep-{sweep.id}")
        try:
            pending = {pool.submit(self._trial, i, p, {"kind": "sweep", "sweep": sweep.id, "trial": i, "by": by})
                       for i, p in enumerate(trial_plans, 1)}
            with bar(progress, total=len(trial_plans), desc=f"sweep {sweep.name}", unit="trials") as ended:
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        trial = future.result()
                        done[trial.trial] = trial
                        ended.update(1)
                    failed = sum(1 for t in done.values() if t.status == "failed")
                    ended.set_postfix_str(f"{failed} failed" if failed else "")
                    self.runs.save(dataclasses.replace(sweep, trials=[done[i] for i in sorted(done)]), final=False)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return [done[i] for i in sorted(done)]

    def _trial(self, index: int, plan, trigger: dict) -> Trial:
        try:
            run = self.execute(plan, trigger)
        except Exception as exc:  # noqa: BLE001 - the disk, the database: the trial failed, the sweep goes on
            return Trial(index, dict(plan.parameters), "failed",
                         failure={"stage": "run", "ename": type(exc).__name__, "evalue": str(exc)})
        return Trial.of(index, run)

    def _decided(self, plan, sweep: Sweep, metric: str | None) -> Sweep:
        """The best trial, and what the gate, promotion and deploy made of its version."""
        metric, choice = choose_metric(sweep.trials, metric, plan.gate)
        best = best_of(sweep.trials, metric, sweep.direction)
        if metric is not None and best is None and sweep.succeeded:
            choice = f"no succeeded trial reported {metric}"
        sweep = dataclasses.replace(sweep, metric=metric, choice=choice, best_trial=best.trial if best else None,
                                    finished_at=_now())
        if not sweep.succeeded:
            return dataclasses.replace(sweep, status="failed", failure={
                "stage": "trials", "ename": "AllTrialsFailed", "evalue": f"all {len(sweep.trials)} trials failed"})
        if plan.gate is None and plan.promote is None and plan.deploy is None:
            return dataclasses.replace(sweep, status="succeeded")
        if best is None:
            return dataclasses.replace(sweep, status="failed", failure={
                "stage": "best", "ename": "NoBestTrial", "evalue": f"no best trial to release: {choice}"})
        outcome = self.release.run(plan.name, best.version, plan.gate, plan.gate_spec, plan.promote, plan.deploy,
                                   plan.endpoint)
        return dataclasses.replace(sweep, status=outcome.status, gate=outcome.gate, release=outcome.release,
                                   deployed=outcome.deployed, failure=outcome.failure, finished_at=_now())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
