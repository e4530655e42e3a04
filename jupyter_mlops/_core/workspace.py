"""``Workspace``: the one public API, and the composition root.

It builds the store, the artifact store, the audit log and the parts (registry, datasets,
serving, monitoring, scheduler, pipelines), and hands each part only the collaborators it uses
(``collaborators.py``); no part receives or imports the workspace, so every dependency points down
(ARCHITECTURE.md). Every view (the magics and the CLI today) calls one method here, and every
method is one call into a part; ``register`` is the one verb that is two steps (the version, then
the baseline of its data), and says so.

Parts are built on first use, so creating a ``Workspace`` costs nothing and ``import
jupyter_mlops`` loads no pandas, scikit-learn or SQLAlchemy.
"""

from __future__ import annotations

import os
import warnings
from functools import cached_property
from pathlib import Path
from typing import Any

from .audit import AuditCheck
from .names import as_reference, is_reference
from .policy import Policy
from .registry.results import DatasetVersion, ModelVersion
from .home import resolve_home
from .status import WorkspaceStatus


class Workspace:
    """A workspace: metadata database + artifact store + the parts that use them.

    ``Workspace()`` finds the default home (``$MLOPS_HOME``, else the nearest ``.mlops/`` up the
    tree, else ``./.mlops``). ``Workspace(path)`` uses ``path`` as the home. ``db`` takes any
    SQLAlchemy URL (default ``$MLOPS_DB_URL``, else SQLite in the home) and ``artifacts`` any
    fsspec URL (default ``$MLOPS_ARTIFACTS``, else ``<home>/artifacts``).

    Every verb that takes a reference (``"churn"``, ``"churn:3"``, ``"churn@production"``) also
    takes the ``ModelVersion`` (or, for data, the ``DatasetVersion``) a verb returned, meaning
    exactly that version: ``v = ws.register(...); ws.approve(v)`` stays right on a re-run.
    """

    def __init__(self, path: str | os.PathLike | None = None, db: str | None = None,
                 artifacts: str | None = None, storage_options: dict | None = None):
        self.home: Path = resolve_home(path)
        self._db_url = db or os.environ.get("MLOPS_DB_URL") or None
        self._artifacts_url = artifacts or os.environ.get("MLOPS_ARTIFACTS") or str(self.home / "artifacts")
        self._storage_options = storage_options

    def __repr__(self) -> str:
        return f"Workspace({str(self.home)!r})"

    def environment(self) -> dict:
        """Variables a child process (endpoint, papermill job, scheduler) needs to see this workspace."""
        env = {"MLOPS_HOME": str(self.home), "MLOPS_ARTIFACTS": self._artifacts_url}
        if self._db_url:
            env["MLOPS_DB_URL"] = self._db_url
        return env

    # -- composition: each part with the collaborators it needs ---------------------------------
    @cached_property
    def store(self):
        from .home import make_private
        from .store.db import store_for

        make_private(self.home)
        return store_for(self.home, self._db_url)

    @cached_property
    def artifacts(self):
        from .artifacts import ArtifactStore

        return ArtifactStore(self._artifacts_url, self._storage_options)

    @cached_property
    def audit_log(self):
        from .audit import AuditLog

        return AuditLog(self.store)

    @cached_property
    def _keyring(self):
        from .trust import keyring

        return keyring()

    @cached_property
    def _policies(self):
        from .policy import PolicyStore

        return PolicyStore(self.store, self.audit_log)

    @cached_property
    def _datasets(self):
        from .registry.datasets import Datasets

        return Datasets(self.store, self.artifacts, self.audit_log)

    @cached_property
    def registry(self):
        from .registry.registry import Registry

        return Registry(self.store, self.artifacts, self.audit_log, self._datasets, self._policies.current)

    @cached_property
    def _serving(self):
        from .serving.control.serving import Serving

        return Serving(self.home, self.store, self.registry, self.artifacts, self.audit_log, self.environment())

    @cached_property
    def _monitoring(self):
        from .monitor.monitoring import Monitoring

        return Monitoring(self.store, self.artifacts, self.audit_log, self.registry, self._datasets,
                          self._serving)

    @cached_property
    def _replayer(self):
        from .pipelines.replay import Replayer

        return Replayer(self.registry, self._serving)

    @cached_property
    def scheduler(self):
        """The scheduler part: ``scheduler.add(kind, target, every=/cron=, options=)`` for other parts."""
        from .scheduler.control import DaemonControl
        from .scheduler.scheduler import Scheduler

        daemon = DaemonControl(self.home, self.environment(), self.store, self.audit_log)
        return Scheduler(self.store, self.audit_log, self._serving.records, daemon)

    @cached_property
    def _reports(self):
        from .scheduler.reports import ReportHistory

        return ReportHistory(self.store, self.home)

    @cached_property
    def _pipelines(self):
        from .pipelines.pipelines import Pipelines

        return Pipelines(self.home, self.store, self.artifacts, self.registry, self._serving, self._serving,
                         self._serving.records, self.scheduler, self.audit_log, self.environment())

    def job_context(self):
        """What a scheduled job is handed (see ``scheduler/kinds.py``)."""
        from .scheduler.kinds import JobContext

        return JobContext(self.home, self.audit_log, self._monitoring, self._pipelines, reports=self._reports)

    # -- status --------------------------------------------------------------------------------
    def status(self) -> WorkspaceStatus:
        from sqlalchemy import func, select

        from .store import orm

        with self.store.read() as s:
            count = lambda model: s.execute(select(func.count()).select_from(model)).scalar()  # noqa: E731
            return WorkspaceStatus(str(self.home), self.store.url, self.artifacts.url, count(orm.Model),
                                   count(orm.ModelVersion), count(orm.Endpoint), count(orm.Schedule))

    # -- registry ------------------------------------------------------------------------------
    def register(self, model: Any, name: str, data: Any = None, target: Any = None, metrics: dict | None = None,
                 params: dict | None = None, tags: dict | None = None, description: str | None = None,
                 alias: str | None = None) -> ModelVersion:
        """Register ``model`` as the next version of ``name``, with lineage recorded automatically.
        ``data`` (a DataFrame, or a dataset reference such as ``"churn-train:2"``) is hashed for
        lineage and, once the version is committed, baselined for monitoring."""
        dataset = as_reference(data) if is_reference(data) else None
        frame = self._datasets.load(data) if dataset is not None else data
        version = self.registry.register(model, name, data=frame, target=target, metrics=metrics,
                                         params=params, tags=tags, description=description, alias=alias,
                                         dataset=dataset)
        if frame is not None:
            try:
                self._monitoring.baseline(version.ref, frame, target=target)
            except Exception as exc:  # the version is complete; only its baseline failed
                warnings.warn(f"{version.ref} was registered, but its baseline was not: "
                              f"{type(exc).__name__}: {exc}", stacklevel=2)
        return version

    def models(self):
        """All models: name, number of versions, latest version, aliases, latest approval."""
        return self.registry.models()

    def versions(self, name: str | None = None):
        """The versions of ``name``: created, approval, aliases, status, data hash, metrics; with no
        name, every model's versions with a ``model`` column."""
        return self.registry.versions(name)

    def get(self, ref: Any) -> ModelVersion:
        """The version ``ref`` names (``churn``, ``churn:3``, ``churn@production``)."""
        return self.registry.get(ref)

    def load(self, ref: Any) -> Any:
        """The model object of ``ref``, after checking its artifact's sha256."""
        return self.registry.load(ref)

    def promote(self, ref: Any, alias: str) -> ModelVersion:
        """Point ``alias`` (e.g. ``production``) at the version ``ref``."""
        return self.registry.promote(ref, alias)

    def approve(self, ref: Any, comment: str | None = None) -> ModelVersion:
        """Approve ``ref`` (Approved once the policy's ``min_approvers`` distinct people did)."""
        return self.registry.approve(ref, comment=comment)

    def reject(self, ref: Any, comment: str | None = None) -> ModelVersion:
        """Reject ``ref``; its earlier approvals stop counting."""
        return self.registry.reject(ref, comment=comment)

    def archive(self, ref: Any) -> ModelVersion:
        """Archive ``ref``: it stays loadable but is no longer the latest."""
        return self.registry.archive(ref)

    def diff(self, a: Any, b: Any, changed_only: bool = False):
        """Params, metrics, data hashes and lineage of two versions side by side."""
        return self.registry.diff(a, b, changed_only=changed_only)

    def audit(self, name: str | None = None):
        """Audit entries (all, or those of one model): who did what, when."""
        return self.audit_log.entries(name)

    def verify_audit(self) -> AuditCheck:
        """Walk the hash chain; names the first entry that was altered or removed."""
        return self.audit_log.verify()

    def audit_anchor(self):
        """Sign the audit chain's current head with your key and return it, for a witness outside
        the workspace (a commit message, a ticket)."""
        return self.audit_log.anchor()

    # -- trust ---------------------------------------------------------------------------------
    def trust(self, public_key: str, name: str):
        """Trust what the owner of ``public_key`` signs: their pickled models and companions load,
        their endpoint configs and audit heads verify (``mlops trust key`` prints a key to share)."""
        return self._keyring.add(public_key, name)

    def untrust(self, key_id: str):
        """Stop trusting the key ``key_id``."""
        return self._keyring.remove(key_id)

    def trusted_keys(self):
        """Your signing key and the keys you trust."""
        return self._keyring.listing()

    def signing_key(self):
        """Your public signing key (made on first use), to give to whoever should trust your work."""
        return self._keyring.own_key()

    def policy(self, require_approval: bool | None = None, require_reproduction: bool | None = None,
               min_approvers: int | None = None) -> Policy:
        """Read the workspace policy, or change the settings given."""
        return self._policies.update(require_approval=require_approval,
                                     require_reproduction=require_reproduction, min_approvers=min_approvers)

    # -- datasets ------------------------------------------------------------------------------
    def save_dataset(self, df, name: str) -> DatasetVersion:
        """Store ``df`` as the next version of dataset ``name`` (the same content: the same version)."""
        return self._datasets.save(df, name)

    def datasets(self):
        """Every dataset version: name, version, shape, content hash, created."""
        return self._datasets.list()

    def dataset(self, ref: str):
        """The DataFrame of dataset version ``ref`` (``name`` or ``name:N``), hash-verified."""
        return self._datasets.load(ref)

    # -- serving -------------------------------------------------------------------------------
    def deploy(self, ref: Any, endpoint: str | None = None, port: int | None = None, workers: int = 1, capture: float = 0,
               token: str | None = None, strategy: str | None = None, percent: float | None = None,
               bake: float | None = None, guardrails: dict | None = None, variant: str | None = None,
               max_payload_mb: float | None = None, request_timeout: float | None = None,
               timeout: float = 60.0, compiled: bool = True, wait: bool = False, on_update: Any = None,
               async_concurrency: int | None = None, async_output: str | None = None,
               async_notify: dict | None = None, serverless: bool = False, idle: float | None = None,
               max_concurrency: int | None = None, provisioned: int | None = None, multi_model: bool = False,
               max_models: int | None = None, max_memory_mb: float | None = None):
        """Serve ``ref`` at ``endpoint`` (a new local process, or a rollout on a running one:
        ``strategy`` = ab | canary | linear | blue_green | shadow). Returns once it serves.
        ``endpoint`` defaults to the model's name (``churn:4`` is served at ``churn``).
        ``wait=True``: return only when the rollout has completed or rolled back, showing it live
        meanwhile (as ``watch``; ``on_update`` receives each look instead).
        ``compiled=False``: a tree model never predicts through its compiled form.
        Asynchronous requests (boto3 ``invoke_endpoint_async``): ``async_concurrency`` at a time
        (default 1), results under ``async_output`` (a folder or fsspec URL; default the
        endpoint's ``async/output``), ``async_notify={"success": URL, "error": URL}`` webhooks.
        ``serverless=True``: after ``idle`` seconds (default 300) without traffic the workers exit
        and give back their memory, the next request starts them again (a cold start, counted);
        past ``max_concurrency`` requests at once the endpoint throttles (boto3's
        ``ThrottlingException``); ``provisioned=N`` workers stay warm.
        ``multi_model=True`` with a list of refs: one endpoint serves them all, each loaded on
        its first request (boto3 ``TargetModel="churn:3"``), the least recently used evicted
        past ``max_models`` loaded or ``max_memory_mb``."""
        return self._serving.deploy(ref, endpoint, port=port, workers=workers, capture=capture, token=token,
                                    strategy=strategy, percent=percent, bake=bake, guardrails=guardrails,
                                    variant=variant, max_payload_mb=max_payload_mb,
                                    request_timeout=request_timeout, timeout=timeout, compiled=compiled, wait=wait,
                                    on_update=on_update, async_concurrency=async_concurrency,
                                    async_output=async_output, async_notify=async_notify,
                                    serverless=serverless, idle=idle, max_concurrency=max_concurrency,
                                    provisioned=provisioned, multi_model=multi_model, max_models=max_models,
                                    max_memory_mb=max_memory_mb)

    def async_result(self, endpoint: str, inference_id: str):
        """The state of an asynchronous request (boto3 ``invoke_endpoint_async``'s InferenceId):
        an ``AsyncResult`` with status pending | running | succeeded | failed, its output or
        failure location, the error and timings."""
        return self._serving.async_result(endpoint, inference_id)

    def watch(self, endpoint: str, timeout: float | None = None, on_update: Any = None):
        """Follow ``endpoint``'s rollout until it completes or rolls back (or ``timeout`` s): one
        live display of the weights, the bake's countdown, and each variant's error rate and p99
        against the guardrails; returns the last look, a ``RolloutWatch`` (at once, with the
        current state, when no rollout is running). ``on_update(look)`` replaces the display."""
        return self._serving.watch(endpoint, timeout=timeout, on_update=on_update)

    def endpoints(self, all: bool = False):  # noqa: A002 - reads as the question it answers
        """The endpoints: live status, variants and weights, req/s, p50, p99, error rate, CPU, RSS;
        stopped ones are left out unless ``all=True``."""
        return self._serving.endpoints(all=all)

    def endpoint(self, endpoint: str):
        """A handle on a running endpoint: ``.predict(X, variant=None)``, ``.logs()``, ``.url``."""
        return self._serving.endpoint(endpoint)

    def traffic(self, endpoint: str, weights: dict, timeout: float = 30.0):
        """Set variant weights (share = weight / sum), without restarting the endpoint."""
        return self._serving.traffic(endpoint, weights, timeout=timeout)

    def rollback(self, endpoint: str, timeout: float = 30.0):
        """Abort the rollout in progress, or restore the variants before the last change."""
        return self._serving.rollback(endpoint, timeout=timeout)

    def stop(self, endpoint: str, timeout: float = 30.0) -> None:
        """Stop the endpoint: SIGTERM (in-flight requests drain), SIGKILL after ``timeout`` s."""
        return self._serving.stop(endpoint, timeout=timeout)

    def endpoint_history(self, endpoint: str, last: Any = None):
        """The endpoint's requests, errors, req/s and p50/p99 latency per variant over time
        (intervals of 5 s kept for the last hour by the endpoint itself, lost when it restarts):
        ``last`` a duration ("15 min"), default all that is kept. ``to_frame()`` and charts of
        req/s and p99 per variant with the rollouts' weight changes marked."""
        return self._serving.history(endpoint, last=last)

    def shadow_report(self, endpoint: str):
        """Agreement and latency of each shadow variant against production."""
        return self._serving.shadow_report(endpoint)

    def captured(self, endpoint: str, since: Any = None, with_ground_truth: bool = False):
        """Captured requests as a DataFrame: input columns, prediction, inference_id, time, variant;
        ``with_ground_truth``: only the labelled rows, with a ``label`` column (see ``ground_truth``)."""
        return self._serving.captured(endpoint, since=since, with_ground_truth=with_ground_truth)

    def ground_truth(self, endpoint: str, labels: Any):
        """Upload labels for captured requests (a DataFrame with ``inference_id`` and ``label``, or a
        dict id -> label) as SageMaker Model Monitor ground truth; says how many matched captured
        requests, which ids were unknown or given twice (the last label wins)."""
        return self._serving.ground_truth(endpoint, labels)

    def batch(self, ref: Any, input: str, output: str, chunk_rows: int = 10_000, workers: int = 1,
              dask: str | None = None, progress: bool | None = None, join_input: bool = True,
              split: str | None = "Line", assemble: str | None = "Line", errors: str = "raise",
              job_id: str | None = None, resume: bool = False):
        """Batch transform (SageMaker's): score a CSV/JSON Lines/Parquet file, a folder of them or
        an fsspec URL in chunks of ``chunk_rows`` on ``workers`` processes (or a Dask cluster); a
        named output file, or ``<input>.out`` per file in the ``output`` folder, in input order.
        ``join_input``: input columns + ``prediction`` (JoinSource=Input), else ``prediction``
        alone; ``split``/``assemble``: "Line" or None (whole file; one JSON array);
        ``errors="file"``: bad records to ``<output>.err`` instead of failing with file and line;
        ``job_id`` + ``resume=True``: continue a killed job from its last finished chunk.
        ``progress``: None shows a bar of the rows once it takes over a second, True at once,
        False never. Returns a ``BatchJob``, also listed by ``batch_jobs()``."""
        return self._serving.batch(ref, input, output, chunk_rows=chunk_rows, workers=workers, dask=dask,
                                   progress=progress, join_input=join_input, split=split,
                                   assemble=assemble, errors=errors, job_id=job_id, resume=resume)

    def batch_jobs(self):
        """Every batch job, newest first (id, ref, input, output, status, rows, seconds, engine):
        a killed one shows ``interrupted`` until resumed."""
        return self._serving.batch_jobs()

    # -- retraining ----------------------------------------------------------------------------
    def replay(self, ref: Any, endpoint: str, since: Any = None):
        """Run ``ref`` offline on ``endpoint``'s captured requests (``since`` e.g. ``"1d"``): its
        agreement with what production answered, where predictions changed by feature, and its
        latency per request. A gate reads it as ``replay.agreement``."""
        return self._replayer.replay(ref, endpoint, since=since)

    # -- monitoring ----------------------------------------------------------------------------
    def baseline(self, ref: Any, data: Any = None, target: Any = None, progress: bool | None = None):
        """Statistics + constraints (Model Monitor's JSON shapes) of ``data``, stored with ``ref``;
        with no data, the version's latest baseline. ``progress``: a bar per column (None: once
        it takes over a second; True: at once; False: never)."""
        if data is None:
            return self._monitoring.get_baseline(ref)
        return self._monitoring.baseline(ref, data, target=target, progress=progress)

    def import_baseline(self, ref: Any, statistics: Any, constraints: Any):
        """A SageMaker Model Monitor baseline (``statistics.json`` and ``constraints.json``:
        paths or dicts), checked and stored with ``ref``; ``check`` then works against it."""
        return self._monitoring.import_baseline(ref, statistics, constraints)

    def check(self, target: str, data: Any = None, since: Any = None, variant: str | None = None):
        """Data quality violations and drift of captured traffic (or ``data``) against the baseline
        (an endpoint's main production variant, or ``variant``)."""
        return self._monitoring.check(target, data=data, since=since, variant=variant)

    def drift(self, reference: Any, current: Any, method: Any = "auto", threshold: Any = None,
              columns: list | None = None, drift_share: float = 0.5, client: Any = None,
              progress: bool | None = None):
        """Per-feature drift (ks, chi2, psi, wasserstein, jensenshannon or auto) and the dataset verdict.
        ``progress``: a bar per feature (None: once it takes over a second; True: at once; False: never)."""
        return self._monitoring.drift(reference, current, method=method, threshold=threshold, columns=columns,
                                      drift_share=drift_share, client=client, progress=progress)

    def quality(self, target: str, ground_truth: Any = None, data: Any = None, since: Any = None,
                thresholds: dict | None = None, tolerance: float = 0.1):
        """Model quality against the baseline's metrics (estimated with CBPE when there are no labels)."""
        return self._monitoring.quality(target, ground_truth, data=data, since=since, thresholds=thresholds,
                                        tolerance=tolerance)

    def bias(self, ref: Any, data: Any, target: Any, facet: str, facet_value: Any = None,
             label_value: Any = None, tolerance: float = 0.1):
        """SageMaker Clarify's pre- and post-training bias metrics for ``facet``, with bias drift."""
        return self._monitoring.bias(ref, data, target, facet, facet_value=facet_value, label_value=label_value,
                                     tolerance=tolerance)

    def attribution_drift(self, ref: Any, data: Any, max_rows: int = 500):
        """SHAP attribution per feature, baseline vs ``data``, and the NDCG of the ranking."""
        return self._monitoring.attribution_drift(ref, data, max_rows=max_rows)

    def concept_drift(self, target: str, ground_truth: Any = None, data: Any = None, since: Any = None,
                      stream: Any = None, detectors: tuple | None = None):
        """DDM, Page-Hinkley and ADWIN over the per-request error stream: when the change began."""
        return self._monitoring.concept_drift(target, ground_truth, data=data, since=since, stream=stream,
                                              detectors=detectors)

    # -- retraining ----------------------------------------------------------------------------
    def retrain(self, name: str, notebook: str, parameters: dict | None = None, gate: Any = None,
                deploy: Any = None, timeout: float | None = None, retries: int = 0, promote: str | None = None,
                endpoint: str | None = None):
        """Run the retraining ``notebook`` with papermill in a fresh kernel (``parameters`` checked
        against its parameters cell first), record the ``Run``, then let ``gate`` decide
        (``"auc >= production.auc - 0.005"``): approve, ``promote`` to an alias and ``deploy``
        (``"canary:10"``) on a pass, reject on a fail. Raises ``RunFailed`` (``.run``) when the
        notebook fails; ``timeout`` bounds the whole notebook, ``retries`` reruns a failed one."""
        return self._pipelines.retrain(name, notebook, parameters=parameters, gate=gate, deploy=deploy,
                                       timeout=timeout, retries=retries, promote=promote, endpoint=endpoint)

    def pipeline(self, name: str, steps: list, parameters: dict | None = None, gate: Any = None,
                 deploy: Any = None, timeout: float | None = None, retries: int = 0, promote: str | None = None,
                 endpoint: str | None = None, cache: bool = True):
        """Run the notebooks ``steps`` in order; ``output(key, value)`` in one reaches later steps
        that declare ``key``; unchanged steps are reused from the step cache (``cache=False``
        runs them all). Then the gate, promotion and deploy as in ``retrain``."""
        return self._pipelines.pipeline(name, steps, parameters=parameters, gate=gate, deploy=deploy,
                                        timeout=timeout, retries=retries, promote=promote, endpoint=endpoint,
                                        cache=cache)

    def schedule(self, name: str, notebook: Any, cron: str | None = None, every: Any = None,
                 on_drift: str | None = None, parameters: dict | None = None, gate: Any = None, deploy: Any = None,
                 timezone: str | None = None, promote: str | None = None, endpoint: str | None = None,
                 timeout: float | None = None, retries: int = 0):
        """Retrain ``name`` with ``notebook`` on a ``cron`` string, ``every`` interval, or when
        monitoring finds drift on the endpoint ``on_drift``; the scheduler daemon runs it."""
        return self._pipelines.schedule(name, notebook, cron=cron, every=every, on_drift=on_drift,
                                        parameters=parameters, gate=gate, deploy=deploy, timezone=timezone,
                                        promote=promote, endpoint=endpoint, timeout=timeout, retries=retries)

    def sweep(self, name: str, notebook: str, grid: dict | None = None, trials: list | None = None, workers: int = 2,
              gate: Any = None, deploy: Any = None, promote: str | None = None, endpoint: str | None = None,
              timeout: float | None = None, metric: str | None = None, direction: str = "max",
              progress: bool | None = None):
        """Run ``notebook`` once per parameter set (``grid={"C": [0.1, 1, 10]}``: every
        combination; or ``trials=[{...}, ...]``), ``workers`` kernels at a time, each trial a
        recorded run; returns a ``Sweep`` (``to_frame()``, ``best``, a chart). The best trial by
        ``metric`` (default: the gate's first metric, or the one every trial reported) goes
        through ``gate``, ``promote`` and ``deploy`` as in ``retrain``. A failed trial is
        reported, not raised; ``timeout`` bounds each trial's notebook. ``progress``: a bar of the
        trials ended (None: once it takes over a second; True: at once; False: never)."""
        return self._pipelines.sweep(name, notebook, grid=grid, trials=trials, workers=workers, gate=gate,
                                     deploy=deploy, promote=promote, endpoint=endpoint, timeout=timeout,
                                     metric=metric, direction=direction, progress=progress)


    def reproduce(self, ref: Any, tolerance: Any = None, progress: bool | None = None):
        """Re-run the notebook (or pipeline) that made ``ref`` with its recorded parameters in a
        fresh kernel, then check that the training data hashes as recorded, the metrics agree
        within ``tolerance`` (a number: absolute; or ``{"abs": 1e-6, "rel": 1e-4}``, the defaults)
        and the predictions on its sample rows are the same; the ``Reproduction`` (PASS/FAIL and
        each difference) is kept on the version, where ``policy(require_reproduction=True)``
        reads it. ``progress``: a bar of its steps (the re-run, then each comparison)."""
        return self._pipelines.reproduce(ref, tolerance=tolerance, progress=progress)

    # -- scheduling ----------------------------------------------------------------------------
    def monitor(self, endpoint: str, every: Any = None, on_violation: str = "alert", webhook: str | None = None,
                since: Any = None, cron: str | None = None, timezone: str | None = None):
        """Check ``endpoint``'s captured traffic on a schedule (default every 1h); a violation writes
        an alert (audit entry, report under <home>/reports/, optional webhook POST)."""
        return self.scheduler.monitor(endpoint, every=every, on_violation=on_violation, webhook=webhook,
                                      since=since, cron=cron, timezone=timezone)

    def schedules(self):
        """All schedules: kind, target, trigger, next run, last run, last status."""
        return self.scheduler.list()

    def unschedule(self, id: str) -> None:
        """Remove the schedule ``id`` (its runs stay on record)."""
        return self.scheduler.remove(id)

    def runs(self, name: str | None = None, limit: int | None = 200):
        """Runs, newest first (monitoring and retraining): all, or those of one schedule id or
        target (an endpoint, a model)."""
        return self.scheduler.runs(name, limit=limit)

    def run_now(self, schedule_id: str, wait: bool = True):
        """Run schedule ``schedule_id``'s job once, now, recorded as a run like the daemon's with
        the trigger "manual"; ``Conflict`` while a run of it is going. ``wait=False`` returns the
        running run at once (it finishes on a thread of this process)."""
        return self.scheduler.run_now(schedule_id, wait=wait, context=self.job_context())

    def reports(self, endpoint: str | None = None, limit: int | None = 20):
        """The latest monitoring reports (the checks of monitoring schedules' runs), newest first:
        id, endpoint, status, violations, drifted features, summary; ``report(id)`` opens one."""
        return self._reports.reports(endpoint, limit=limit)

    def report(self, id: Any):
        """The monitoring report ``id`` (see ``reports``) as its ``MonitoringReport``."""
        return self._reports.report(id)

    def drift_history(self, endpoint: str, last: Any = None):
        """Each feature's drift statistic across ``endpoint``'s scheduled checks (``last``: a
        duration back, default all kept), with its threshold: ``to_frame()`` (time, report id,
        feature, method, statistic, p-value, score, threshold, drifted) and a chart per feature,
        the most drifted at the latest check first."""
        return self._reports.drift_history(endpoint, last=last)

    def start_scheduler(self, timeout: float = 30):
        """Start this workspace's scheduler daemon (detached: it outlives the kernel)."""
        return self.scheduler.start(timeout=timeout)

    def stop_scheduler(self, timeout: float = 30):
        """Stop the daemon within ``timeout`` seconds: runs in progress get a grace to finish
        (``MLOPS_SCHEDULER_STOP_GRACE``), the rest are recorded interrupted and caught up at the
        next start; SIGKILL only if it does not exit."""
        return self.scheduler.stop(timeout=timeout)

    def scheduler_status(self):
        """Whether the daemon runs (pid, since when, log file) and how many schedules it has."""
        return self.scheduler.status()

    def scheduler_log(self, lines: int = 50) -> str:
        """The last ``lines`` lines of the daemon's log (runs started and finished, errors)."""
        return self.scheduler.log(lines)

    def run_scheduler(self, log_file: str | None = None) -> int:
        """Run the scheduler daemon in this process until SIGTERM or Ctrl-C (for systemd and
        containers; ``start_scheduler`` runs it detached instead). Returns its exit status."""
        from .scheduler.daemon import main

        os.environ.update(self.environment())  # the jobs' child processes see this workspace
        return main(lambda: (self.scheduler, self.job_context()), log_file)
