"""What a deploy onto a running endpoint does to its config: a pure function of the config, so
the kernel applies it under the config lock and the endpoint's workers and controller take it from
there. Strategies: ``ab`` (add at a percentage), ``canary`` (percent, then 100%), ``linear`` (steps),
``blue_green`` or none (all at once), ``shadow`` (copies only)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from ..errors import InvalidInput
from .config import production_weights, push_history
from .controller import apply_weights, weights_for_step

DEFAULT_BAKE = 60.0


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


def plan_deploy(config: dict, endpoint: str, spec: dict, strategy: str | None, percent: Any,
                bake: Any, guardrails: dict, capture: float) -> tuple[dict, list]:
    """Change ``config`` in place; returns the audit details and the variants before."""
    new = spec["name"]
    names = [v["name"] for v in config["variants"]]
    if new in names:
        existing = next(v for v in config["variants"] if v["name"] == new)
        if existing.get("weight", 0) > 0 or existing.get("role") == "shadow":
            raise InvalidInput(f"Variant {new!r} is already on endpoint {endpoint!r}.",
                               hint="Use traffic() to change its weight, or pass "
                                    "variant='another-name'.")
        config["variants"] = [v for v in config["variants"] if v["name"] != new]
    rollout = config.get("rollout")
    if rollout and rollout.get("status") == "baking":
        raise InvalidInput(f"Endpoint {endpoint!r} is in the middle of a "
                           f"{rollout['strategy']} rollout of {rollout['variant']}.",
                           hint="Wait for it, or rollback() first.")
    push_history(config, f"deploy {spec['ref']} ({strategy or 'replace'})")
    # captured rows of a variant are read back with its signature, even once it is gone
    config.setdefault("signatures", {})[new] = spec.get("signature")
    previous_variants = json.loads(json.dumps(config["variants"]))
    previous = production_weights(config)
    if capture:
        config["capture"]["percent"] = float(capture)
    details = {"ref": spec["ref"], "variant": new, "strategy": strategy or "replace"}
    if strategy == "shadow":
        spec.update(role="shadow", weight=0.0,
                    shadow_percent=float(100 if percent is None else percent))
        config["variants"].append(spec)
        config["status_reason"] = f"{new} shadows {spec['shadow_percent']:g}% of requests"
        details["percent"] = spec["shadow_percent"]
    elif strategy == "ab":
        pct = percent_of(percent, "ab")
        spec["weight"] = 0.0
        config["variants"].append(spec)
        apply_weights(config, weights_for_step(previous, new, pct))
        config["status_reason"] = f"A/B test: {new} takes {pct:g}% of traffic"
        details["percent"] = pct
    else:
        steps = steps_for(strategy, percent)
        bake_s = float(bake if bake is not None else
                       (0 if strategy in (None, "blue_green") else DEFAULT_BAKE))
        spec["weight"] = 0.0
        config["variants"].append(spec)
        apply_weights(config, weights_for_step(previous, new, steps[0]))
        if steps == [100.0] and bake_s == 0:
            config["variants"] = [v for v in config["variants"]
                                  if v["name"] == new or v.get("role") == "shadow"]
            config["rollout"] = {"id": uuid.uuid4().hex[:12], "strategy": strategy or
                                 "blue_green", "variant": new, "steps": steps, "step": 0,
                                 "status": "completed", "started_at": time.time(),
                                 "finished_at": time.time(), "bake": 0,
                                 "previous_variants": previous_variants,
                                 "previous_weights": previous, "guardrails": guardrails}
            config["status_reason"] = f"{new} takes all traffic"
        else:
            config["rollout"] = {
                "id": uuid.uuid4().hex[:12], "strategy": strategy or "blue_green",
                "variant": new, "steps": steps, "step": 0, "bake": bake_s,
                "guardrails": guardrails, "status": "baking", "started_at": time.time(),
                "step_started_at": time.time(), "previous_variants": previous_variants,
                "previous_weights": previous}
            config["status_reason"] = (f"{strategy or 'blue_green'}: {new} at "
                                       f"{steps[0]:g}%, baking {bake_s:g} s")
        details.update(steps=steps, bake=bake_s, guardrails=guardrails)
    return details, previous_variants
