"""Multi-model endpoints: many registered versions behind one endpoint, loaded on first use.

The endpoint's config lists every version it may serve (``deploy([refs], multi_model=True)``),
each a ``Variant`` spec like any other, with ``multi_model = {"max_models": K,
"max_memory_mb": M}``. Nothing is loaded at start: the first request naming a model
(``TargetModel: churn:3``, or the container API's ``POST /models`` / ``/models/{name}/invoke``)
loads it through ``LoadedVariant.load`` (the same hash check and smoke test as every endpoint
variant), and the least recently used model is evicted once more than K are loaded or their
estimated memory passes the budget (as SageMaker's multi-model endpoints do under memory
pressure). A model's memory is estimated by the size of its artifact: an unpickled scikit-learn
model takes about the bytes it was saved in, and measuring RSS per load is too noisy to evict by.

Each worker process keeps its own cache (the container API acts on the worker that answers).
Loads are serialised by one lock (two requests for the same cold model load it once); a warm hit
takes the lock only to move the model to the recent end.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ...errors import InvalidRequest, ModelAlreadyLoaded, ModelNotLoaded, ModelOverMemoryBudget
from ..contract import Variant
from ..inference.variant import LoadedVariant

LATENCY_KEPT = 1000   # the last cold and warm latencies kept for the percentiles


class ModelCache:
    def __init__(self, specs: list[Variant], max_models: int | None = None,
                 max_memory_mb: float | None = None, endpoint: str = "endpoint"):
        self.endpoint = endpoint
        self.specs: dict[str, Variant] = {}
        self._aliases: dict[str, str] = {}
        for spec in specs:
            self.specs[spec.ref] = spec
            for alias in (spec.name, f"{spec.model}/{spec.version}", f"{spec.model}-{spec.version}"):
                self._aliases.setdefault(alias, spec.ref)
        self.max_models = int(max_models) if max_models else None
        self.max_bytes = float(max_memory_mb) * 1024 * 1024 if max_memory_mb else None
        self.loaded: OrderedDict[str, LoadedVariant] = OrderedDict()   # least recent first
        self.sizes: dict[str, int] = {}
        self.loads = self.evictions = self.hits = self.misses = self.unloads = 0
        self.cold_seconds: list[float] = []
        self.warm_seconds: list[float] = []
        self._lock = threading.Lock()
        self._loading: dict[str, _Loading] = {}   # ref -> the load under way

    def same_deployment(self, specs: list[Variant], settings: dict) -> bool:
        return ([(s.ref, s.sha256) for s in specs] == [(s.ref, s.sha256) for s in self.specs.values()]
                and (int(settings.get("max_models") or 0) or None) == self.max_models
                and (settings.get("max_memory_mb") or None) == (
                    self.max_bytes / 1024 / 1024 if self.max_bytes else None))

    def is_loaded(self, name: str) -> bool:
        """Whether a request naming ``name`` can be answered without loading (on the event
        loop); a name that does not resolve as it stands is routed in a thread."""
        try:
            return self.resolve(name) in self.loaded
        except InvalidRequest:
            return False

    # -- naming --------------------------------------------------------------------------------
    def resolve(self, name: str) -> str:
        """The deployed ref a TargetModel or container model name means (ref, variant name,
        ``model/version``); ``InvalidRequest`` naming it and the deployed ones otherwise."""
        name = name.strip().removesuffix(".tar.gz")
        if name in self.specs:
            return name
        if name in self._aliases:
            return self._aliases[name]
        shown = ", ".join(list(self.specs)[:10]) + (", …" if len(self.specs) > 10 else "")
        raise InvalidRequest(f"TargetModel {name!r} is not one of the {len(self.specs)} models "
                             f"deployed on multi-model endpoint {self.endpoint!r} ({shown}).")

    # -- loading and eviction ----------------------------------------------------------------------
    def get(self, name: str) -> tuple[LoadedVariant, bool]:
        """The loaded model (loading it, evicting others, when needed) and whether it was cold."""
        ref = self.resolve(name)
        with self._lock:
            variant = self.loaded.get(ref)
            if variant is not None:
                self.loaded.move_to_end(ref)
                self.hits += 1
                return variant, False
            self.misses += 1
        return self._load(ref), True

    def load(self, name: str) -> LoadedVariant:
        """The container API's ``POST /models``: 409 when already loaded."""
        ref = self.resolve(name)
        with self._lock:
            if ref in self.loaded:
                raise ModelAlreadyLoaded(f"Model {ref!r} is already loaded.")
        return self._load(ref)

    def loaded_refs(self) -> list[str]:
        with self._lock:
            return list(self.loaded)

    def unload(self, name: str) -> None:
        ref = self.resolve(name)
        with self._lock:
            if self.loaded.pop(ref, None) is None:
                raise ModelNotLoaded(f"Model {ref!r} is not loaded.")
            self.sizes.pop(ref, None)
            self.unloads += 1

    def describe(self, name: str) -> dict[str, Any]:
        ref = self.resolve(name)
        if ref not in self.loaded:
            raise ModelNotLoaded(f"Model {ref!r} is not loaded.")
        return self.entry(ref)

    def entry(self, ref: str) -> dict[str, Any]:
        spec = self.specs[ref]
        return {"modelName": ref, "modelUrl": spec.artifact_path, "variant": spec.name,
                "sizeBytes": self.sizes.get(ref)}

    def entry_size(self, ref: str) -> int:
        """The memory a model is counted for: the size of the file it loads from."""
        return _size(self.specs[ref])

    def _load(self, ref: str) -> LoadedVariant:
        """Loads outside the lock, so a warm request never waits for a cold one; a second
        request for a model being loaded waits for that load instead of loading it again."""
        size = self.entry_size(ref)
        if self.max_bytes is not None and size > self.max_bytes:
            raise ModelOverMemoryBudget(f"Model {ref!r} ({size / 1024 / 1024:.1f} MB) does not fit the "
                                        f"endpoint's memory budget of {self.max_bytes / 1024 / 1024:g} MB.")
        with self._lock:
            loading = self._loading.get(ref)
            mine = loading is None
            if mine:
                loading = self._loading[ref] = _Loading()
        if not mine:
            return loading.result()
        try:
            variant = LoadedVariant(self.specs[ref]).load()   # hash-verified and smoke-tested
        except BaseException as exc:
            with self._lock:
                self._loading.pop(ref, None)
            loading.finish(None, exc)
            raise
        with self._lock:
            self.loaded[ref] = variant
            self.loaded.move_to_end(ref)
            self.sizes[ref] = size
            self.loads += 1
            self._evict(keep=ref)
            self._loading.pop(ref, None)
        loading.finish(variant, None)
        return variant

    def _evict(self, keep: str) -> None:
        while len(self.loaded) > 1 and (
                (self.max_models is not None and len(self.loaded) > self.max_models)
                or (self.max_bytes is not None and sum(self.sizes.values()) > self.max_bytes)):
            oldest = next(iter(self.loaded))
            if oldest == keep:
                break
            del self.loaded[oldest]
            self.sizes.pop(oldest, None)
            self.evictions += 1

    # -- figures ---------------------------------------------------------------------------------
    def observe(self, seconds: float, cold: bool) -> None:
        kept = self.cold_seconds if cold else self.warm_seconds
        kept.append(seconds)
        if len(kept) > LATENCY_KEPT:
            del kept[:len(kept) - LATENCY_KEPT]

    def stats(self) -> dict[str, Any]:
        with self._lock:   # the reporter thread reads while requests load and evict
            loaded, memory = list(self.loaded), sum(self.sizes.values())
        return {"deployed": len(self.specs), "loaded": loaded,
                "max_models": self.max_models,
                "max_memory_mb": self.max_bytes / 1024 / 1024 if self.max_bytes else None,
                "memory_bytes": memory, "loads": self.loads,
                "evictions": self.evictions, "unloads": self.unloads, "hits": self.hits,
                "misses": self.misses,
                "cold_p50_ms": _ms(self.cold_seconds, 0.5), "cold_p99_ms": _ms(self.cold_seconds, 0.99),
                "warm_p50_ms": _ms(self.warm_seconds, 0.5), "warm_p99_ms": _ms(self.warm_seconds, 0.99)}

    def prometheus(self) -> str:
        s = self.stats()
        name = self.endpoint.replace("\\", "\\\\").replace('"', '\\"')
        lines = []
        for metric, kind, help_text, value in (
                ("mlops_multi_model_loaded", "gauge", "Models loaded now.", len(s["loaded"])),
                ("mlops_multi_model_memory_bytes", "gauge", "Estimated memory of the loaded models.",
                 s["memory_bytes"]),
                ("mlops_multi_model_loads_total", "counter", "Models loaded on first use.", s["loads"]),
                ("mlops_multi_model_evictions_total", "counter", "Least recently used models evicted.",
                 s["evictions"]),
                ("mlops_multi_model_unloads_total", "counter", "Models unloaded by DELETE /models.",
                 s["unloads"])):
            lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} {kind}",
                      f'{metric}{{endpoint="{name}"}} {value}']
        lines += ["# HELP mlops_multi_model_latency_ms Request latency, cold (the model loaded "
                  "first) or warm.", "# TYPE mlops_multi_model_latency_ms gauge"]
        for state in ("cold", "warm"):
            for q in ("p50", "p99"):
                value = s[f"{state}_{q}_ms"]
                if value is not None:
                    lines.append(f'mlops_multi_model_latency_ms{{endpoint="{name}",state="{state}",'
                                 f'quantile="{q}"}} {value:.3f}')
        return "\n".join(lines) + "\n"


class _Loading:
    """One model's load under way, awaited by the requests that arrive meanwhile."""

    def __init__(self):
        self._done = threading.Event()
        self._variant: LoadedVariant | None = None
        self._error: BaseException | None = None

    def finish(self, variant: LoadedVariant | None, error: BaseException | None) -> None:
        self._variant, self._error = variant, error
        self._done.set()

    def result(self) -> LoadedVariant:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._variant


def _size(spec: Variant) -> int:
    try:
        return Path(spec.companion_path or spec.artifact_path).stat().st_size
    except OSError:
        return 0


def _ms(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000
