"""One rooted error tree. Every error a user can see is an ``MlopsError``::

    MlopsError
    ├── InvalidName                 a model, alias, tag, endpoint or dataset name is not allowed
    ├── InvalidInput                an argument has the wrong shape or value
    ├── WorkspaceError              the workspace cannot be opened or used
    │   └── StoreError              the metadata database refused an operation
    ├── ArtifactError
    │   ├── ArtifactNotFound        an artifact file is missing
    │   └── ArtifactIntegrityError  an artifact's sha256 is not the one recorded
    ├── RegistryError
    │   ├── ModelNotFound           unknown model, version or alias (close matches listed)
    │   ├── DatasetNotFound
    │   ├── UnsupportedModel        the object cannot be saved as a model
    │   └── PolicyViolation         the workspace policy forbids the action (e.g. unapproved promote)
    ├── AuditError
    ├── ServingError
    │   ├── EndpointNotFound
    │   ├── DeployError             an endpoint or version could not start or failed its smoke test
    │   └── PayloadError            a request body does not fit the model's signature or format
    ├── MonitorError
    │   ├── BaselineNotFound
    │   └── InsufficientData        a window too small to compute a statistic
    └── PipelineError
        └── SchedulerError          the scheduler daemon cannot start, stop or run a job
            └── ScheduleNotFound    no schedule has that id (close matches listed)

``http_status`` maps each class to the status a server answers with (one table, used by every
HTTP view).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class MlopsError(Exception):
    """Base of every jupyter_mlops error."""

    http_status = 500

    def __init__(self, message: str, *, hint: str | None = None, candidates: Iterable[str] = (),
                 wanted: str | None = None):
        """``wanted`` and ``candidates``: the name the user typed and the names that exist; the
        close matches are listed in the message (``Did you mean: churn?``)."""
        self.message = message
        self.close_matches = (
            difflib.get_close_matches(wanted, list(candidates), n=5, cutoff=0.5) if wanted else []
        )
        if hint is None and self.close_matches:
            hint = f"Did you mean: {', '.join(self.close_matches)}?"
        self.hint = hint
        super().__init__(message if not hint else f"{message} {hint}")


class InvalidName(MlopsError):
    http_status = 400


class InvalidInput(MlopsError):
    http_status = 400


class WorkspaceError(MlopsError):
    pass


class StoreError(WorkspaceError):
    pass


class ArtifactError(MlopsError):
    pass


class ArtifactNotFound(ArtifactError):
    http_status = 404


class ArtifactIntegrityError(ArtifactError):
    pass


class RegistryError(MlopsError):
    pass


class ModelNotFound(RegistryError):
    http_status = 404


class DatasetNotFound(RegistryError):
    http_status = 404


class UnsupportedModel(RegistryError):
    http_status = 400


class PolicyViolation(RegistryError):
    http_status = 403


class AuditError(MlopsError):
    pass


class ServingError(MlopsError):
    pass


class EndpointNotFound(ServingError):
    http_status = 404


class DeployError(ServingError):
    pass


class PayloadError(ServingError):
    http_status = 400


class MonitorError(MlopsError):
    pass


class BaselineNotFound(MonitorError):
    http_status = 404


class InsufficientData(MonitorError):
    http_status = 400


class PipelineError(MlopsError):
    pass


class SchedulerError(PipelineError):
    pass


class ScheduleNotFound(SchedulerError):
    http_status = 404


def http_status(error: BaseException) -> int:
    """The HTTP status a server answers with for ``error`` (500 for anything not ours)."""
    return getattr(error, "http_status", 500) if isinstance(error, MlopsError) else 500
