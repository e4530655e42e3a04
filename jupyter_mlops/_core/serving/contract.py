"""The contract between the two serving programs: the kernel's control plane (``control/``) and
the endpoint process (``endpoint/``). They share nothing else but the metrics module.

One JSON file per endpoint, ``<home>/endpoints/<name>/config.json``, is the single source of
truth. Writers (the kernel's deploy/traffic/rollback, the endpoint's rollout controller) do a
read-modify-write under an exclusive ``flock`` and replace the file atomically, bumping
``generation``; every endpoint worker polls the file and applies new generations, then
acknowledges in ``workers/<index>.json`` (the generation applied, or the error that made it refuse
one) together with its metric snapshot. The typed view of that file is :class:`EndpointConfig`;
its JSON form is what is on disk, so either side can be upgraded without the other noticing.

The rules that both sides apply to a config (the weights of a rollout step, restoring the
variants a rollout replaced) are methods here, so that neither side imports the other.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any, Iterator

DEFAULT_MAX_PAYLOAD = 6 * 1024 * 1024
DEFAULT_REQUEST_TIMEOUT = 60.0
DEFAULT_GRACEFUL_SECONDS = 20.0
HISTORY_LIMIT = 10
SERVER_MODULE = "jupyter_mlops._core.serving.endpoint.server"
CONFIG_SIGNATURE = "endpoint-config"


class RolloutStatus(StrEnum):
    """Where a rollout stands. Only ``BAKING`` is still under the controller's watch."""

    BAKING = "baking"
    COMPLETED = "completed"
    ROLLED_BACK = "rolled_back"
    REFUSED = "refused"          # a worker could not load the new version: nothing reached it
    SUPERSEDED = "superseded"    # traffic() set weights by hand while it baked


class Role(StrEnum):
    PRODUCTION = "production"    # answers its weighted share of requests
    SHADOW = "shadow"            # gets copies of requests; its answers are only compared


def _known(cls, data: dict) -> dict:
    """The keys of ``data`` that are fields of ``cls``: a newer writer's extra keys are ignored."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass
class Variant:
    """One registered version on an endpoint, as the endpoint loads it."""

    name: str
    ref: str | None = None
    model: str | None = None
    version: int | None = None
    artifact_path: str | None = None
    sha256: str | None = None
    format: dict = field(default_factory=dict)
    companion_path: str | None = None
    signature: dict | None = None
    weight: float = 0.0
    role: Role = Role.PRODUCTION
    sample: dict | None = None
    shadow_percent: float | None = None
    compiled: bool = True  # may a tree model predict through its proven compiled form
    # the version's monitoring baseline sample (parquet artifact: "path", "sha256"), the rows a
    # compiled tree model is proven on besides ``sample``
    baseline_sample: dict | None = None

    @classmethod
    def from_dict(cls, data: dict) -> "Variant":
        known = _known(cls, data)
        known["role"] = Role(known.get("role") or Role.PRODUCTION)
        known["format"] = dict(known.get("format") or {})
        known["weight"] = float(known.get("weight") or 0.0)
        return cls(**known)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def is_shadow(self) -> bool:
        return self.role == Role.SHADOW

    def copy(self) -> "Variant":
        return Variant.from_dict(json.loads(json.dumps(self.to_dict())))


@dataclass
class Rollout:
    """A deploy onto a running endpoint: the new variant's share at each step, the bake between
    steps, the guardrails the controller checks, and what to restore on a rollback."""

    id: str
    strategy: str
    variant: str
    steps: list[float]
    status: RolloutStatus
    started_at: float
    step: int = 0
    bake: float = 0.0
    guardrails: dict = field(default_factory=dict)
    step_started_at: float | None = None
    finished_at: float | None = None
    reason: str | None = None
    previous_variants: list[Variant] = field(default_factory=list)
    previous_weights: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> "Rollout":
        known = _known(cls, data)
        known["status"] = RolloutStatus(known["status"])
        known["previous_variants"] = [Variant.from_dict(v) for v in known.get("previous_variants") or []]
        return cls(**known)

    def to_dict(self) -> dict:
        out = asdict(self)
        out["previous_variants"] = [v.to_dict() for v in self.previous_variants]
        return out

    def public(self) -> dict:
        """What a user sees of it (``Endpoint.rollout``): no copies of the old variants."""
        return {k: str(v) if isinstance(v, StrEnum) else v for k, v in self.to_dict().items()
                if v is not None and k != "previous_variants"}

    @property
    def baking(self) -> bool:
        return self.status == RolloutStatus.BAKING

    def weights_at(self, step: int) -> dict[str, float]:
        return weights_for_step(self.previous_weights, self.variant, self.steps[step])


@dataclass
class HistoryEntry:
    at: float
    reason: str
    variants: list[Variant]

    @classmethod
    def from_dict(cls, data: dict) -> "HistoryEntry":
        return cls(float(data["at"]), str(data["reason"]), [Variant.from_dict(v) for v in data["variants"]])

    def to_dict(self) -> dict:
        return {"at": self.at, "reason": self.reason, "variants": [v.to_dict() for v in self.variants]}


@dataclass
class Capture:
    percent: float = 0.0
    dir: str | None = None


@dataclass
class EndpointConfig:
    name: str
    home: str
    generation: int = 0
    #: the bearer token, salted and hashed (never on disk in the clear, nor as a plain hash)
    token_salt: str | None = None
    token_hash: str | None = None
    #: the token itself, in an owner-only file beside the config, for checking boto3's SigV4
    token_file: str | None = None
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD
    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT
    graceful_seconds: float = DEFAULT_GRACEFUL_SECONDS
    capture: Capture = field(default_factory=Capture)
    workers: int = 1
    variants: list[Variant] = field(default_factory=list)
    rollout: Rollout | None = None
    history: list[HistoryEntry] = field(default_factory=list)
    #: every variant that ever served here -> its signature, to read its captured rows back
    signatures: dict[str, dict | None] = field(default_factory=dict)
    #: asynchronous inference: concurrency, output/failure prefixes, notify webhooks
    async_inference: dict = field(default_factory=dict)
    #: serverless: {"idle": S, "max_concurrency": C, "provisioned": N}; {} for always-on
    serverless: dict = field(default_factory=dict)
    #: a multi-model endpoint (``endpoint/model_cache.py``): max_models, max_memory_mb
    multi_model: dict = field(default_factory=dict)
    status: str = "starting"
    status_reason: str | None = None
    updated_at: float | None = None

    @classmethod
    def new(cls, name: str, home: Path | str, *, token_sha256: str | None = None,
            max_payload_bytes: int = DEFAULT_MAX_PAYLOAD,
            request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT, capture_percent: float = 0.0,
            workers: int = 1) -> "EndpointConfig":
        config = cls(name=name, home=str(home), max_payload_bytes=int(max_payload_bytes),
                     request_timeout_s=float(request_timeout_s),
                     capture=Capture(float(capture_percent), str(EndpointPaths(home, name).capture_dir)),
                     workers=int(workers))
        if token_sha256:
            config.token_salt = secrets.token_hex(16)
            config.token_hash = salted(config.token_salt, token_sha256)
        return config

    @classmethod
    def from_dict(cls, data: dict) -> "EndpointConfig":
        known = _known(cls, data)
        known["capture"] = Capture(**_known(Capture, known.get("capture") or {}))
        known["variants"] = [Variant.from_dict(v) for v in known.get("variants") or []]
        known["rollout"] = Rollout.from_dict(known["rollout"]) if known.get("rollout") else None
        known["history"] = [HistoryEntry.from_dict(h) for h in known.get("history") or []]
        return cls(**known)

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["capture"] = asdict(self.capture)
        out["variants"] = [v.to_dict() for v in self.variants]
        out["rollout"] = self.rollout.to_dict() if self.rollout else None
        out["history"] = [h.to_dict() for h in self.history]
        return out

    # -- the rules both sides apply --------------------------------------------------------
    def accepts_token(self, token: bytes | str) -> bool:
        """Whether ``token`` is this endpoint's bearer token (compared in constant time)."""
        if not self.token_hash:
            return False
        token = token.encode() if isinstance(token, str) else token
        return hmac.compare_digest(salted(self.token_salt or "", hashlib.sha256(token).hexdigest()),
                                   self.token_hash)

    @property
    def baking(self) -> Rollout | None:
        """The rollout the controller watches, if one is baking."""
        return self.rollout if self.rollout is not None and self.rollout.baking else None

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)

    def production_weights(self) -> dict[str, float]:
        return {v.name: float(v.weight) for v in self.variants if v.role == Role.PRODUCTION}

    def shadow_fractions(self) -> dict[str, float]:
        """Shadow variant -> the share of requests copied to it (0..1)."""
        return {v.name: float(100 if v.shadow_percent is None else v.shadow_percent) / 100.0
                for v in self.variants if v.role == Role.SHADOW}

    def apply_weights(self, weights: dict[str, float]) -> None:
        for v in self.variants:
            if v.role == Role.PRODUCTION and v.name in weights:
                v.weight = float(weights[v.name])

    def keep_only(self, name: str) -> None:
        """``name`` takes all traffic; the other production variants leave, shadows stay."""
        self.variants = [v for v in self.variants if v.name == name or v.role == Role.SHADOW]
        self.apply_weights({name: 100.0})

    def push_history(self, reason: str) -> None:
        """Remember the variants before a change, so that rollback can restore them."""
        self.history.append(HistoryEntry(time.time(), reason, [v.copy() for v in self.variants]))
        del self.history[:-HISTORY_LIMIT]

    def finish_rollback(self, reason: str) -> None:
        """Restore the variants recorded when the rollout began."""
        rollout = self.rollout
        if rollout is None:
            return
        self.variants = [v.copy() for v in rollout.previous_variants]
        rollout.status, rollout.reason, rollout.finished_at = RolloutStatus.ROLLED_BACK, reason, time.time()
        self.status = "running"
        self.status_reason = f"rolled back {rollout.variant}: {reason}"

    def all_signatures(self) -> dict[str, dict | None]:
        """The signature of every variant that ever served here, current ones last (they win)."""
        out = dict(self.signatures)
        for entry in self.history:
            out.update({v.name: v.signature for v in entry.variants})
        out.update({v.name: v.signature for v in self.variants})
        for v in self.rollout.previous_variants if self.rollout else []:
            out.setdefault(v.name, v.signature)
        return out


def salted(salt: str, token_sha256: str) -> str:
    return hashlib.sha256(f"{salt}:{token_sha256}".encode()).hexdigest()


def weights_for_step(previous: dict[str, float], new: str, percent: float) -> dict[str, float]:
    """New variant at ``percent``; the previous variants share the rest in their old proportions."""
    total = sum(previous.values())
    out = {name: (w / total) * (100.0 - percent) if total else 0.0 for name, w in previous.items()
           if name != new}
    out[new] = float(percent)
    return out


# -- where an endpoint keeps its files -----------------------------------------------------------

@dataclass(frozen=True)
class EndpointPaths:
    home: Path | str
    name: str

    @property
    def dir(self) -> Path:
        return Path(self.home) / "endpoints" / self.name

    @property
    def config(self) -> Path:
        return self.dir / "config.json"

    @property
    def workers(self) -> Path:
        return self.dir / "workers"

    def worker_report(self, index: int) -> Path:
        return self.workers / f"{index}.json"

    @property
    def history(self) -> Path:
        """Each worker's ended request-history intervals (``serving/history.py``)."""
        return self.dir / "history"

    def worker_history(self, index: int) -> Path:
        return self.history / f"{index}.json"

    @property
    def server(self) -> Path:
        """``server.json``: pid, port, url and worker pids, written once the endpoint listens."""
        return self.dir / "server.json"

    @property
    def log(self) -> Path:
        return self.dir / "log"

    @property
    def serverless(self) -> Path:
        """``serverless.json``: warm or cold, cold starts (count, last duration), written by the
        serverless supervisor (``endpoint/serverless.py``)."""
        return self.dir / "serverless.json"

    @property
    def events(self) -> Path:
        """The rollout controller's own log of steps and rollbacks (JSON lines)."""
        return self.dir / "events.jsonl"

    @property
    def token(self) -> Path:
        return self.dir / "token"

    @property
    def artifacts(self) -> Path:
        """Local copies of artifacts kept in a remote artifact store."""
        return self.dir / "artifacts"

    @property
    def capture_dir(self) -> Path:
        return Path(self.home) / "capture" / self.name


# -- the config file -----------------------------------------------------------------------------

class ConfigFile:
    """The config file, signed: whoever writes it (the kernel, the rollout controller) signs it
    with this user's key, and it is read only when a trusted key signed exactly what it holds, so
    an edit by hand or by anyone else is refused instead of loaded (it names artifacts to load)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    def read(self) -> EndpointConfig:
        from ..trust import keyring

        with open(self.path, "rb") as fh:
            document = json.loads(fh.read())
        signature = document.pop("signature", None) if isinstance(document, dict) else None
        keyring().require(CONFIG_SIGNATURE, document, signature, f"The endpoint config {self.path}")
        return EndpointConfig.from_dict(document)

    def write(self, config: EndpointConfig) -> None:
        """Sign and atomically replace the file (readers never see half a file), owner-only."""
        from ..lineage import actor
        from ..trust import keyring, write_private

        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = json.loads(json.dumps(config.to_dict(), default=str))
        document["signature"] = keyring().sign(CONFIG_SIGNATURE, document, actor())
        write_private(self.path, json.dumps(document, indent=1).encode())

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name("config.lock"), "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def updating(self) -> Iterator[EndpointConfig]:
        """Read-modify-write under the lock; the next generation is written on a clean exit."""
        with self.locked():
            config = self.read()
            yield config
            config.generation += 1
            config.updated_at = time.time()
            self.write(config)


# -- what the endpoint reports back ---------------------------------------------------------------

def read_json(path: Path) -> dict | None:
    """A JSON file another process replaces atomically: None while it does not exist yet."""
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def read_worker_reports(paths: EndpointPaths) -> list[dict[str, Any]]:
    """Every worker's latest report (acknowledged generation, error, metric snapshot)."""
    if not paths.workers.exists():
        return []
    return [r for r in (read_json(p) for p in sorted(paths.workers.glob("*.json"))) if r is not None]


def read_history(paths: EndpointPaths) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The workers' reports, then their history files (that order: ``serving/history.py``)."""
    reports = read_worker_reports(paths)
    files = ([d for d in (read_json(p) for p in sorted(paths.history.glob("*.json"))) if d is not None]
             if paths.history.exists() else [])
    return reports, files


def read_events(paths: EndpointPaths) -> list[dict[str, Any]]:
    try:
        text = paths.events.read_text()
    except OSError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]
