"""The serving part of the Workspace: deploy, traffic, rollback, stop, endpoints, captured.

The kernel side never talks to a running endpoint's internals: it edits the endpoint's config file
(under its lock), then waits until every worker acknowledges the new generation, or reports why it
refused it (load, hash or smoke-test failure), in which case the previous config is put back and
the error raised. The Endpoint row in the store records pid, port, url and the last known status;
live status always comes from the process itself.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from ..errors import DeployError, EndpointNotFound, InvalidInput
from ..names import validate_name
from . import process
from .config import (DEFAULT_MAX_PAYLOAD, config_path, endpoint_dir, locked, new_config,
                     production_weights, push_history, read_config, updating, write_config)
from .controller import finish_rollback
from .results import Endpoint
from .rollouts import plan_deploy

STRATEGIES = (None, "ab", "canary", "linear", "blue_green", "shadow")


class Serving:
    def __init__(self, workspace):
        self.ws = workspace

    # -- paths and rows --------------------------------------------------------------------
    def _config_file(self, name: str) -> Path:
        return config_path(self.ws.home, name)

    def _row(self, name: str):
        from ..store import orm

        with self.ws.store.read() as s:
            row = s.get(orm.Endpoint, name)
            if row is None:
                return None
            return {"name": row.name, "status": row.status, "pid": row.pid, "port": row.port,
                    "url": row.url, "spec": dict(row.spec or {}), "state": dict(row.state or {})}

    def _save_row(self, name: str, **fields) -> None:
        from ..store import orm
        from ..store.orm import utcnow

        with self.ws.store.write() as s:
            row = s.get(orm.Endpoint, name)
            if row is None:
                row = orm.Endpoint(name=name, status=fields.get("status", "starting"), spec={},
                                   state={})
                s.add(row)
            for k, v in fields.items():
                setattr(row, k, v)
            row.updated_at = utcnow()

    def _require(self, name: str) -> dict:
        validate_name(name, "endpoint name")
        row = self._row(name)
        if row is None or not self._config_file(name).exists():
            from sqlalchemy import select

            from ..store import orm

            with self.ws.store.read() as s:
                names = list(s.execute(select(orm.Endpoint.name)).scalars())
            raise EndpointNotFound(f"There is no endpoint named {name!r}.",
                                   hint=f"Endpoints: {', '.join(names) or 'none'}. "
                                        "Create one with deploy().")
        return row

    def _alive(self, row: dict | None) -> bool:
        return bool(row) and process.is_endpoint_process(row["pid"],
                                                         self._config_file(row["name"]))

    # -- variants from the registry ---------------------------------------------------------
    def _variant_spec(self, ref: str, variant: str | None, endpoint: str) -> dict[str, Any]:
        mv = self.ws.registry.get(ref)
        name = validate_name(variant or f"{mv.name}-v{mv.version}", "variant name")
        path = self._local_artifact(mv.artifact_sha256, endpoint)
        fast = (mv.format or {}).get("fast_load")
        companion = str(self._local_artifact(fast["sha256"], endpoint)) if fast else None
        try:
            sample = self.ws.registry.sample(mv.ref)
        except Exception:
            sample = None
        return {"name": name, "model": mv.name, "version": mv.version, "ref": mv.ref,
                "artifact_path": str(path), "sha256": mv.artifact_sha256, "format": mv.format,
                "companion_path": companion,
                "signature": mv.signature, "weight": 100.0, "role": "production",
                "sample": sample}

    def _local_artifact(self, sha256: str, endpoint: str) -> Path:
        """The artifact as a local file the endpoint process can read (copied next to the
        endpoint, verified, when the artifact store is remote)."""
        path = self.ws.artifacts.local_path(sha256)
        if path is None or not Path(path).exists():
            folder = endpoint_dir(self.ws.home, endpoint) / "artifacts"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{sha256}.bin"
            if not path.exists():
                path.write_bytes(self.ws.artifacts.get_bytes(sha256))
        return Path(path)

    # -- deploy ------------------------------------------------------------------------------
    def deploy(self, ref: str, endpoint: str, port: int | None = None, workers: int = 1,
               capture: float = 0, token: str | None = None, strategy: str | None = None,
               percent: float | None = None, bake: float | None = None,
               guardrails: dict | None = None, variant: str | None = None,
               max_payload_mb: float | None = None, request_timeout: float | None = None,
               timeout: float = 60.0) -> Endpoint:
        validate_name(endpoint, "endpoint name")
        strategy = strategy.replace("-", "_") if isinstance(strategy, str) else strategy
        if strategy not in STRATEGIES:
            raise InvalidInput(f"Unknown rollout strategy {strategy!r}.",
                               hint="Use one of: ab, canary, linear, blue_green, shadow.")
        if not 0 <= float(capture) <= 100:
            raise InvalidInput(f"capture is a percentage of requests, 0-100; got {capture!r}.")
        if int(workers) < 1:
            raise InvalidInput(f"workers must be at least 1, got {workers!r}.")
        guardrails = _check_guardrails(guardrails)
        spec = self._variant_spec(ref, variant, endpoint)
        row = self._row(endpoint)
        if self._alive(row):
            running = read_config(self._config_file(endpoint))
            fixed = [("port", port, row["port"]), ("workers", workers, running.get("workers", 1))]
            changed = [f"{k}={new!r} (it runs with {old!r})" for k, new, old in fixed
                       if k == "port" and new is not None and new != old
                       or k == "workers" and new != 1 and new != old]
            if token and hashlib.sha256(token.encode()).hexdigest() != running.get("token_sha256"):
                changed.append("a different token")
            if changed:
                raise InvalidInput(f"Endpoint {endpoint!r} is running; {', '.join(changed)} "
                                   "needs a new process.", hint=f"stop({endpoint!r}) first.")
            return self._roll_out(endpoint, spec, strategy, percent, bake, guardrails, capture,
                                  timeout)
        if strategy == "shadow":
            raise InvalidInput(f"Endpoint {endpoint!r} is not running: a shadow variant needs a "
                               "production variant to copy requests from. Deploy one first.")
        return self._create(endpoint, spec, port, workers, capture, token, max_payload_mb,
                            request_timeout, timeout, row)

    def _create(self, endpoint, spec, port, workers, capture, token, max_payload_mb,
                request_timeout, timeout, row) -> Endpoint:
        config = new_config(
            endpoint, self.ws.home,
            token_sha256=hashlib.sha256(token.encode()).hexdigest() if token else None,
            max_payload_bytes=int(max_payload_mb * 1024 * 1024) if max_payload_mb
            else DEFAULT_MAX_PAYLOAD,
            request_timeout_s=request_timeout or 60.0, capture_percent=capture, workers=workers)
        if token:  # the secret itself, for checking boto3's SigV4 signatures; owner-only file
            secret = endpoint_dir(self.ws.home, endpoint) / "token"
            secret.parent.mkdir(parents=True, exist_ok=True)
            secret.touch(mode=0o600)
            secret.chmod(0o600)
            secret.write_text(token)
            config["token_file"] = str(secret)
        config["variants"] = [spec]
        config["signatures"] = {spec["name"]: spec.get("signature")}
        config["generation"] = 1
        config["status"] = "running"
        file = self._config_file(endpoint)
        with locked(file):
            write_config(file, config)
        self._save_row(endpoint, status="starting", pid=None, port=None, url=None,
                       spec={"workers": workers, "capture": capture, "token": bool(token)},
                       state={})
        try:
            info = process.launch(file, self.ws.environment(), port, timeout)
        except DeployError as exc:
            self._save_row(endpoint, status="failed", state={"error": exc.message})
            self.ws.audit_log.record("endpoint.deploy_failed", endpoint,
                                     {"ref": spec["ref"], "error": exc.message[:2000]})
            raise
        self._save_row(endpoint, status="running", pid=info["pid"], port=info["port"],
                       url=info["url"], state={"started_at": info["started_at"]})
        self.ws.audit_log.record("endpoint.deploy", endpoint, {
            "ref": spec["ref"], "variant": spec["name"], "url": info["url"], "workers": workers,
            "capture": capture, "token": bool(token)})
        return self.describe(endpoint)

    def _roll_out(self, endpoint, spec, strategy, percent, bake, guardrails, capture,
                  timeout) -> Endpoint:
        file = self._config_file(endpoint)
        with updating(file) as config:
            details, previous_variants = plan_deploy(config, endpoint, spec, strategy, percent,
                                                     bake, guardrails, capture)
            generation = config["generation"] + 1
        self._await_generation(endpoint, generation, timeout, revert_to=previous_variants)
        self.ws.audit_log.record("endpoint.deploy", endpoint, details)
        return self.describe(endpoint)

    def _await_generation(self, endpoint: str, generation: int, timeout: float,
                          revert_to: list | None = None) -> None:
        """Wait until every worker serves ``generation``; if one refused it, put back
        ``revert_to`` and raise the worker's reason."""
        file = self._config_file(endpoint)
        folder = file.parent / "workers"
        deadline = time.time() + timeout
        while time.time() < deadline:
            config = read_config(file)
            expected = int(config.get("workers", 1))
            reports = []
            for i in range(expected):
                try:
                    reports.append(json.loads((folder / f"{i}.json").read_text()))
                except (OSError, json.JSONDecodeError):
                    reports.append(None)
            for r in reports:
                if r and r.get("error_generation") == generation:
                    if revert_to is not None:
                        with updating(file) as cfg:
                            cfg["variants"] = revert_to
                            if cfg.get("history"):
                                cfg["history"].pop()
                            if cfg.get("rollout") and cfg["rollout"].get("status") == "baking":
                                cfg["rollout"]["status"] = "refused"
                            cfg["status_reason"] = f"refused: {r['error']}"
                    self.ws.audit_log.record("endpoint.refused", endpoint, {"error": r["error"]})
                    raise DeployError(f"Endpoint {endpoint!r} refused the change: {r['error']}",
                                      hint="No request reached the new version.")
            if all(r and (r.get("generation") or 0) >= generation for r in reports):
                return
            if not self._alive(self._row(endpoint)):
                raise DeployError(f"Endpoint {endpoint!r} is not running.")
            time.sleep(0.03)
        raise DeployError(f"Endpoint {endpoint!r} did not apply the change within {timeout:g} s.")

    # -- traffic and rollback ------------------------------------------------------------------
    def traffic(self, endpoint: str, weights: dict[str, float], timeout: float = 30.0) -> Endpoint:
        self._require(endpoint)
        if not isinstance(weights, dict) or not weights:
            raise InvalidInput("traffic() takes a dict {variant: weight}, e.g. "
                               "{'churn-v3': 50, 'churn-v4': 50}.")
        file = self._config_file(endpoint)
        with updating(file) as config:
            known = {v["name"]: v for v in config["variants"]}
            for name, w in weights.items():
                if name not in known:
                    raise InvalidInput(f"Endpoint {endpoint!r} has no variant {name!r}.",
                                       hint=f"Variants: {', '.join(known)}.")
                if not isinstance(w, (int, float)) or w < 0:
                    raise InvalidInput(f"The weight of {name!r} must be a number >= 0, got {w!r}.")
                if known[name].get("role") == "shadow":
                    raise InvalidInput(f"{name!r} is a shadow variant; it takes no traffic.")
            merged = {**production_weights(config), **{k: float(v) for k, v in weights.items()}}
            if sum(merged.values()) <= 0:
                raise InvalidInput("At least one variant needs a positive weight.")
            push_history(config, "traffic")
            for v in config["variants"]:
                if v["name"] in weights:
                    v["weight"] = float(weights[v["name"]])
            rollout = config.get("rollout")
            if rollout and rollout.get("status") == "baking":
                rollout.update(status="superseded", finished_at=time.time())
            total = sum(merged.values())
            config["status_reason"] = "traffic: " + ", ".join(
                f"{k} {100 * v / total:.0f}%" for k, v in merged.items())
            generation = config["generation"] + 1
        self._await_generation(endpoint, generation, timeout)
        self.ws.audit_log.record("endpoint.traffic", endpoint, {"weights": weights})
        return self.describe(endpoint)

    def rollback(self, endpoint: str, timeout: float = 30.0) -> Endpoint:
        self._require(endpoint)
        file = self._config_file(endpoint)
        with updating(file) as config:
            rollout = config.get("rollout")
            if rollout and rollout.get("status") == "baking":
                finish_rollback(config, "rolled back by hand")
                details = {"variant": rollout["variant"], "during": rollout["strategy"]}
            elif config.get("history"):
                entry = config["history"].pop()
                current = [v["name"] for v in config["variants"]]
                config["variants"] = entry["variants"]
                config["status_reason"] = f"rolled back to before: {entry['reason']}"
                if rollout:
                    rollout["status"] = "rolled_back"
                details = {"undid": entry["reason"], "from": current,
                           "to": [v["name"] for v in entry["variants"]]}
            else:
                raise InvalidInput(f"Endpoint {endpoint!r} has nothing to roll back to: it has "
                                   "served one configuration only.")
            generation = config["generation"] + 1
        self._await_generation(endpoint, generation, timeout)
        self.ws.audit_log.record("endpoint.rollback", endpoint, {**details, "automatic": False})
        return self.describe(endpoint)

    # -- stop, describe, list -------------------------------------------------------------------
    def stop(self, endpoint: str, timeout: float = 30.0) -> None:
        row = self._require(endpoint)
        server = self._server_info(endpoint)
        code = None
        if row["pid"] and self._alive(row):
            code = process.stop_pid(row["pid"], timeout, server.get("worker_pids") or [])
        self._save_row(endpoint, status="stopped", state={**row["state"], "stopped_at": time.time(),
                                                          "exit_status": code})
        self.ws.audit_log.record("endpoint.stop", endpoint, {"pid": row["pid"],
                                                             "exit_status": code})

    def _server_info(self, endpoint: str) -> dict:
        try:
            return json.loads((endpoint_dir(self.ws.home, endpoint) / "server.json").read_text())
        except (OSError, json.JSONDecodeError):
            return {}

    def _live_status(self, row: dict) -> tuple[str, str | None]:
        if row["status"] == "stopped":
            return "stopped", None
        if self._alive(row):
            return "running", None
        if row["status"] in ("running", "starting"):
            code = process.exit_status(row["pid"])
            return "failed", (f"process {row['pid']} exited with status {code}" if code is not None
                              else f"process {row['pid']} is gone")
        return row["status"], row["state"].get("error")

    def describe(self, endpoint: str) -> Endpoint:
        row = self._require(endpoint)
        config = read_config(self._config_file(endpoint))
        status, why = self._live_status(row)
        rollout = config.get("rollout")
        if status == "running" and rollout and rollout.get("status") == "baking":
            status = "updating"
        public_rollout = None
        if rollout:
            public_rollout = {k: v for k, v in rollout.items()
                              if k not in ("previous_variants",)}
        return Endpoint(
            name=endpoint, url=row["url"], port=row["port"], pid=row["pid"], status=status,
            variants=[{"name": v["name"], "ref": v.get("ref"), "weight": v.get("weight", 0.0),
                       "role": v.get("role", "production")} for v in config["variants"]],
            rollout=public_rollout, status_reason=why or config.get("status_reason"),
            workers=int(config.get("workers", 1)),
            capture_percent=float(config.get("capture", {}).get("percent", 0)),
            token_required=bool(config.get("token_sha256")))

    def endpoints(self):
        import pandas as pd
        from sqlalchemy import select

        from ..store import orm
        from .metrics import combine, delta, merge, summarize

        with self.ws.store.read() as s:
            names = list(s.execute(select(orm.Endpoint.name).order_by(orm.Endpoint.name)).scalars())
        rows = []
        for name in names:
            try:
                ep = self.describe(name)
            except Exception:
                continue
            stats: dict[str, Any] = {}
            usage: dict[str, Any] = {}
            if ep.status in ("running", "updating"):
                reports = self._reports(name)
                merged = merge(reports)
                window = delta(merged["variants"], merged["window"]["variants"])
                seconds = merged["t"] - (merged["window"]["t"] or merged["t"])
                stats = summarize(combine(window), seconds)
                server = self._server_info(name)
                usage = process.process_usage([ep.pid, *(server.get("worker_pids") or [])])
            rows.append({
                "name": name, "status": ep.status, "url": ep.url,
                "variants": ", ".join(f"{v['name']}={v['weight']:g}" + (
                    " (shadow)" if v["role"] == "shadow" else "") for v in ep.variants),
                "req_per_s": stats.get("req_per_s"), "p50_ms": stats.get("p50_ms"),
                "p99_ms": stats.get("p99_ms"), "error_rate": stats.get("error_rate"),
                "cpu_percent": usage.get("cpu_percent"), "rss_mb": usage.get("rss_mb"),
                "pid": ep.pid, "workers": ep.workers, "reason": ep.status_reason})
        return pd.DataFrame(rows, columns=["name", "status", "url", "variants", "req_per_s",
                                           "p50_ms", "p99_ms", "error_rate", "cpu_percent",
                                           "rss_mb", "pid", "workers", "reason"])

    def _reports(self, endpoint: str) -> list[dict]:
        folder = endpoint_dir(self.ws.home, endpoint) / "workers"
        out = []
        for path in sorted(folder.glob("*.json")) if folder.exists() else []:
            try:
                out.append(json.loads(path.read_text()))
            except (OSError, json.JSONDecodeError):
                continue
        return out

    def metrics(self, endpoint: str) -> dict[str, Any]:
        """Per-variant totals and last-minute figures, merged over the workers."""
        from .metrics import delta, merge, summarize

        self._require(endpoint)
        merged = merge(self._reports(endpoint))
        window = delta(merged["variants"], merged["window"]["variants"])
        seconds = merged["t"] - (merged["window"]["t"] or merged["t"])
        return {"total": {k: summarize(v) for k, v in merged["variants"].items()},
                "last_minute": {k: summarize(v, seconds) for k, v in window.items()}}

    def shadow_report(self, endpoint: str):
        from .metrics import merge, percentile
        from .results import ShadowReport

        self._require(endpoint)
        merged = merge(self._reports(endpoint))
        config = read_config(self._config_file(endpoint))
        prod = [{"variant": n, **_latency(merged["variants"].get(n, {}))}
                for n in production_weights(config)]
        shadows = []
        for name, s in merged["shadow"].items():
            ok = s["compared"] - s["errors"]
            p = lambda h, q: None if percentile(h, q) is None else percentile(h, q) * 1000  # noqa
            shadows.append({
                "variant": name, "requests": s["compared"], "errors": s["errors"],
                "rows": s["rows"], "agreement": (s["agreed_rows"] / s["rows"]) if s["rows"] else None,
                "mean_abs_diff": (s["abs_diff_sum"] / s["rows"]) if s["rows"] else None,
                "shadow_p50_ms": p(s["hist"], 0.5), "shadow_p99_ms": p(s["hist"], 0.99),
                "production_p50_ms": p(s["prod_hist"], 0.5) if ok else None,
                "production_p99_ms": p(s["prod_hist"], 0.99) if ok else None})
        return ShadowReport(endpoint, prod, shadows)

    def logs(self, endpoint: str, lines: int = 200) -> str:
        self._require(endpoint)
        return process.log_tail(endpoint_dir(self.ws.home, endpoint) / "log", lines)

    def events(self, endpoint: str) -> list[dict]:
        path = endpoint_dir(self.ws.home, endpoint) / "events.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def captured(self, endpoint: str, since: Any = None):
        from .capture import read_captured

        self._require(endpoint)
        config = read_config(self._config_file(endpoint))
        signatures = dict(config.get("signatures") or {})
        for entry in [*config.get("history", []), {"variants": config["variants"]}]:
            for v in entry["variants"]:
                signatures[v["name"]] = v.get("signature")
        rollout = config.get("rollout") or {}
        for v in rollout.get("previous_variants") or []:
            signatures.setdefault(v["name"], v.get("signature"))
        directory = config.get("capture", {}).get("dir") or self.ws.home / "capture" / endpoint
        return read_captured(directory, signatures, since)

    def batch(self, ref: str, input: str, output: str, chunk_rows: int = 10_000,
              workers: int = 1, dask: str | None = None):
        """Score a file with ``ref`` (hash-checked and smoke-tested like an endpoint variant)."""
        from .batch import run_batch
        from .variants import LoadedVariant, silence_feature_name_warning

        spec = self._variant_spec(ref, None, "_batch")
        silence_feature_name_warning()
        variant = LoadedVariant(spec).load()
        job = run_batch(variant, spec["ref"], str(input), str(output), chunk_rows, workers, dask)
        self.ws.audit_log.record("batch", spec["ref"], {
            "input": job.input, "output": job.output, "rows": job.rows, "engine": job.engine})
        return job

    def endpoint(self, endpoint: str):
        from .handle import EndpointHandle

        self._require(endpoint)
        return EndpointHandle(self, endpoint)


def _check_guardrails(guardrails: dict | None) -> dict:
    allowed = {"max_error_rate", "max_p99_ms", "min_requests"}
    guardrails = dict(guardrails or {})
    unknown = set(guardrails) - allowed
    if unknown:
        raise InvalidInput(f"Unknown guardrail(s) {sorted(unknown)}.",
                           hint=f"Guardrails: {', '.join(sorted(allowed))}.")
    for k, v in guardrails.items():
        if v is not None and (not isinstance(v, (int, float)) or v < 0):
            raise InvalidInput(f"Guardrail {k} must be a number >= 0, got {v!r}.")
    return {k: v for k, v in guardrails.items() if v is not None}


def _latency(stats: dict) -> dict:
    from .metrics import summarize

    s = summarize(stats) if stats else {}
    return {"requests": s.get("requests", 0), "p50_ms": s.get("p50_ms"), "p99_ms": s.get("p99_ms")}
