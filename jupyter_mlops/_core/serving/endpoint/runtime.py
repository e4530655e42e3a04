"""The endpoint worker's live state: the applied config generation, loaded variants, the router,
metrics and capture; a thread that applies new config generations and one that writes the
worker's acknowledgement and metric snapshot.

A new generation is applied only when every variant it names is loaded, hash-verified and has
passed its smoke test; otherwise the worker keeps serving the old generation and reports the error
(the kernel waiting in deploy/traffic shows it and restores the previous config).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ...errors import UntrustedArtifact
from ..contract import ConfigFile, EndpointConfig, EndpointPaths, read_json
from ..inference.variant import LoadedVariant
from ..history import HISTORY_OPEN, History, settings as history_settings
from ..metrics import STEP_BASELINE, Metrics
from .capture import CaptureWriter
from .router import Router


@dataclass
class Live:
    """One applied generation; replaced as a whole (a single attribute swap) on change."""

    generation: int
    name: str
    variants: dict[str, LoadedVariant]
    router: Router
    token_secret: str | None
    max_payload_bytes: int
    request_timeout_s: float
    capture_fraction: float
    config: EndpointConfig = field(repr=False)
    #: a multi-model endpoint's models, loaded on first use (``variants`` is then empty)
    models: Any = None

    def by_model(self, model: str, version: str | None) -> list[LoadedVariant]:
        return [v for v in self.variants.values() if v.model_name == model
                and (version is None or str(v.version) == str(version))]


class Runtime:
    # a look at the config is one stat() (about 20 a second, nothing measurable); 0.2 s made every
    # traffic change or rollback wait 0.2 s on average for its acknowledgement
    def __init__(self, config_file: Path | str, worker: int = 0, poll_seconds: float = 0.05):
        self.config_file = ConfigFile(config_file)
        self.dir = self.config_file.path.parent
        self.worker = worker
        self.poll_seconds = poll_seconds
        self.history = History(*history_settings())
        self.metrics = Metrics(history=self.history)
        self.live: Live | None = None
        self.error: str | None = None
        self.error_generation: int | None = None
        self.capture: CaptureWriter | None = None
        self.step_baseline: dict | None = None   # metrics.STEP_BASELINE, for the controller
        self._loaded: dict[tuple, LoadedVariant] = {}
        self._mtime = None
        self._last_read = 0.0
        self._report_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.started_at = time.time()
        self.controller = None
        self.listening = False
        self.async_processor = None   # worker 0 only
        self._async_queue = None
        self.gate = None              # a serverless endpoint's (serverless.py)
        self.released = False         # it gave itself back for lack of traffic

    # -- lifecycle ------------------------------------------------------------------------
    def start(self, first_apply: bool = True) -> "Runtime":
        if first_apply:
            self.poll()
            if self.live is None:
                raise RuntimeError(self.error or "the endpoint config could not be applied")
        for target, name in ((self._watch, "mlops-config"), (self._report, "mlops-report")):
            t = threading.Thread(target=target, name=name, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self.gate is not None:
            self.gate.stop()
        if self.async_processor is not None:
            self.async_processor.stop()
        if self.controller is not None:
            self.controller.stop()
        if self.capture is not None:
            self.capture.close()
        self.write_report(final=True)

    # -- asynchronous inference -------------------------------------------------------------
    @property
    def async_queue(self):
        if self._async_queue is None:
            from ..async_inference.queue import AsyncQueue

            self._async_queue = AsyncQueue(self.dir / "async")
        return self._async_queue

    def start_async(self) -> None:
        """Worker 0 works through the queue (requests any worker accepted, and those a killed
        process left behind), ``async_inference["concurrency"]`` at a time."""
        from ..async_inference.processor import Processor, settings_of

        concurrency = settings_of(self.live.config).get("concurrency") or 1
        self.async_processor = Processor(self, self.async_queue, concurrency).start()

    def wake_async(self) -> None:
        if self.async_processor is not None:
            self.async_processor.wake()

    def async_metrics_text(self) -> str:
        depth = self.async_queue.depth()
        name = (self.live.name if self.live else self.dir.name).replace("\\", "\\\\").replace('"', '\\"')
        return ("# HELP mlops_async_queue_depth Asynchronous requests waiting or running.\n"
                "# TYPE mlops_async_queue_depth gauge\n"
                f'mlops_async_queue_depth{{endpoint="{name}",state="pending"}} {depth["pending"]}\n'
                f'mlops_async_queue_depth{{endpoint="{name}",state="running"}} {depth["running"]}\n')

    # -- applying configs --------------------------------------------------------------------
    def poll(self) -> bool:
        try:
            st = self.config_file.path.stat()
        except FileNotFoundError:
            return False
        # the file is replaced, not edited: a new inode or size shows a change even when two
        # writes fall in the same mtime tick; a re-read every second covers the rest
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if key == self._mtime and time.monotonic() - self._last_read < 1.0:
            return False
        self._mtime = key
        self._last_read = time.monotonic()
        try:
            config = self.config_file.read()
        except UntrustedArtifact as exc:  # edited by hand or by someone else: never applied
            self._refuse_unsigned(exc)
            return True
        generation = config.generation
        if self.live is not None and generation <= self.live.generation:
            return False
        if self.error_generation == generation:
            return False
        try:
            live = self._build(config)
            self._note_step(config)
            self.live = live
            self.error, self.error_generation = None, None
            import gc

            gc.freeze()  # newly loaded models are long-lived too (see server.py)
        except Exception as exc:  # refused: keep serving the previous generation
            self.error = f"{type(exc).__name__}: {getattr(exc, 'message', None) or exc}"
            self.error_generation = generation
        self.write_report()
        return True

    def _refuse_unsigned(self, exc: UntrustedArtifact) -> None:
        """Keep serving the applied generation; say why in the log and in the worker's report
        (with the generation the file claims, so a kernel waiting for it learns at once)."""
        claimed = (read_json(self.config_file.path) or {}).get("generation")
        if self.error_generation != claimed or self.error != exc.message:
            print(f"endpoint worker {self.worker}: refused config generation {claimed}: {exc}", flush=True)
        self.error, self.error_generation = exc.message, claimed
        self.write_report()

    def _build(self, config: EndpointConfig) -> Live:
        if config.multi_model:
            return self._build_multi_model(config)
        variants: dict[str, LoadedVariant] = {}
        for spec in config.variants:
            key = (spec.sha256, spec.artifact_path, spec.name)
            loaded = self._loaded.get(key)
            if loaded is None:
                loaded = LoadedVariant(spec).load()
            else:
                loaded.spec = spec
            variants[spec.name] = loaded
        self._loaded = {(v.spec.sha256, v.spec.artifact_path, n): v for n, v in variants.items()}
        fraction = self._capture_fraction(config)
        return Live(generation=config.generation, name=config.name, variants=variants,
                    router=Router(config.production_weights(), config.shadow_fractions()),
                    token_secret=_read_secret(config.token_file),
                    max_payload_bytes=int(config.max_payload_bytes),
                    request_timeout_s=float(config.request_timeout_s),
                    capture_fraction=fraction, config=config)

    def _capture_fraction(self, config: EndpointConfig) -> float:
        """The share of requests captured; the writer starts with the first config that asks."""
        fraction = float(config.capture.percent) / 100.0
        if fraction > 0 and self.capture is None:
            self.capture = CaptureWriter(config.capture.dir or self.dir / "capture",
                                         self.worker).start()
        return fraction

    def _build_multi_model(self, config: EndpointConfig) -> Live:
        """One model loaded up front, the others by the cache on their first request. A new
        generation with the same models and limits keeps the cache (and what it has loaded)."""
        from .model_cache import ModelCache

        settings = config.multi_model
        previous = self.live.models if self.live is not None else None
        same = previous is not None and previous.same_deployment(config.variants, settings)
        models = previous if same else ModelCache(
            config.variants, settings.get("max_models"), settings.get("max_memory_mb"), config.name)
        if not same and config.variants:
            # the first model loads now: a deploy of models that cannot load fails at once, and
            # the process's first request does not pay for importing the model classes (~1 s)
            models.load(config.variants[0].ref)
        return Live(generation=config.generation, name=config.name, variants={},
                    router=Router({}, {}), token_secret=_read_secret(config.token_file),
                    max_payload_bytes=int(config.max_payload_bytes),
                    request_timeout_s=float(config.request_timeout_s),
                    capture_fraction=self._capture_fraction(config), config=config, models=models)

    def _note_step(self, config: EndpointConfig) -> None:
        """Counters at the moment this worker starts serving a new rollout step: the rollout
        controller subtracts them, so the step's bake counts every request it routed (taken just
        before the swap, so no request of the new step falls into the baseline)."""
        rollout = config.baking
        step = [rollout.id, rollout.step] if rollout is not None else None
        if step is not None and (self.step_baseline or {}).get("step") != step:
            self.step_baseline = {"step": step, "generation": config.generation,
                                  "variants": self.metrics.counters()}

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.poll()
            except Exception as exc:  # a half-edited file by hand: report, keep serving
                self.error = f"{type(exc).__name__}: {exc}"
                self.write_report()

    # -- reporting -------------------------------------------------------------------------
    @property
    def paths(self) -> EndpointPaths:
        return EndpointPaths(self.dir.parent.parent, self.dir.name)

    def report_path(self) -> Path:
        return self.paths.worker_report(self.worker)

    def write_report(self, final: bool = False) -> None:
        with self._report_lock:  # the watcher and the reporter thread both write it
            snapshot = self.metrics.snapshot()
            # ended intervals go to the history file first, then the report carries the rest:
            # a reader (report first, then file) never misses an interval
            ended = self.history.everything() if final else self.history.take_ended(snapshot["t"])
            if ended is not None:
                _write(self.paths.worker_history(self.worker), {
                    "index": self.worker, "pid": os.getpid(), **self.history.settings(), "buckets": ended})
            self._write_report(snapshot)

    def _write_report(self, snapshot: dict[str, Any]) -> None:
        report = {"pid": os.getpid(), "index": self.worker, "started_at": self.started_at,
                  "listening": self.listening,
                  "generation": self.live.generation if self.live else None,
                  "error": self.error, "error_generation": self.error_generation,
                  "loaded": sorted(self.live.variants) if self.live else [],
                  "use_array": {n: v.use_array for n, v in (self.live.variants.items()
                                                            if self.live else [])},
                  "linear_fast_path": {n: v.fast is not None for n, v in (
                      self.live.variants.items() if self.live else [])},
                  "compiled": {n: v.compiled for n, v in (
                      self.live.variants.items() if self.live else [])},
                  "capture_written": self.capture.written if self.capture else 0,
                  "released": self.released,
                  "throttled": self.gate.throttled if self.gate is not None else 0,
                  "async_queue": self.async_queue.depth() if self.worker == 0 else None,
                  "accepts_missing": {n: v.schema.allow_missing for n, v in (
                      self.live.variants.items() if self.live else [])},
                  STEP_BASELINE: self.step_baseline,
                  "multi_model": self.live.models.stats() if self.live and self.live.models else None,
                  **self.process_stats(), **snapshot,
                  "history": self.history.settings(), HISTORY_OPEN: self.history.pending()}
        _write(self.report_path(), report)

    @staticmethod
    def process_stats() -> dict[str, Any]:
        try:
            import psutil

            p = psutil.Process()
            cpu = p.cpu_times()
            return {"cpu_seconds": cpu.user + cpu.system, "rss_bytes": p.memory_info().rss}
        except Exception:
            return {}

    def _report(self) -> None:
        while not self._stop.wait(0.5):
            try:
                self.write_report()
            except Exception:
                pass

    def history_rows(self, last: float | None = None) -> dict[str, Any]:
        """The endpoint's request history merged over its workers (``GET /metrics/history``):
        this worker's intervals from memory, the others' from their files."""
        from ..contract import read_history
        from ..history import rows, shared

        snapshot = self.metrics.snapshot()  # what came in since the reporter's last look
        reports, files = read_history(self.paths)
        mine = {"index": self.worker, HISTORY_OPEN: self.history.everything(), "history": self.history.settings()}
        merged, resolution = shared([r for r in reports if r.get("index") != self.worker] + [mine],
                                    [f for f in files if f.get("index") != self.worker])
        since = snapshot["t"] - last if last is not None else None
        return {"endpoint": self.live.name if self.live else self.dir.name, "t": snapshot["t"],
                **self.history.settings(), "resolution": resolution, "rows": rows(merged, resolution, since)}

    def all_reports(self) -> list[dict[str, Any]]:
        """This worker's live report plus the other workers' latest files."""
        reports = []
        folder = self.paths.workers
        for path in sorted(folder.glob("*.json")) if folder.exists() else []:
            if path.name != f"{self.worker}.json":
                report = read_json(path)
                if report is not None:
                    reports.append(report)
        reports.append({"index": self.worker, "pid": os.getpid(), **self.process_stats(),
                        STEP_BASELINE: self.step_baseline, **self.metrics.snapshot()})
        return reports


def _write(path: Path, document: dict[str, Any]) -> None:
    """Replace ``path`` atomically: readers in other processes never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(orjson.dumps(document))
    os.replace(tmp, path)


def _read_secret(path: str | None) -> str | None:
    if not path:
        return None
    try:
        return Path(path).read_text().strip() or None
    except OSError:
        return None
