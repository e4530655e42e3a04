"""``Serving``: the kernel side of endpoints (deploy, traffic, rollback, stop, describe, list,
captured requests, batch transform).

The kernel never talks to a running endpoint's internals: it edits the endpoint's config file
under its lock (``contract.ConfigFile``), then waits until every worker acknowledges the new
generation, or reports why it refused it (load, hash or smoke-test failure), in which case the
previous variants are put back and the error raised. The endpoints table records pid, port, url
and the last status seen; live status always comes from the process itself.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any, Callable

from ...collaborators import ArtifactSource, AuditRecorder, VersionSource
from ...errors import Conflict, DeployError, InvalidInput
from ...names import parse_ref, validate_name
from ...trust import write_private
from ..contract import (DEFAULT_MAX_PAYLOAD, DEFAULT_REQUEST_TIMEOUT, ConfigFile, EndpointConfig,
                        EndpointPaths, Variant, read_events, read_json)
from . import figures, processes, rollouts
from . import multi_model as multi_model_endpoints
from .acknowledgements import wait_for_generation
from .records import EndpointRecord, EndpointRecords
from .results import Endpoint, GroundTruthUpload


#: how far back the charts in an endpoint's own view look
RECENT_SECONDS = 15 * 60.0
DEFAULT_IDLE_SECONDS = 300.0  # a serverless endpoint without idle=: five minutes without traffic


class Serving:
    def __init__(self, home: Path, store, versions: VersionSource, artifacts: ArtifactSource,
                 audit: AuditRecorder, environment: dict[str, str]):
        self.home = Path(home)
        self.records = EndpointRecords(store)
        self.versions = versions
        self.artifacts = artifacts
        self.audit = audit
        self.environment = environment

    def paths(self, endpoint: str) -> EndpointPaths:
        return EndpointPaths(self.home, endpoint)

    def _existing(self, endpoint: str) -> tuple[EndpointPaths, EndpointRecord]:
        """The endpoint's files and row, or ``EndpointNotFound`` naming the endpoints there are."""
        validate_name(endpoint, "endpoint name")
        paths, record = self.paths(endpoint), self.records.get(endpoint)
        if record is None or not paths.config.exists():
            raise self.records.not_found(endpoint)
        return paths, record

    def _running(self, endpoint: str, to: str) -> tuple[EndpointPaths, EndpointRecord]:
        """The endpoint's files and row if its server runs; ``Conflict`` before anything is
        written if not (a stopped endpoint's config is left as it stopped)."""
        paths, record = self._existing(endpoint)
        if not self._alive(paths, record):
            raise Conflict(f"Endpoint {endpoint!r} is not running: deploy a version to it before you {to}.")
        return paths, record

    def exists(self, endpoint: str) -> bool:
        try:
            self._existing(endpoint)
        except Exception:
            return False
        return True

    def _alive(self, paths: EndpointPaths, record: EndpointRecord | None) -> bool:
        return record is not None and processes.is_endpoint_process(record.pid, paths.config)

    # -- variants from the registry ---------------------------------------------------------
    def _variant(self, ref: Any, name: str | None, paths: EndpointPaths) -> Variant:
        mv = self.versions.get(ref)
        fast = (mv.format or {}).get("fast_load")
        try:
            sample = self.versions.sample(mv.ref)
        except Exception:
            sample = None
        return Variant(name=validate_name(name or f"{mv.name}-v{mv.version}", "variant name"),
                       ref=mv.ref, model=mv.name, version=mv.version,
                       artifact_path=str(self._local_artifact(mv.artifact_sha256, paths)),
                       sha256=mv.artifact_sha256, format=dict(mv.format),
                       companion_path=str(self._local_artifact(fast["sha256"], paths)) if fast else None,
                       signature=mv.signature, weight=100.0, sample=sample,
                       baseline_sample=self._baseline_sample(mv, paths))

    def _baseline_sample(self, mv, paths: EndpointPaths) -> dict | None:
        """The latest monitoring baseline's kept rows of this version (``register(data=...)``
        makes one), as a local artifact: a compiled tree model is proven on them at load."""
        from sqlalchemy import select

        from ...store import orm

        try:
            with self.store.read() as s:
                version_id = self.versions.version_id(mv.ref)
                extra = s.execute(select(orm.Baseline.extra).where(orm.Baseline.model_version_id == version_id)
                                  .order_by(orm.Baseline.id.desc()).limit(1)).scalar_one_or_none()
            sha = (extra or {}).get("sample_sha256")
            return {"path": str(self._local_artifact(sha, paths)), "sha256": sha} if sha else None
        except Exception:  # no baseline, or a store without the table: the kept sample only
            return None

    def _local_artifact(self, sha256: str, paths: EndpointPaths) -> Path:
        """The artifact as a local file the endpoint process can read (copied next to the
        endpoint, verified, when the artifact store is remote)."""
        path = self.artifacts.local_path(sha256)
        if path is None or not Path(path).exists():
            paths.artifacts.mkdir(parents=True, exist_ok=True)
            path = paths.artifacts / f"{sha256}.bin"
            if not path.exists():
                write_private(path, self.artifacts.get_bytes(sha256))
        return Path(path)

    # -- deploy ------------------------------------------------------------------------------
    def deploy(self, ref: Any, endpoint: str | None = None, port: int | None = None, workers: int = 1,
               capture: float = 0, token: str | None = None, strategy: str | None = None,
               percent: float | None = None, bake: float | None = None,
               guardrails: dict | None = None, variant: str | None = None,
               max_payload_mb: float | None = None, request_timeout: float | None = None,
               timeout: float = 60.0, compiled: bool = True, wait: bool = False, on_update: Callable | None = None,
               async_concurrency: int | None = None, async_output: str | None = None,
               async_notify: dict | None = None, serverless: bool = False, idle: float | None = None,
               max_concurrency: int | None = None, provisioned: int | None = None, multi_model: bool = False,
               max_models: int | None = None, max_memory_mb: float | None = None) -> Endpoint:
        """``wait``: once the endpoint serves the change, follow the rollout it started until it
        completes or rolls back (``watch``), handing each look to ``on_update`` (default: the view
        layer's live display, if any); the ``Endpoint`` returned then shows how it ended."""
        if endpoint is None:  # one endpoint per model is the common case: it takes the model's name
            endpoint = parse_ref(ref[0] if isinstance(ref, (list, tuple)) and ref else ref).name
        validate_name(endpoint, "endpoint name")
        strategy = rollouts.strategy_of(strategy)
        if not 0 <= float(capture) <= 100:
            raise InvalidInput(f"capture is a percentage of requests, 0-100; got {capture!r}.")
        if int(workers) < 1:
            raise InvalidInput(f"workers must be at least 1, got {workers!r}.")
        guardrails = rollouts.checked_guardrails(guardrails)
        async_settings = async_inference_settings(async_concurrency, async_output, async_notify)
        serverless_settings = serverless_config(serverless, idle, max_concurrency, provisioned)
        if multi_model or max_models is not None or max_memory_mb is not None:
            if serverless_settings:
                raise InvalidInput("A multi-model endpoint cannot be serverless (yet): deploy it "
                                   "without serverless=True, or serve one version serverless.")
            return self._deploy_multi_model(ref, endpoint, port, workers, token, max_models,
                                            max_memory_mb, max_payload_mb, request_timeout, timeout,
                                            capture)
        paths = self.paths(endpoint)
        spec = self._variant(ref, variant, paths)
        spec.compiled = bool(compiled)
        record = self.records.get(endpoint)
        if self._alive(paths, record):
            self._refuse_new_settings(paths, record, port, workers, token, serverless_settings)
            multi_model_endpoints.refuse_variant_changes(paths, "take a single version or a rollout")
            with ConfigFile(paths.config).updating() as config:
                details, before = rollouts.plan_deploy(config, spec, strategy, percent, bake,
                                                       guardrails, capture)
                if async_settings:  # read per request (concurrency: at the next start)
                    config.async_inference = {**config.async_inference, **async_settings}
            self._await(paths, record, config.generation, timeout, revert_to=before)
            self.audit.record("endpoint.deploy", endpoint, details)
            if wait:
                self._follow(paths, record, None, on_update)
            return self._describe(paths, record)
        if strategy == "shadow":
            raise Conflict(f"Endpoint {endpoint!r} is not running: a shadow variant needs a "
                           "production variant to copy requests from. Deploy one first.")
        config = EndpointConfig.new(
            endpoint, self.home, token_sha256=hashlib.sha256(token.encode()).hexdigest() if token else None,
            max_payload_bytes=int(max_payload_mb * 1024 * 1024) if max_payload_mb else DEFAULT_MAX_PAYLOAD,
            request_timeout_s=request_timeout or DEFAULT_REQUEST_TIMEOUT,
            capture_percent=capture, workers=workers)
        config.async_inference = async_settings
        config.serverless = serverless_settings
        return self._start(paths, config, spec, port, token, timeout)

    def _deploy_multi_model(self, refs, endpoint, port, workers, token, max_models, max_memory_mb,
                            max_payload_mb, request_timeout, timeout, capture=0) -> Endpoint:
        """Every ref a variant spec, loaded by the endpoint on first use (``multi_model.py``)."""
        limits = multi_model_endpoints.settings(max_models, max_memory_mb)
        paths = self.paths(endpoint)
        specs = multi_model_endpoints.specs_for(self, multi_model_endpoints.refs_of(refs), paths)
        record = self.records.get(endpoint)
        details = {"multi_model": True, "refs": [s.ref for s in specs], **limits}
        if self._alive(paths, record):
            self._refuse_new_settings(paths, record, port, workers, token)
            generation = multi_model_endpoints.replace_models(paths, specs, limits)
            self._await(paths, record, generation, timeout)
            self.audit.record("endpoint.deploy", endpoint, details)
            return self._describe(paths, record)
        config = EndpointConfig.new(
            endpoint, self.home, token_sha256=hashlib.sha256(token.encode()).hexdigest() if token else None,
            max_payload_bytes=int(max_payload_mb * 1024 * 1024) if max_payload_mb else DEFAULT_MAX_PAYLOAD,
            request_timeout_s=request_timeout or DEFAULT_REQUEST_TIMEOUT, capture_percent=capture,
            workers=workers)
        config.multi_model = limits
        return self._start(paths, config, specs, port, token, timeout)

    def async_result(self, endpoint: str, inference_id: str):
        from .async_results import async_result

        validate_name(endpoint, "endpoint name")
        return async_result(self.paths(endpoint), inference_id)

    def _refuse_new_settings(self, paths, record, port, workers, token, serverless=None) -> None:
        """Port, workers, token and serverless settings belong to the process: changing them
        needs a new one."""
        running = ConfigFile(paths.config).read()
        changed = []
        if port is not None and port != record.port:
            changed.append(f"port={port!r} (it runs with {record.port!r})")
        if workers != 1 and workers != running.workers:
            changed.append(f"workers={workers!r} (it runs with {running.workers!r})")
        if token and not running.accepts_token(token):
            changed.append("a different token")
        if serverless and serverless != running.serverless:
            changed.append(f"serverless settings {serverless} (it runs with {running.serverless or 'none'})")
        if changed:
            raise Conflict(f"Endpoint {paths.name!r} is running; {', '.join(changed)} needs a new "
                           "process.", hint=f"stop({paths.name!r}) first.")

    def _start(self, paths: EndpointPaths, config: EndpointConfig, spec: Variant | list[Variant],
               port, token, timeout: float) -> Endpoint:
        specs = spec if isinstance(spec, list) else [spec]   # several: a multi-model endpoint
        if token:  # the secret itself, for checking boto3's SigV4 signatures; owner-only file
            paths.dir.mkdir(parents=True, exist_ok=True)
            paths.token.touch(mode=0o600)
            paths.token.chmod(0o600)
            paths.token.write_text(token)
            config.token_file = str(paths.token)
        config.variants = specs
        config.signatures = {s.name: s.signature for s in specs}
        config.generation, config.status = 1, "running"
        file = ConfigFile(paths.config)
        with file.locked():
            file.write(config)
        self.records.save(paths.name, status="starting", pid=None, port=None, url=None,
                          spec={"workers": config.workers, "capture": config.capture.percent,
                                "token": bool(token)}, state={})
        try:
            info = processes.launch(paths.config, self.environment, port, timeout)
        except DeployError as exc:
            self.records.save(paths.name, status="failed", state={"error": exc.message})
            self.audit.record("endpoint.deploy_failed", paths.name,
                              {"ref": ", ".join(s.ref for s in specs)[:2000], "error": exc.message[:2000]})
            raise
        record = self.records.save(paths.name, status="running", pid=info["pid"], port=info["port"],
                                   url=info["url"], state={"started_at": info["started_at"]})
        self.audit.record("endpoint.deploy", paths.name, {
            "ref": specs[0].ref if len(specs) == 1 else [s.ref for s in specs],
            "variant": specs[0].name if len(specs) == 1 else None,
            **({"multi_model": config.multi_model} if config.multi_model else {}),
            "url": info["url"], "workers": config.workers,
            "capture": config.capture.percent, "token": bool(token)})
        return self._describe(paths, record)

    def _await(self, paths: EndpointPaths, record: EndpointRecord, generation: int, timeout: float,
               revert_to: list[Variant] | None = None) -> None:
        """Wait until every worker serves ``generation``; if one refused it, serve ``revert_to``
        again and raise the worker's reason."""
        refusal = wait_for_generation(paths, generation, timeout, lambda: self._alive(paths, record))
        if refusal is None:
            return
        if revert_to is not None:
            with ConfigFile(paths.config).updating() as config:
                rollouts.revert_refused(config, revert_to, refusal)
        self.audit.record("endpoint.refused", paths.name, {"error": refusal})
        raise DeployError(f"Endpoint {paths.name!r} refused the change: {refusal}",
                          hint="No request reached the new version.")

    # -- watching a rollout ----------------------------------------------------------------------
    def watch(self, endpoint: str, timeout: float | None = None, on_update: Callable | None = None):
        """Follow the endpoint's rollout until it ends (or ``timeout`` s), each look handed to
        ``on_update`` (default: the view layer's live display); at once when none is baking.
        Returns the last ``RolloutWatch`` (``watch.py``)."""
        paths, record = self._existing(endpoint)
        return self._follow(paths, record, timeout, on_update)

    def _follow(self, paths: EndpointPaths, record: EndpointRecord, timeout: float | None, on_update):
        from ...displays import default_display
        from .watch import follow

        return follow(paths, on_update if on_update is not None else default_display(), timeout,
                      alive=lambda: self._alive(paths, record))

    # -- traffic and rollback ------------------------------------------------------------------
    def traffic(self, endpoint: str, weights: dict[str, float], timeout: float = 30.0) -> Endpoint:
        paths, record = self._running(endpoint, "change its traffic")
        multi_model_endpoints.refuse_variant_changes(paths, "take traffic weights")
        with ConfigFile(paths.config).updating() as config:
            rollouts.plan_traffic(config, weights)
        self._await(paths, record, config.generation, timeout)
        self.audit.record("endpoint.traffic", endpoint, {"weights": weights})
        return self._describe(paths, record)

    def rollback(self, endpoint: str, timeout: float = 30.0) -> Endpoint:
        paths, record = self._running(endpoint, "roll it back")
        multi_model_endpoints.refuse_variant_changes(paths, "be rolled back")
        with ConfigFile(paths.config).updating() as config:
            details = rollouts.plan_rollback(config)
        self._await(paths, record, config.generation, timeout)
        self.audit.record("endpoint.rollback", endpoint, {**details, "automatic": False})
        return self._describe(paths, record)

    # -- stop, describe, list -------------------------------------------------------------------
    def stop(self, endpoint: str, timeout: float = 30.0) -> None:
        """End every process of the endpoint (its process group, also when its supervisor is
        already dead: ``processes.stop_endpoint``). The row's state and the ``endpoint.stop`` audit
        entry list each pid and how it ended; ``describe`` shows that line as the status reason."""
        paths, record = self._existing(endpoint)
        stopped = processes.Stopped([], None)
        if record.pid:
            workers = (read_json(paths.server) or {}).get("worker_pids") or []
            stopped = processes.stop_endpoint(record.pid, paths.config, workers, timeout)
        ended = [e.to_dict() for e in stopped.ended]
        self.records.save(endpoint, status="stopped",
                          state={**record.state, "stopped_at": time.time(), "exit_status": stopped.exit_status,
                                 "ended": ended, "stop": stopped.summary()})
        self.audit.record("endpoint.stop", endpoint, {"pid": record.pid, "exit_status": stopped.exit_status,
                                                      "ended": ended})

    def describe(self, endpoint: str) -> Endpoint:
        return self._describe(*self._existing(endpoint))

    def _describe(self, paths: EndpointPaths, record: EndpointRecord) -> Endpoint:
        config = ConfigFile(paths.config).read()
        alive = self._alive(paths, record)
        ep = figures.describe(record, config, alive, figures.compiled_by_variant(paths) if alive else None,
                              figures.multi_model_figures(paths, config, alive))
        # read only when the endpoint is displayed (a handle's attributes call describe often)
        ep.history_source = lambda: self._history(paths, config, RECENT_SECONDS)
        return ep

    def history(self, endpoint: str, last: Any = None):
        """Requests, errors, req/s and p50/p99 per variant per interval, ``last`` (a duration)
        back, at most the hour the endpoint keeps."""
        from ...durations import duration_seconds

        paths, _ = self._existing(endpoint)
        seconds = None if last is None else duration_seconds(last, "last")
        return self._history(paths, ConfigFile(paths.config).read(), seconds)

    @staticmethod
    def _history(paths: EndpointPaths, config: EndpointConfig, last: float | None):
        from .history import endpoint_history

        return endpoint_history(paths, config, last)

    def endpoints(self, all: bool = False):  # noqa: A002 - the verb's documented keyword
        """The endpoints' listing; stopped ones only with ``all`` (they stay on record until
        deployed again, but are not what a person looks for)."""
        return figures.listing(self, self.records.all(), stopped=all)

    def metrics(self, endpoint: str) -> dict[str, Any]:
        """Per-variant totals and last-minute figures, merged over the workers."""
        paths, _ = self._existing(endpoint)
        return figures.variant_metrics(paths)

    def shadow_report(self, endpoint: str):
        paths, _ = self._existing(endpoint)
        return figures.shadow_report(paths, ConfigFile(paths.config).read())

    def logs(self, endpoint: str, lines: int = 200) -> str:
        paths, _ = self._existing(endpoint)
        return processes.log_tail(paths.log, lines)

    def events(self, endpoint: str) -> list[dict]:
        """The rollout controller's steps and rollbacks, oldest first."""
        return read_events(self.paths(endpoint))

    def captured(self, endpoint: str, since: Any = None, with_ground_truth: bool = False):
        """One row per captured input row; ``with_ground_truth``: only the rows labelled by
        ``ground_truth`` uploads, with their ``label`` (``ground_truth.merged``)."""
        from . import ground_truth
        from .captured import read_captured

        paths, _ = self._existing(endpoint)
        config = ConfigFile(paths.config).read()
        window = read_captured(config.capture.dir or paths.capture_dir, config.all_signatures(), since)
        if not with_ground_truth:
            return window
        return ground_truth.merged(window, ground_truth.read(ground_truth.directory(self.home, endpoint)))

    def ground_truth(self, endpoint: str, labels: Any) -> GroundTruthUpload:
        """Store ``labels`` (inference id -> label) as Model Monitor ground truth for ``endpoint``,
        and say how many name a captured request, which were given twice (the last kept) and
        which replace a label uploaded before."""
        from . import ground_truth

        paths, _ = self._existing(endpoint)
        given, repeated = ground_truth.checked_labels(labels)
        folder = ground_truth.directory(self.home, endpoint)
        earlier = ground_truth.read(folder)
        config = ConfigFile(paths.config).read()
        captured = ground_truth.captured_keys(config.capture.dir or paths.capture_dir)
        unmatched = [key for key in given if key not in captured]
        path = ground_truth.write(folder, given)
        upload = GroundTruthUpload(
            endpoint=endpoint, labels=len(given), matched=len(given) - len(unmatched),
            unmatched=len(unmatched), unmatched_ids=unmatched[:ground_truth.SHOWN_IDS],
            repeated=len(repeated), repeated_ids=repeated[:ground_truth.SHOWN_IDS],
            relabelled=sum(key in earlier for key in given), path=str(path))
        self.audit.record("endpoint.ground_truth", endpoint, {
            "labels": upload.labels, "matched": upload.matched, "unmatched": upload.unmatched,
            "repeated": upload.repeated, "relabelled": upload.relabelled,
            "file": str(path.relative_to(self.home))})
        return upload

    def batch(self, ref: Any, input: str, output: str, chunk_rows: int = 10_000,
              workers: int = 1, dask: str | None = None, progress: bool | None = None,
              join_input: bool = True, split: str | None = "Line", assemble: str | None = "Line",
              errors: str = "raise", job_id: str | None = None, resume: bool = False):
        """Score files with ``ref`` (hash-checked and smoke-tested like an endpoint variant)."""
        from ..inference.variant import LoadedVariant, silence_feature_name_warning
        from .batch import run_batch

        spec = self._variant(ref, None, self.paths("_batch"))
        silence_feature_name_warning()
        variant = LoadedVariant(spec).load()
        job = run_batch(variant, spec.ref, str(input), str(output), self.home, chunk_rows, workers,
                        dask, progress, join_input=join_input, split=split, assemble=assemble,
                        errors=errors, job_id=job_id, resume=resume)
        if not variant.compiled.startswith("no ("):
            job.engine += f", compiled: {variant.compiled}"  # a tree model's proven compiled form
        self.audit.record("batch", spec.ref, {
            "job": job.id, "input": job.input, "output": job.output, "rows": job.rows,
            "engine": job.engine})
        return job

    def batch_jobs(self):
        from . import batch_jobs

        return batch_jobs.listing(self.home)

    def endpoint(self, endpoint: str):
        from .handle import EndpointHandle

        self._existing(endpoint)
        return EndpointHandle(self, endpoint)

    # the test suite reads these two directly
    def _server_info(self, endpoint: str) -> dict:
        return read_json(self.paths(endpoint).server) or {}

    def _reports(self, endpoint: str) -> list[dict]:
        from ..contract import read_worker_reports

        return read_worker_reports(self.paths(endpoint))


def serverless_config(serverless: bool, idle, max_concurrency, provisioned) -> dict:
    """The deploy options of a serverless endpoint as the endpoint config keeps them (ranges as
    SageMaker's ``ServerlessConfig``: MaxConcurrency and ProvisionedConcurrency 1-200)."""
    if not serverless:
        given = [n for n, v in (("idle", idle), ("max_concurrency", max_concurrency),
                                ("provisioned", provisioned)) if v is not None]
        if given:
            raise InvalidInput(f"{', '.join(given)} apply to serverless endpoints: add serverless=True.")
        return {}
    settings: dict = {"idle": DEFAULT_IDLE_SECONDS if idle is None else float(idle)}
    if not settings["idle"] > 0:
        raise InvalidInput(f"idle is the seconds without traffic before the endpoint releases its "
                           f"memory; it must be positive, got {idle!r}.")
    for name, value in (("max_concurrency", max_concurrency), ("provisioned", provisioned)):
        if value is None:
            continue
        if int(value) != value or not (0 if name == "provisioned" else 1) <= int(value) <= 200:
            raise InvalidInput(f"{name} must be a whole number "
                               f"{0 if name == 'provisioned' else 1}-200, got {value!r}.")
        settings[name] = int(value)
    return settings


def async_inference_settings(concurrency, output, notify) -> dict:
    """The deploy options of asynchronous inference as the endpoint config keeps them."""
    settings: dict = {}
    if concurrency is not None:
        if not 1 <= int(concurrency) <= 1000:  # SageMaker's MaxConcurrentInvocationsPerInstance
            raise InvalidInput(f"async_concurrency must be 1-1000, got {concurrency!r}.")
        settings["concurrency"] = int(concurrency)
    if output:
        settings["output"] = str(output)
        settings["failure"] = str(output).rstrip("/") + "/failure"
    if notify:
        unknown = set(notify) - {"success", "error"}
        if unknown or not all(str(u).startswith(("http://", "https://")) for u in notify.values()):
            raise InvalidInput('async_notify takes {"success": URL, "error": URL} with http(s) '
                               f"URLs; got {notify!r}.")
        settings["notify"] = {k: str(v) for k, v in notify.items()}
    return settings
