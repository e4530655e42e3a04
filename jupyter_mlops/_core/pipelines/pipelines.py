"""``Pipelines``: retraining runs, notebook pipelines and their schedules (ARCHITECTURE.md, "Where the
next parts go").

``retrain`` runs one notebook (a one-step pipeline); ``pipeline`` runs several in order, each
step receiving the ``output()`` values of the earlier ones as the parameters it declares, with a
step cache (``cache.py``). Everything a run is given is checked before anything runs: the
notebooks exist and parse, every parameter is declared with a matching type
(``parameters.py``), the gate parses and the deploy spec reads (``release.py``). Then each
notebook runs in a real kernel (``runner.py``), its output notebook and outputs are kept as
artifacts, the versions it registered are found by the run id in their lineage
(``lineage.py``), and the gate, approval, promotion and deploy follow. The run is a row of
``job_runs`` (``runs.py``), written as it goes.

``schedule`` stores a ``retrain`` schedule (cron, interval, or drift of an endpoint) for the
scheduler daemon, whose ``retrain`` job kind calls :meth:`Pipelines.run_schedule`.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..collaborators import (ArtifactSource, AuditRecorder, Deployer, EndpointDirectory, ScheduleMaker,
                             TrafficSource, VersionReleaser)
from ..errors import EndpointNotFound, InvalidInput, RunFailed
from ..home import pythonpath_for_children
from ..lineage import actor
from ..names import validate_name
from . import outputs, release, runner
from .cache import StepCache, step_key
from .parameters import StepNotebook, check_frame, check_parameters, check_type, read_notebook
from .runs import Run, RunStep, RunStore, failure_text

#: parameter a drift-triggered run fills in when the notebook declares it -> the trigger's key
DRIFT_PARAMETERS = {"drift_report": "report", "window_start": "window_start", "window_end": "window_end"}


@dataclass(frozen=True)
class Plan:
    """A run, checked and ready: nothing in it can fail for a reason known before it runs."""

    kind: str
    name: str
    steps: list[StepNotebook]
    parameters: dict
    gate_spec: release.GateSpec | None
    gate: Any
    deploy: release.DeploySpec | None
    promote: str | None
    endpoint: str | None
    timeout: float | None
    retries: int
    cache: bool

    @property
    def version(self) -> str:
        """The pipeline's version: the sha256 of its notebooks' sha256s, in order."""
        return hashlib.sha256(json.dumps([s.sha256 for s in self.steps]).encode()).hexdigest()

    def options(self) -> dict:
        return {"gate": self.gate_spec.expression if self.gate_spec else None,
                "deploy": self.deploy.to_dict() if self.deploy else None, "promote": self.promote,
                "endpoint": self.endpoint, "timeout": self.timeout, "retries": self.retries, "cache": self.cache}


class Pipelines:
    def __init__(self, home: Path, store, artifacts: ArtifactSource, versions: VersionReleaser,
                 serving: Deployer, traffic: TrafficSource, endpoints: EndpointDirectory,
                 schedules: ScheduleMaker, audit: AuditRecorder, environment: dict[str, str]):
        self.home = Path(home)
        self.runs = RunStore(store)
        self.cache = StepCache(store)
        self.artifacts = artifacts
        self.versions = versions
        self.release = release.Release(versions, serving, traffic)
        self.endpoints = endpoints
        self.schedules = schedules
        self.audit = audit
        self.environment = dict(environment)

    # -- the verbs -------------------------------------------------------------------------------
    def retrain(self, name: str, notebook: str, parameters: dict | None = None, gate: Any = None,
                deploy: Any = None, timeout: float | None = None, retries: int = 0, promote: str | None = None,
                endpoint: str | None = None) -> Run:
        """Run ``notebook`` with ``parameters`` in a fresh kernel; then the gate decides, and on a
        pass the version is approved, promoted and deployed as asked. Returns the ``Run`` (also
        when the gate failed: status ``gate_failed``); raises ``RunFailed`` (``.run``) when the
        notebook, the promotion or the deploy failed."""
        plan = self._plan("retrain", name, [notebook], parameters, gate, deploy, timeout, retries, promote,
                          endpoint, cache=False)
        return self._finished(self._execute(plan, {"kind": "manual", "by": actor()}))

    def pipeline(self, name: str, steps: list, parameters: dict | None = None, gate: Any = None,
                 deploy: Any = None, timeout: float | None = None, retries: int = 0, promote: str | None = None,
                 endpoint: str | None = None, cache: bool = True) -> Run:
        """Run the notebooks ``steps`` in order: a step's ``output()`` values reach the later
        steps that declare them as parameters, and a step whose notebook and inputs are unchanged
        since it last succeeded is reused (``cache=False`` runs every step). Then as ``retrain``."""
        if isinstance(steps, (str, Path)) or not steps:
            raise InvalidInput("steps is a list of notebooks, e.g. ['prep.ipynb', 'train.ipynb'].")
        plan = self._plan("pipeline", name, list(steps), parameters, gate, deploy, timeout, retries, promote,
                          endpoint, cache=bool(cache))
        return self._finished(self._execute(plan, {"kind": "manual", "by": actor()}))

    def schedule(self, name: str, notebook: Any, cron: str | None = None, every: Any = None,
                 on_drift: str | None = None, parameters: dict | None = None, gate: Any = None, deploy: Any = None,
                 timezone: str | None = None, promote: str | None = None, endpoint: str | None = None,
                 timeout: float | None = None, retries: int = 0):
        """Retrain ``name`` with ``notebook`` (or a list of notebooks: a pipeline) on a ``cron``
        string, ``every`` interval, or each time monitoring finds drift on the endpoint
        ``on_drift`` (a schedule made with ``monitor(endpoint, on_violation="retrain")``). The
        notebook, parameters, gate and deploy are checked now, and again at each run."""
        given = [k for k, v in (("cron", cron), ("every", every), ("on_drift", on_drift)) if v is not None]
        if len(given) != 1:
            raise InvalidInput("Give exactly one of cron= (e.g. '0 3 * * *'), every= (e.g. '1d') or on_drift= "
                               f"(an endpoint){'; got ' + ' and '.join(given) if given else ''}.")
        notebooks = [notebook] if isinstance(notebook, (str, Path)) else list(notebook)
        plan = self._plan("retrain", name, notebooks, parameters, gate, deploy, timeout, retries, promote,
                          endpoint, cache=False)
        if on_drift is not None:
            validate_name(on_drift, "endpoint name")
            names = self.endpoints.names()
            if on_drift not in names:
                raise EndpointNotFound(f"There is no endpoint named {on_drift!r} whose drift could start a run.",
                                       candidates=names, wanted=on_drift)
        options = {"notebooks": [str(s.path) for s in plan.steps], "parameters": plan.parameters,
                   "gate": gate, "deploy": plan.deploy.to_dict() if plan.deploy else None, "promote": promote,
                   "endpoint": endpoint, "timeout": plan.timeout, "retries": plan.retries, "on_drift": on_drift}
        sid = None
        if on_drift is not None:
            from ..scheduler.scheduler import schedule_id

            sid = schedule_id("retrain", f"{name}-on-drift-{on_drift}")
        return self.schedules.add("retrain", name, every=every, cron=cron, options=options, id=sid,
                                  timezone=timezone, on_event=f"drift:{on_drift}" if on_drift else None)

    def run_schedule(self, schedule, run=None) -> Run:
        """One run of a ``retrain`` schedule (the job kind's body): ``run`` is the scheduler's
        ``RunInfo`` (its row, and the monitoring run whose violation fired the event)."""
        spec = schedule.spec
        plan = self._plan("retrain", schedule.target, spec.get("notebooks") or [], spec.get("parameters"),
                          spec.get("gate"), spec.get("deploy"), spec.get("timeout"), spec.get("retries") or 0,
                          spec.get("promote"), spec.get("endpoint"), cache=False)
        return self._execute(plan, self._trigger(schedule, run), row=run.id if run else None, schedule=schedule.id)

    def sweep(self, name: str, notebook: str, grid: dict | None = None, trials: list | None = None, workers: int = 2,
              gate: Any = None, deploy: Any = None, promote: str | None = None, endpoint: str | None = None,
              timeout: float | None = None, metric: str | None = None, direction: str = "max",
              progress: bool | None = None):
        """Run ``notebook`` once per parameter set (the cross product of ``grid``, or each dict of
        ``trials``), ``workers`` kernels at a time, each trial a run of its own; the best trial by
        ``metric`` (``direction`` max or min) then goes through the gate, approval, promotion and
        deploy as in ``retrain``. A failed trial is reported in the ``Sweep``, never raised; every
        parameter set is checked before any trial runs (``sweep.py``)."""
        from .sweep import Sweeper, check_options, parameter_sets, thread_limits

        sets = parameter_sets(grid, trials)
        check_options(workers, metric, direction)
        plan = self._plan("sweep-trial", name, [notebook], None, gate, deploy, timeout, 0, promote, endpoint,
                          cache=False)
        trial_plans = [dataclasses.replace(plan, parameters=check_parameters(s, plan.steps), gate_spec=None, gate=None,
                                           deploy=None, promote=None, endpoint=None) for s in sets]
        # the trials run as this part does, their kernels limited to their share of the cores
        trials_part = copy.copy(self)
        trials_part.environment = {**self.environment, **thread_limits(min(workers, len(trial_plans)))}
        return Sweeper(self.runs, trials_part._execute, self.release, self.audit).run(
            plan, trial_plans, workers, metric, direction, actor(), progress)


    def reproduce(self, ref: Any, tolerance: Any = None, progress: bool | None = None):
        """Re-run what made the version ``ref`` (the notebooks and parameters its run recorded) as
        a run of kind ``reproduce``, compare its data hashes, metrics (within ``tolerance``) and
        predictions with those recorded, and keep the ``Reproduction`` on ``ref``
        (``reproduce.py``)."""
        from .reproduce import Reproducer

        return Reproducer(self.versions, self.versions, self.runs, self.artifacts, self.home / "reproductions",
                          self._execute).reproduce(ref, tolerance, progress)

    # -- planning ----------------------------------------------------------------------------------
    def _plan(self, kind: str, name: str, notebooks: list, parameters: dict | None, gate: Any, deploy: Any,
              timeout: float | None, retries: int, promote: str | None, endpoint: str | None, cache: bool) -> Plan:
        validate_name(name, "model name")
        if parameters is not None and not isinstance(parameters, dict):
            raise InvalidInput(f"parameters must be a dict of name -> value, got {type(parameters).__name__}.")
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
            raise InvalidInput(f"timeout is the seconds the notebook may run, > 0; got {timeout!r}.")
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise InvalidInput(f"retries is how many times a failed notebook runs again, a whole number >= 0; "
                               f"got {retries!r}.")
        for value, kind_name in ((promote, "alias"), (endpoint, "endpoint name")):
            if value is not None:
                validate_name(value, kind_name)
        if not notebooks:
            raise InvalidInput("A run needs a notebook.")
        steps = [read_notebook(nb) for nb in notebooks]
        spec = release.gate_spec(gate)
        return Plan(kind, name, steps, check_parameters(parameters or {}, steps), spec,
                    release.parse(spec) if spec else None, release.parse_deploy(deploy), promote, endpoint,
                    float(timeout) if timeout is not None else None, retries, cache)

    def _trigger(self, schedule, run) -> dict:
        trigger = {"kind": "schedule", "schedule": schedule.id, "when": schedule.trigger}
        on_drift = schedule.spec.get("on_drift")
        if not on_drift:
            return trigger
        trigger.update(kind="drift", endpoint=on_drift, report=None, report_html=None, window_start=None,
                       window_end=None, monitor_run=run.source_run if run else None)
        source = self.runs.result(run.source_run) if run and run.source_run else None
        if source:
            window = source.get("window") or {}
            report = source.get("report") or {}
            trigger.update(report=report.get("json"), report_html=report.get("html"),
                           window_start=window.get("since"), window_end=window.get("until"),
                           drifted_features=source.get("drifted_features"))
        return trigger

    # -- running ---------------------------------------------------------------------------------
    def _finished(self, run: Run) -> Run:
        if run.status == "failed":
            raise RunFailed(f"{failure_text(run)} (run {run.id}).", run,
                            hint=f"Its output notebook: {run.output_notebook}." if run.output_notebook else None)
        return run

    def _execute(self, plan: Plan, trigger: dict, row: int | None = None, schedule: str | None = None) -> Run:
        run_id, started = self.runs.open(plan.kind, plan.name, row=row, schedule=schedule)
        run = Run(run_id, plan.name, plan.kind, "running", trigger, [str(s.path) for s in plan.steps], plan.version,
                  plan.parameters, started, steps=[_not_run(i, s) for i, s in enumerate(plan.steps, 1)],
                  schedule=schedule, options=plan.options())
        self.runs.save(run, final=False)
        try:
            run = self._steps(plan, run)
            run = self._release(plan, run)
        except BaseException as exc:  # a failure of ours (the disk, the database): the run says so
            run = dataclasses.replace(run, status="failed", finished_at=_now(),
                                      failure={"stage": "run", "ename": type(exc).__name__, "evalue": str(exc)})
            if row is None:
                self.runs.save(run, final=True, error=failure_text(run))
            raise
        if row is None:
            self.runs.save(run, final=True, error=failure_text(run) if run.status == "failed" else None)
        self.audit.record(plan.kind, plan.name, {"run": run.id, "status": run.status, "versions": run.versions,
                                                 "trigger": trigger.get("kind"), "pipeline_version": plan.version,
                                                 "gate": run.gate and run.gate.get("passed")})
        return run

    def _steps(self, plan: Plan, run: Run) -> Run:
        folder = self.home / "runs" / str(run.id)
        received: dict[str, dict] = {}  # output key -> its record; a later output of a name wins
        done: list[RunStep] = []
        for index, step in enumerate(plan.steps, 1):
            result = self._step(plan, run, index, step, received, folder)
            done.append(result)
            received.update(result.outputs)
            run = dataclasses.replace(run, steps=done + run.steps[index:])
            if result.status == "failed":
                failure = {"step": index, "notebook": step.label, **(result.failure or {}), "attempts": result.attempts}
                return dataclasses.replace(run, status="failed", failure=failure, finished_at=_now(),
                                           versions=[v for s in done for v in s.versions])
            self.runs.save(run, final=False)
        return dataclasses.replace(run, versions=[v for s in done for v in s.versions])

    def _inputs(self, plan: Plan, step: StepNotebook, received: dict, trigger: dict) -> tuple[dict, dict]:
        """What ``step`` receives for each parameter it declares: an earlier step's output of that
        name, else the run's parameter, else (drift) the trigger's; (plain values, frame records)."""
        drift = {name: trigger[key] for name, key in DRIFT_PARAMETERS.items()
                 if trigger.get("kind") == "drift" and trigger.get(key) is not None}
        values, frames = {}, {}
        for name in step.declared:
            if name in received:
                record = received[name]
                if record["type"] == "frame":
                    check_frame(step, name)
                    frames[name] = record
                    continue
                values[name] = record["value"]
            elif name in plan.parameters:
                values[name] = plan.parameters[name]
            elif name in drift:
                values[name] = drift[name]
            else:
                continue
            check_type(step, name, values[name])
        return values, frames

    def _step(self, plan: Plan, run: Run, index: int, step: StepNotebook, received: dict, folder: Path) -> RunStep:
        try:
            values, frames = self._inputs(plan, step, received, run.trigger)
        except InvalidInput as exc:
            return dataclasses.replace(_not_run(index, step), status="failed", failure={
                "cell": None, "execution_count": None, "ename": "InvalidInput", "evalue": str(exc)})
        received_as = {**values, **{k: {"frame": r["sha256"]} for k, r in frames.items()}}
        key = step_key(plan.name, step.sha256, received_as)
        hit = self.cache.get(key) if plan.cache else None
        if hit is not None:
            return RunStep(index, str(step.path), step.sha256, "cached", True, received_as, hit.get("outputs") or {},
                           hit.get("output_notebook"), hit.get("output_path"), hit.get("versions") or [],
                           cached_from=hit["run_id"], seconds=0.0)
        step_dir = folder / f"{index:02d}-{step.path.stem}"
        frame_files = {k: outputs.as_parameter(k, r, self.artifacts, step_dir)[1] for k, r in frames.items()}
        env = self._environment(plan, run, index, step, step_dir, received_as)
        execution = runner.execute(step, step_dir, values, frame_files, env, plan.timeout, plan.retries)
        notebook_sha = (self.artifacts.put_bytes(execution.output_path.read_bytes())
                        if execution.output_path.exists() else None)
        made = outputs.collect(step_dir, self.artifacts) if execution.succeeded else {}
        versions = [ref for ref, s in self.runs.registered(run.id, run.started_at) if s in (index, None)]
        result = RunStep(index, str(step.path), step.sha256, "succeeded" if execution.succeeded else "failed",
                         False, received_as, made, notebook_sha,
                         str(execution.output_path) if execution.output_path.exists() else None, versions,
                         attempts=execution.attempts, seconds=round(execution.seconds, 3), failure=execution.failure)
        if execution.succeeded and plan.cache:
            self.cache.put(key, plan.name, str(step.path), step.sha256, run.id, {
                "outputs": made, "output_notebook": notebook_sha, "output_path": result.output_path,
                "versions": versions})
        return result

    def _environment(self, plan: Plan, run: Run, index: int, step: StepNotebook, step_dir: Path,
                     received: dict) -> dict[str, str]:
        env = {**self.environment, "MLOPS_RUN_ID": str(run.id), "MLOPS_RUN_KIND": plan.kind,
               "MLOPS_RUN_NAME": plan.name, "MLOPS_RUN_DIR": str(step_dir), "MLOPS_NOTEBOOK": str(step.path),
               "MLOPS_NOTEBOOK_SHA256": step.sha256, "MLOPS_PARAMETERS": json.dumps(received, default=str),
               "MLOPS_TRIGGER": json.dumps(run.trigger, default=str), "MLOPS_STEP": str(index),
               "MLOPS_PIPELINE_VERSION": plan.version}
        pythonpath = pythonpath_for_children(os.environ.get("PYTHONPATH"))
        if pythonpath:
            env["PYTHONPATH"] = pythonpath
        return env

    def _release(self, plan: Plan, run: Run) -> Run:
        if run.status == "failed":
            return run
        candidate = run.version
        metrics = dict(self.versions.get(candidate).metrics) if candidate else {}
        for step in run.steps:
            metrics.update(outputs.numbers(step.outputs))
        outcome = self.release.run(plan.name, candidate, plan.gate, plan.gate_spec, plan.promote, plan.deploy,
                                   plan.endpoint)
        return dataclasses.replace(run, status=outcome.status, metrics=metrics, gate=outcome.gate,
                                   release=outcome.release, deployed=outcome.deployed, failure=outcome.failure,
                                   finished_at=_now())


def _not_run(index: int, step: StepNotebook) -> RunStep:
    return RunStep(index, str(step.path), step.sha256, "not run")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
