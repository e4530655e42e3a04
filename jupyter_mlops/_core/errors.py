"""One rooted error tree. Every error a user can see is an ``MlopsError``::

    MlopsError
    ├── InvalidName                 a model, alias, tag, endpoint or dataset name is not allowed
    ├── InvalidInput                an argument has the wrong shape or value
    ├── Conflict                    the action conflicts with the current state (a rollout in
    │                               progress, a running process started with other settings)
    ├── WorkspaceError              the workspace cannot be opened or used
    │   └── StoreError              the metadata database refused an operation
    │       ├── StoreFull           its disk (or its size limit) is full
    │       ├── StoreDamaged        the database file is corrupt: restore or recover it
    │       ├── StoreLocked         another connection held the write lock too long
    │       ├── StorePermissionDenied  this user may not write the database or its folder
    │       ├── StoreUnreachable    the database server does not answer (connection refused)
    │       └── UnrecognizedStore   the file is empty or another application's: left untouched
    ├── ArtifactError
    │   ├── ArtifactNotFound        an artifact file is missing
    │   ├── ArtifactIntegrityError  an artifact's sha256 is not the one recorded
    │   └── UntrustedArtifact       code from the workspace no trusted key signed (a pickle, a config)
    ├── RegistryError
    │   ├── ModelNotFound           unknown model, version or alias (close matches listed)
    │   ├── DatasetNotFound
    │   ├── UnsupportedModel        the object cannot be saved as a model
    │   └── PolicyViolation         the workspace policy forbids the action (e.g. unapproved promote)
    ├── AuditError
    ├── ServingError
    │   ├── EndpointNotFound
    │   ├── DeployError             an endpoint or version could not start or failed its smoke test
    │   ├── PayloadError            a request body does not fit the model's signature or format
    │   │   ├── PayloadTooLarge     over the endpoint's payload limit
    │   │   ├── UnsupportedMediaType
    │   │   └── NotAcceptable       the client accepts no format the endpoint answers in
    │   ├── RequestRejected         the endpoint refused a request before running a model
    │   │   ├── Unauthorized        no token, or the wrong one
    │   │   ├── InvalidRequest      the request names an endpoint or variant this one is not
    │   │   ├── RouteNotFound       no such path or model
    │   │   ├── MethodNotAllowed
    │   │   └── Throttled           over a serverless endpoint's max_concurrency
    │   ├── RequestTimeout          the request body did not arrive in time
    │   ├── NoVariantAvailable      no variant takes traffic (every weight is 0)
    │   ├── ModelError              the model raised while predicting
    │   ├── ModelTimeout            the model did not answer within the request timeout
    │   └── InternalFailure         the endpoint failed on its own account (not the model)
    ├── MonitorError
    │   ├── BaselineNotFound
    │   ├── ReportNotFound          no stored monitoring report has that id, or its file is gone
    │   └── InsufficientData        a window too small to compute a statistic
    └── PipelineError
        ├── RunFailed               a retraining run failed (its notebook, promotion or deploy);
        │                           ``.run`` is the recorded ``Run``
        ├── NotReproducible         a version no run recorded (registered by hand), or whose
        │                           recorded notebook can no longer be found
        └── SchedulerError          the scheduler daemon cannot start, stop or run a job
            └── ScheduleNotFound    no schedule has that id (close matches listed)

HTTP statuses come from this tree in one place, :data:`HTTP_STATUS` (read through
:func:`http_status`): the endpoint's wire adapters, the CLI and the REST routes all ask it. A
protocol that has codes of its own (SageMaker's ``ValidationError``, ``ModelError``) maps these
classes to them in its adapter.
"""

from __future__ import annotations

import os

import difflib
from collections.abc import Iterable


class MlopsError(Exception):
    """Base of every jupyter_mlops error."""

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

    @property
    def http_status(self) -> int:
        return http_status(self)

    def _render_traceback_(self) -> list[str]:
        """What IPython shows when this error ends a cell: one line, ``ModelNotFound: No model
        named 'chrun'. Did you mean: churn?``, instead of a traceback through our internals.

        IPython asks any exception for this method before formatting a traceback, so the line
        applies in every kernel with or without ``%load_ext jupyter_mlops`` and leaves other
        extensions' ``set_custom_exc`` handlers alone. The error is still raised (``except``
        catches it, ``%debug`` walks its traceback). Plain strings: ``_core`` never imports
        IPython. The name is red unless ``NO_COLOR`` is set (https://no-color.org)."""
        if os.environ.get("NO_COLOR"):
            return [f"{type(self).__name__}: {self}"]
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


class InvalidName(MlopsError):
    pass


class InvalidInput(MlopsError):
    pass


class Conflict(MlopsError):
    pass


class WorkspaceError(MlopsError):
    pass


class StoreError(WorkspaceError):
    pass


class StoreFull(StoreError):
    pass


class StoreDamaged(StoreError):
    pass


class StoreLocked(StoreError):
    pass


class StorePermissionDenied(StoreError):
    pass


class StoreUnreachable(StoreError):
    pass


class UnrecognizedStore(StoreError):
    pass


class ArtifactError(MlopsError):
    pass


class ArtifactNotFound(ArtifactError):
    pass


class ArtifactIntegrityError(ArtifactError):
    pass


class UntrustedArtifact(ArtifactError):
    pass


class RegistryError(MlopsError):
    pass


class ModelNotFound(RegistryError):
    pass


class DatasetNotFound(RegistryError):
    pass


class UnsupportedModel(RegistryError):
    pass


class PolicyViolation(RegistryError):
    pass


class AuditError(MlopsError):
    pass


class ServingError(MlopsError):
    pass


class EndpointNotFound(ServingError):
    pass


class AsyncRequestNotFound(ServingError):
    """No asynchronous request with that InferenceId on the endpoint."""


class DeployError(ServingError):
    pass


class PayloadError(ServingError):
    pass


class PayloadTooLarge(PayloadError):
    pass


class UnsupportedMediaType(PayloadError):
    pass


class NotAcceptable(PayloadError):
    pass


class RequestRejected(ServingError):
    pass


class Unauthorized(RequestRejected):
    pass


class InvalidRequest(RequestRejected):
    pass


class RouteNotFound(RequestRejected):
    pass


class MethodNotAllowed(RequestRejected):
    pass


class RequestTimeout(ServingError):
    pass


class Throttled(RequestRejected):
    """More requests at once than the endpoint's ``max_concurrency`` (SageMaker's
    ``ThrottlingException``)."""


class ModelNotLoaded(RouteNotFound):
    """A multi-model endpoint's model that is not loaded now (the container API's 404)."""


class ModelAlreadyLoaded(RequestRejected):
    """``POST /models`` of a model a multi-model endpoint has loaded already (409)."""


class ModelOverMemoryBudget(ServingError):
    """A model that alone does not fit a multi-model endpoint's memory budget (507)."""


class NoVariantAvailable(ServingError):
    pass


class ModelError(ServingError):
    pass


class ModelTimeout(ServingError):
    pass


class InternalFailure(ServingError):
    pass


class MonitorError(MlopsError):
    pass


class BaselineNotFound(MonitorError):
    pass


class ReportNotFound(MonitorError):
    pass


class InsufficientData(MonitorError):
    pass


class PipelineError(MlopsError):
    pass


class RunFailed(PipelineError):
    """A retraining run failed; ``run`` is its record (status ``failed``, the failing cell's index,
    error name and message in ``run.failure``, the output notebook kept as an artifact)."""

    def __init__(self, message: str, run, *, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.run = run


class NotReproducible(PipelineError):
    """``Workspace.reproduce`` cannot re-run what made the version: it was registered outside a
    run, or its notebook changed and the run's executed copy is gone."""


class SchedulerError(PipelineError):
    pass


class ScheduleNotFound(SchedulerError):
    pass


#: The status a server answers with for each class; a class not listed takes its nearest
#: listed ancestor's, and anything else (ours or not) is a 500.
HTTP_STATUS: dict[type[MlopsError], int] = {
    InvalidName: 400,
    InvalidInput: 400,
    Conflict: 409,
    StoreFull: 507,
    StoreLocked: 503,
    StoreUnreachable: 503,
    ArtifactNotFound: 404,
    UntrustedArtifact: 403,
    ModelNotFound: 404,
    DatasetNotFound: 404,
    UnsupportedModel: 400,
    PolicyViolation: 403,
    EndpointNotFound: 404,
    PayloadError: 400,
    PayloadTooLarge: 413,
    UnsupportedMediaType: 415,
    NotAcceptable: 406,
    Unauthorized: 401,
    InvalidRequest: 400,
    RouteNotFound: 404,
    MethodNotAllowed: 405,
    Throttled: 429,
    RequestTimeout: 408,
    ModelNotLoaded: 404,
    ModelAlreadyLoaded: 409,
    ModelOverMemoryBudget: 507,
    NoVariantAvailable: 503,
    ModelError: 500,
    ModelTimeout: 504,
    InternalFailure: 500,
    BaselineNotFound: 404,
    ReportNotFound: 404,
    InsufficientData: 400,
    ScheduleNotFound: 404,
    NotReproducible: 409,
}


def http_status(error: BaseException) -> int:
    """The HTTP status a server answers with for ``error`` (500 for anything not ours)."""
    if isinstance(error, MlopsError):
        for cls in type(error).__mro__:
            status = HTTP_STATUS.get(cls)
            if status is not None:
                return status
    return 500
