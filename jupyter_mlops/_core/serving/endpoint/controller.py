"""The rollout controller: runs inside the endpoint (worker 0), driven by the config's rollout, so
canary, linear and blue/green bakes and their guardrails go on after the notebook cell returns
and even after the kernel is gone.

Each step gives the new variant a share of traffic, then bakes. During the bake the new variant's
error rate and p99 are checked four times a second over every request since the step began: each
worker records its counters at the moment it applies the step's generation (``STEP_BASELINE`` in
its report, ``runtime.py``) and the controller subtracts those, summed across workers, so the
bake's very first requests count. Only what the model is responsible for counts as an error: a
client's malformed input is a 4xx (``Schema.check``) and cannot roll a canary back. A breach rolls
every request back to the previous variants at once, and the reason goes into the config's
status, the endpoint's event log and the workspace audit log, which the controller writes through
the metadata store itself (the endpoint never builds a workspace).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import orjson

from ..contract import RolloutStatus
from ..metrics import percentile, since_step

DEFAULT_MIN_REQUESTS = 10


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


class AuditWriter:
    """The workspace audit log, opened from the endpoint's own environment (``MLOPS_DB_URL``, or
    the SQLite file in its home) on first use."""

    def __init__(self, home: str | Path):
        self.home = Path(home)
        self._log = None

    def open(self) -> None:
        if self._log is None:
            from ...audit import AuditLog
            from ...store.db import store_for

            self._log = AuditLog(store_for(self.home))

    def record(self, action: str, target: str, details: dict, actor: str) -> None:
        self.open()
        self._log.record(action, target, details, actor=actor)


class Controller:
    def __init__(self, runtime, interval: float = 0.25):
        self.runtime = runtime
        self.interval = interval
        self._stop = threading.Event()
        self._audit: AuditWriter | None = None
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
        if live is None or live.config.baking is None:
            return  # nothing to control (the applied config follows the file within 0.2 s)
        config = self.runtime.config_file.read()
        rollout = config.baking
        if rollout is None:
            return
        if self._audit is None:  # open the store now, not at the moment of a rollback
            self._audit = AuditWriter(config.home)
            self._audit.open()
        live = self.runtime.live
        if live is None or live.generation < config.generation:
            return  # the workers have not applied the current step yet
        window = since_step(self.runtime.all_reports(), [rollout.id, rollout.step]) \
            .get(rollout.variant, {})
        reason = breach(window, rollout.guardrails)
        if reason:
            self._rollback(rollout.id, reason)
            return
        if time.time() - float(rollout.step_started_at or 0) >= float(rollout.bake):
            self._advance(rollout.id)

    def _advance(self, rollout_id: str) -> None:
        with self.runtime.config_file.updating() as config:
            rollout = config.baking
            if rollout is None or rollout.id != rollout_id:
                return
            rollout.step += 1
            rollout.step_started_at = time.time()
            if rollout.step >= len(rollout.steps):
                config.keep_only(rollout.variant)
                rollout.status, rollout.finished_at = RolloutStatus.COMPLETED, time.time()
                config.status_reason = f"{rollout.strategy} rollout of {rollout.variant} completed"
                event = ("rollout_completed", {"variant": rollout.variant, "strategy": rollout.strategy})
            else:
                pct = rollout.steps[rollout.step]
                config.apply_weights(rollout.weights_at(rollout.step))
                config.status_reason = (f"{rollout.strategy}: {rollout.variant} at {pct:g}%, "
                                        f"baking {rollout.bake:g} s")
                event = ("rollout_step", {"variant": rollout.variant, "percent": pct})
        self.record(*event)

    def _rollback(self, rollout_id: str, reason: str) -> None:
        with self.runtime.config_file.updating() as config:
            rollout = config.baking
            if rollout is None or rollout.id != rollout_id:
                return
            config.finish_rollback(reason)
            details = {"variant": rollout.variant, "strategy": rollout.strategy,
                       "reason": reason, "step": rollout.step, "automatic": True}
        self.record("rollback", details)

    def record(self, action: str, details: dict[str, Any]) -> None:
        """The endpoint's own event log, and the workspace audit log when it can be opened."""
        name = self.runtime.live.name if self.runtime.live else "?"
        line = {"at": time.time(), "action": action, "endpoint": name, **details}
        with open(self.runtime.paths.events, "ab") as fh:
            fh.write(orjson.dumps(line) + b"\n")
        print(f"rollout controller: {action} {details}", flush=True)
        try:
            if self._audit is None:
                self._audit = AuditWriter(self.runtime.config_file.read().home)
            self._audit.record(f"endpoint.{action}", name, details,
                               actor="guardrail" if action == "rollback" else "rollout-controller")
        except Exception as exc:
            print(f"rollout controller: could not write the audit log: {exc}", flush=True)
