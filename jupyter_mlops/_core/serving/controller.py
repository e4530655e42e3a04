"""The rollout controller: runs inside the endpoint (worker 0), driven by ``config["rollout"]``,
so canary, linear and blue/green bakes and their guardrails go on after the notebook cell returns
and even after the kernel is gone.

Each step gives the new variant a share of traffic, then bakes. During the bake the new variant's
error rate and p99 (over the requests since the step began, merged across workers) are checked
twice a second; a breach rolls every request back to the previous variants at once, and the reason
goes into the config's status, the endpoint's event log and the workspace audit log.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import orjson

from .config import read_config, updating
from .metrics import delta, merge, percentile

DEFAULT_MIN_REQUESTS = 10


def weights_for_step(previous: dict[str, float], new: str, percent: float) -> dict[str, float]:
    """New variant at ``percent``; the previous variants share the rest in their old proportions."""
    total = sum(previous.values())
    out = {name: (w / total) * (100.0 - percent) if total else 0.0 for name, w in previous.items()
           if name != new}
    out[new] = float(percent)
    return out


def apply_weights(config: dict[str, Any], weights: dict[str, float]) -> None:
    for v in config["variants"]:
        if v.get("role", "production") == "production" and v["name"] in weights:
            v["weight"] = float(weights[v["name"]])


def breach(stats: dict[str, Any], guardrails: dict[str, Any]) -> str | None:
    requests = stats.get("requests", 0)
    if requests < int(guardrails.get("min_requests", DEFAULT_MIN_REQUESTS)):
        return None
    rate = stats.get("errors", 0) / requests
    max_rate = guardrails.get("max_error_rate")
    if max_rate is not None and rate > float(max_rate):
        return (f"error rate {rate:.1%} over {requests} requests exceeded the guardrail "
                f"max_error_rate={float(max_rate):g}")
    max_p99 = guardrails.get("max_p99_ms")
    if max_p99 is not None:
        p99 = percentile(stats.get("hist", []), 0.99)
        if p99 is not None and p99 * 1000 > float(max_p99):
            return (f"p99 latency {p99 * 1000:.1f} ms over {requests} requests exceeded the "
                    f"guardrail max_p99_ms={float(max_p99):g}")
    return None


def finish_rollback(config: dict[str, Any], reason: str, status: str = "rolled_back") -> None:
    """Restore the variants recorded when the rollout began."""
    rollout = config.get("rollout") or {}
    previous = rollout.get("previous_variants")
    if previous is not None:
        config["variants"] = previous
    rollout.update(status=status, reason=reason, finished_at=time.time())
    config["status"] = "running"
    config["status_reason"] = f"rolled back {rollout.get('variant')}: {reason}"


class Controller:
    def __init__(self, runtime, interval: float = 0.25):
        self.runtime = runtime
        self.interval = interval
        self._stop = threading.Event()
        self._baseline: dict[tuple, dict] = {}
        self._audit_ready = False
        self._thread = threading.Thread(target=self._run, name="mlops-controller", daemon=True)

    def start(self) -> "Controller":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception as exc:  # keep controlling; say what went wrong in the log
                print(f"rollout controller: {type(exc).__name__}: {exc}", flush=True)

    def tick(self) -> None:
        live = self.runtime.live
        applied = (live.config.get("rollout") or {}) if live is not None else {}
        if applied.get("status") != "baking":
            return  # nothing to control (the applied config follows the file within 0.2 s)
        config = read_config(self.runtime.config_file)
        rollout = config.get("rollout")
        if not rollout or rollout.get("status") != "baking":
            return
        if not self._audit_ready:  # import the store now, not at the moment of a rollback
            self._audit_ready = True
            from .. import workspace  # noqa: F401
        live = self.runtime.live
        if live is None or live.generation < int(config.get("generation", 0)):
            return  # the workers have not applied the current step yet
        key = (rollout["id"], rollout["step"])
        merged = merge(self.runtime.all_reports())["variants"]
        if key not in self._baseline:
            self._baseline = {key: merged}
        window = delta(merged, self._baseline[key]).get(rollout["variant"], {})
        reason = breach(window, rollout.get("guardrails") or {})
        if reason:
            self._rollback(rollout["id"], reason)
            return
        if time.time() - float(rollout["step_started_at"]) >= float(rollout.get("bake", 0)):
            self._advance(rollout["id"])

    def _advance(self, rollout_id: str) -> None:
        with updating(self.runtime.config_file) as config:
            rollout = config.get("rollout")
            if not rollout or rollout.get("id") != rollout_id or rollout.get("status") != "baking":
                return
            rollout["step"] += 1
            rollout["step_started_at"] = time.time()
            if rollout["step"] >= len(rollout["steps"]):
                keep = rollout["variant"]
                config["variants"] = [v for v in config["variants"]
                                      if v["name"] == keep or v.get("role") == "shadow"]
                apply_weights(config, {keep: 100.0})
                rollout.update(status="completed", finished_at=time.time())
                config["status_reason"] = f"{rollout['strategy']} rollout of {keep} completed"
                event = ("rollout_completed", {"variant": keep, "strategy": rollout["strategy"]})
            else:
                pct = rollout["steps"][rollout["step"]]
                apply_weights(config, weights_for_step(rollout["previous_weights"],
                                                       rollout["variant"], pct))
                config["status_reason"] = (f"{rollout['strategy']}: {rollout['variant']} at "
                                           f"{pct:g}%, baking {rollout.get('bake', 0):g} s")
                event = ("rollout_step", {"variant": rollout["variant"], "percent": pct})
        self.record(*event)

    def _rollback(self, rollout_id: str, reason: str) -> None:
        with updating(self.runtime.config_file) as config:
            rollout = config.get("rollout")
            if not rollout or rollout.get("id") != rollout_id or rollout.get("status") != "baking":
                return
            finish_rollback(config, reason)
            details = {"variant": rollout["variant"], "strategy": rollout["strategy"],
                       "reason": reason, "step": rollout["step"], "automatic": True}
        self.record("rollback", details)

    def record(self, action: str, details: dict[str, Any]) -> None:
        """The endpoint's own event log, and the workspace audit log when it can be opened."""
        name = self.runtime.live.name if self.runtime.live else "?"
        line = {"at": time.time(), "action": action, "endpoint": name, **details}
        path = Path(self.runtime.dir) / "events.jsonl"
        with open(path, "ab") as fh:
            fh.write(orjson.dumps(line) + b"\n")
        print(f"rollout controller: {action} {details}", flush=True)
        try:
            home = read_config(self.runtime.config_file).get("home")
            from ..workspace import Workspace

            Workspace(home).audit_log.record(f"endpoint.{action}", name, details, actor="guardrail"
                                             if action == "rollback" else "rollout-controller")
        except Exception as exc:
            print(f"rollout controller: could not write the audit log: {exc}", flush=True)
