"""Deploying a multi-model endpoint: ``deploy([refs], endpoint, multi_model=True, max_models=K,
max_memory_mb=M)``. Every ref becomes a variant spec in the endpoint's config (artifact path and
sha256 from the registry, as for any deploy) and the endpoint loads each on its first request
(``endpoint/model_cache.py``). Deploying again to a running multi-model endpoint replaces its set
of models and limits (a new config generation, acknowledged by every worker)."""

from __future__ import annotations

from typing import Any

from ...errors import Conflict, InvalidInput
from ..contract import ConfigFile, Variant


def settings(max_models: Any, max_memory_mb: Any) -> dict:
    out: dict = {"max_models": None, "max_memory_mb": None}
    if max_models is not None:
        if int(max_models) < 1:
            raise InvalidInput(f"max_models must be at least 1, got {max_models!r}.")
        out["max_models"] = int(max_models)
    if max_memory_mb is not None:
        if float(max_memory_mb) <= 0:
            raise InvalidInput(f"max_memory_mb must be positive, got {max_memory_mb!r}.")
        out["max_memory_mb"] = float(max_memory_mb)
    return out


def refs_of(refs: Any) -> list:
    """The refs a multi-model deploy serves: a list (or one ref), each at most once."""
    items = list(refs) if isinstance(refs, (list, tuple, set)) else [refs]
    if not items:
        raise InvalidInput("A multi-model deploy needs at least one model version: "
                           "deploy(['churn:3', 'churn:4'], endpoint, multi_model=True).")
    return items


def specs_for(serving, refs: list, paths) -> list[Variant]:
    specs, seen = [], set()
    for ref in refs:
        spec = serving._variant(ref, None, paths)
        if spec.ref in seen:
            raise InvalidInput(f"{spec.ref} is listed twice in the multi-model deploy.")
        seen.add(spec.ref)
        specs.append(spec)
    return specs


def replace_models(paths, specs: list[Variant], limits: dict) -> int:
    """A running multi-model endpoint's new set of models; the new config generation."""
    with ConfigFile(paths.config).updating() as config:
        if not config.multi_model:
            raise Conflict(f"Endpoint {paths.name!r} runs as a single-model endpoint; a multi-model "
                           "deploy needs a new process.", hint=f"stop({paths.name!r}) first.")
        config.variants = specs
        config.multi_model = limits
        for spec in specs:
            config.signatures[spec.name] = spec.signature
        config.status_reason = f"multi-model: {len(specs)} models"
    return config.generation


def refuse_variant_changes(paths, to: str) -> None:
    """Weights, rollouts and rollbacks mean nothing on a multi-model endpoint (the caller picks
    the model): refused before anything is written."""
    if ConfigFile(paths.config).read().multi_model:
        raise Conflict(f"Endpoint {paths.name!r} is a multi-model endpoint: the caller picks the model "
                       f"(TargetModel), so it cannot {to}.",
                       hint=f"deploy([refs], {paths.name!r}, multi_model=True) changes its models.")
