"""What deploy, traffic and rollback do to a running endpoint's config: pure functions of the
config, so the kernel applies them under the config lock and the endpoint's workers and rollout
controller take it from there. Strategies: ``ab`` (add at a percentage), ``canary`` (percent, then
100%), ``linear`` (steps), ``blue_green`` or none (all at once), ``shadow`` (copies only).

Each returns the details its audit entry records.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from ...errors import Conflict, InvalidInput
from ..contract import EndpointConfig, Role, Rollout, RolloutStatus, Variant, weights_for_step

STRATEGIES = (None, "ab", "canary", "linear", "blue_green", "shadow")
GUARDRAILS = ("max_error_rate", "max_p99_ms", "min_requests")
DEFAULT_BAKE = 60.0


def strategy_of(strategy: Any) -> str | None:
    strategy = strategy.replace("-", "_") if isinstance(strategy, str) else strategy
    if strategy not in STRATEGIES:
        raise InvalidInput(f"Unknown rollout strategy {strategy!r}.",
                           hint="Use one of: ab, canary, linear, blue_green, shadow.")
    return strategy


def checked_guardrails(guardrails: dict | None) -> dict:
    guardrails = dict(guardrails or {})
    unknown = set(guardrails) - set(GUARDRAILS)
    if unknown:
        raise InvalidInput(f"Unknown guardrail(s) {sorted(unknown)}.",
                           hint=f"Guardrails: {', '.join(sorted(GUARDRAILS))}.")
    for k, v in guardrails.items():
        if v is not None and (not isinstance(v, (int, float)) or v < 0):
            raise InvalidInput(f"Guardrail {k} must be a number >= 0, got {v!r}.")
    return {k: v for k, v in guardrails.items() if v is not None}


def percent_of(value: Any, strategy: str) -> float:
    if value is None:
        raise InvalidInput(f"A {strategy} rollout needs percent=… (the share of traffic for the "
                           "new version, 0-100).")
    try:
        pct = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"percent must be a number, got {value!r}.") from None
    if not 0 < pct <= 100:
        raise InvalidInput(f"percent must be in (0, 100], got {pct:g}.")
    return pct


def steps_for(strategy: str | None, percent: Any) -> list[float]:
    if strategy == "canary":
        return [percent_of(percent, "canary"), 100.0]
    if strategy == "linear":
        step = percent_of(percent, "linear")
        steps = [min(100.0, step * k) for k in range(1, int(100 // step) + 1)]
        return steps if steps[-1] >= 100 else steps + [100.0]
    return [100.0]  # blue_green, or a plain redeploy: all at once


def plan_deploy(config: EndpointConfig, spec: Variant, strategy: str | None, percent: Any,
                bake: Any, guardrails: dict, capture: float) -> tuple[dict, list[Variant]]:
    """Add ``spec`` to ``config`` as ``strategy`` says; returns the audit details and the
    variants before (to serve again if a worker refuses the change)."""
    new = spec.name
    existing = config.variant(new)
    if existing is not None:
        if existing.weight > 0 or existing.is_shadow:
            raise Conflict(f"Variant {new!r} is already on endpoint {config.name!r}.",
                           hint="Use traffic() to change its weight, or pass variant='another-name'.")
        config.variants = [v for v in config.variants if v.name != new]
    if config.baking is not None:
        raise Conflict(f"Endpoint {config.name!r} is in the middle of a {config.rollout.strategy} "
                       f"rollout of {config.rollout.variant}.", hint="Wait for it, or rollback() first.")
    config.push_history(f"deploy {spec.ref} ({strategy or 'replace'})")
    # captured rows of a variant are read back with its signature, even once it is gone
    config.signatures[new] = spec.signature
    before = [v.copy() for v in config.variants]
    previous = config.production_weights()
    if capture:
        config.capture.percent = float(capture)
    details: dict[str, Any] = {"ref": spec.ref, "variant": new, "strategy": strategy or "replace"}
    if strategy == "shadow":
        spec.role, spec.weight = Role.SHADOW, 0.0
        spec.shadow_percent = float(100 if percent is None else percent)
        config.variants.append(spec)
        config.status_reason = f"{new} shadows {spec.shadow_percent:g}% of requests"
        details["percent"] = spec.shadow_percent
        return details, before
    spec.weight = 0.0
    config.variants.append(spec)
    if strategy == "ab":
        pct = percent_of(percent, "ab")
        config.apply_weights(weights_for_step(previous, new, pct))
        config.status_reason = f"A/B test: {new} takes {pct:g}% of traffic"
        details["percent"] = pct
        return details, before
    steps = steps_for(strategy, percent)
    bake_s = float(bake if bake is not None else (0 if strategy in (None, "blue_green") else DEFAULT_BAKE))
    config.apply_weights(weights_for_step(previous, new, steps[0]))
    now = time.time()
    rollout = Rollout(id=uuid.uuid4().hex[:12], strategy=strategy or "blue_green", variant=new,
                      steps=steps, status=RolloutStatus.BAKING, started_at=now, bake=bake_s,
                      guardrails=guardrails, step_started_at=now, previous_variants=before,
                      previous_weights=previous)
    config.rollout = rollout
    if steps == [100.0] and bake_s == 0:
        config.keep_only(new)
        rollout.status, rollout.finished_at, rollout.step_started_at = RolloutStatus.COMPLETED, now, None
        config.status_reason = f"{new} takes all traffic"
    else:
        config.status_reason = f"{rollout.strategy}: {new} at {steps[0]:g}%, baking {bake_s:g} s"
    details.update(steps=steps, bake=bake_s, guardrails=guardrails)
    return details, before


def plan_traffic(config: EndpointConfig, weights: dict[str, float]) -> None:
    """Set production weights by hand; a rollout still baking is superseded."""
    if not isinstance(weights, dict) or not weights:
        raise InvalidInput("traffic() takes a dict {variant: weight}, e.g. "
                           "{'churn-v3': 50, 'churn-v4': 50}.")
    for name, w in weights.items():
        variant = config.variant(name)
        if variant is None:
            raise InvalidInput(f"Endpoint {config.name!r} has no variant {name!r}.",
                               hint=f"Variants: {', '.join(v.name for v in config.variants)}.")
        if not isinstance(w, (int, float)) or w < 0:
            raise InvalidInput(f"The weight of {name!r} must be a number >= 0, got {w!r}.")
        if variant.is_shadow:
            raise InvalidInput(f"{name!r} is a shadow variant; it takes no traffic.")
    merged = {**config.production_weights(), **{k: float(v) for k, v in weights.items()}}
    if sum(merged.values()) <= 0:
        raise InvalidInput("At least one variant needs a positive weight.")
    config.push_history("traffic")
    config.apply_weights(weights)
    if config.baking is not None:
        config.rollout.status, config.rollout.finished_at = RolloutStatus.SUPERSEDED, time.time()
    total = sum(merged.values())
    config.status_reason = "traffic: " + ", ".join(f"{k} {100 * v / total:.0f}%" for k, v in merged.items())


def plan_rollback(config: EndpointConfig) -> dict:
    """Abort the rollout that bakes, else restore the variants before the last change."""
    rollout = config.rollout
    if config.baking is not None:
        config.finish_rollback("rolled back by hand")
        return {"variant": rollout.variant, "during": rollout.strategy}
    if not config.history:
        raise Conflict(f"Endpoint {config.name!r} has nothing to roll back to: it has served one "
                       "configuration only.")
    entry = config.history.pop()
    current = [v.name for v in config.variants]
    config.variants = entry.variants
    config.status_reason = f"rolled back to before: {entry.reason}"
    if rollout is not None:
        rollout.status = RolloutStatus.ROLLED_BACK
    return {"undid": entry.reason, "from": current, "to": [v.name for v in entry.variants]}


def revert_refused(config: EndpointConfig, variants: list[Variant], reason: str) -> None:
    """A worker could not load the change: serve ``variants`` again, as before it."""
    config.variants = variants
    if config.history:
        config.history.pop()
    if config.baking is not None:
        config.rollout.status = RolloutStatus.REFUSED
    config.status_reason = f"refused: {reason}"
