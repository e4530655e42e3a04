"""The narrow collaborators the parts receive from the composition root (``workspace.py``).

A part never receives the ``Workspace``: it is handed only what it uses, typed here, so that the
constructor of each part says what it depends on and every dependency points down (see
ARCHITECTURE.md). The registry, the audit log and serving satisfy these structurally; nothing has
to inherit from them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # the types only: importing them here would load pandas and the parts
    from .registry.results import ModelVersion
    from .scheduler.results import Schedule
    from .serving.control.results import Endpoint


class AuditRecorder(Protocol):
    """Appends to the audit log in a transaction of its own (for changes outside the database)."""

    def record(self, action: str, target: str, details: dict | None = None,
               actor: str | None = None) -> int: ...


class AuditAppender(AuditRecorder, Protocol):
    """Also appends inside the caller's write transaction, so the change and its entry commit
    together."""

    def append(self, session, action: str, target: str, details: dict | None = None,
               actor: str | None = None) -> int: ...


class ArtifactSource(Protocol):
    """Content-addressed artifacts, verified by sha256 on every read."""

    def put_bytes(self, data: bytes) -> str: ...

    def get_bytes(self, sha256: str) -> bytes: ...

    def local_path(self, sha256: str) -> Path | None: ...


class VersionSource(Protocol):
    """Registered versions: what a reference names, its model object, its kept sample rows."""

    def get(self, ref: Any) -> "ModelVersion": ...

    def load(self, ref: Any) -> Any: ...

    def sample(self, ref: Any) -> dict | None: ...

    def version_id(self, ref: Any) -> int: ...


class VersionReleaser(VersionSource, Protocol):
    """Also decides about a version: what a retraining run does once its gate has spoken."""

    def approve(self, ref: Any, comment: str | None = None) -> "ModelVersion": ...

    def reject(self, ref: Any, comment: str | None = None) -> "ModelVersion": ...

    def promote(self, ref: Any, alias: str) -> "ModelVersion": ...


class ReproductionRecorder(Protocol):
    """Keeps a version's latest reproduction on its record, with an audit entry (the policy's
    ``require_reproduction`` reads it)."""

    def record_reproduction(self, ref: Any, reproduction: dict) -> "ModelVersion": ...


class DatasetSource(Protocol):
    """Versioned datasets by reference (``name`` or ``name:N``)."""

    def load(self, ref: Any) -> Any: ...


class TrafficSource(Protocol):
    """What monitoring and replays need of serving: which names are endpoints, their variants,
    and their captured requests (with the ground truth uploaded for them, when asked)."""

    def exists(self, endpoint: str) -> bool: ...

    def describe(self, endpoint: str) -> "Endpoint": ...

    def captured(self, endpoint: str, since: Any = None, with_ground_truth: bool = False) -> Any: ...


class EndpointDirectory(Protocol):
    """The names of the endpoints a schedule may watch."""

    def names(self) -> list[str]: ...


class Deployer(Protocol):
    """Rolls a version out to an endpoint (a canary, blue/green, …, or a new endpoint)."""

    def deploy(self, ref: Any, endpoint: str, *, strategy: str | None = None, percent: float | None = None,
               bake: float | None = None, guardrails: dict | None = None) -> "Endpoint": ...


class ScheduleMaker(Protocol):
    """Stores a schedule of a job kind for the scheduler daemon to run."""

    def add(self, kind: str, target: str, every: Any = None, cron: str | None = None, options: dict | None = None,
            id: str | None = None, timezone: str | None = None, on_event: str | None = None) -> "Schedule": ...
