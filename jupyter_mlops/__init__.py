"""jupyter_mlops: take a scikit-learn model from a notebook to a monitored, versioned, safely
rolled-out local service and back through retraining, without leaving Jupyter.

    %load_ext jupyter_mlops
    %mlops register clf --name churn --data X --target y

or ``import jupyter_mlops as mlops; ws = mlops.Workspace()``. Inside a retraining run's notebook,
``mlops.context()`` says which run it is (and why it started) and ``mlops.output(key, value)``
hands a value to the run and to later steps.
"""

from ._core.audit import AuditCheck
from ._core.policy import Policy
from ._core.registry.results import DatasetVersion, ModelVersion
from ._core.errors import (
    ArtifactError,
    ArtifactIntegrityError,
    ArtifactNotFound,
    AuditError,
    Conflict,
    BaselineNotFound,
    DatasetNotFound,
    DeployError,
    EndpointNotFound,
    InsufficientData,
    InvalidInput,
    InvalidName,
    MlopsError,
    ModelNotFound,
    MonitorError,
    NotReproducible,
    PayloadError,
    PipelineError,
    PolicyViolation,
    RegistryError,
    ReportNotFound,
    RunFailed,
    ScheduleNotFound,
    SchedulerError,
    ServingError,
    StoreDamaged,
    StoreError,
    StoreFull,
    StoreLocked,
    StorePermissionDenied,
    StoreUnreachable,
    UnrecognizedStore,
    UnsupportedModel,
    UntrustedArtifact,
    WorkspaceError,
)
from ._core.displays import set_default_display as _set_default_display
from ._core.workspace import Workspace, WorkspaceStatus
from ._version import __version__

__all__ = [
    "__version__",
    "Workspace",
    "WorkspaceStatus",
    "ModelVersion",
    "DatasetVersion",
    "AuditCheck",
    "Policy",
    "MlopsError",
    "InvalidName",
    "InvalidInput",
    "WorkspaceError",
    "StoreError",
    "StoreFull",
    "StoreDamaged",
    "StoreLocked",
    "StorePermissionDenied",
    "StoreUnreachable",
    "UnrecognizedStore",
    "ArtifactError",
    "ArtifactNotFound",
    "ArtifactIntegrityError",
    "UntrustedArtifact",
    "Conflict",
    "RegistryError",
    "ModelNotFound",
    "DatasetNotFound",
    "UnsupportedModel",
    "PolicyViolation",
    "AuditError",
    "ServingError",
    "EndpointNotFound",
    "DeployError",
    "PayloadError",
    "MonitorError",
    "BaselineNotFound",
    "ReportNotFound",
    "InsufficientData",
    "PipelineError",
    "RunFailed",
    "NotReproducible",
    "SchedulerError",
    "ScheduleNotFound",
    "Endpoint",
    "ShadowReport",
    "EndpointHistory",
    "DriftHistory",
    "BatchJob",
    "RolloutWatch",
    "Baseline",
    "MonitoringReport",
    "DriftReport",
    "QualityReport",
    "BiasReport",
    "AttributionReport",
    "ConceptDriftReport",
    "Schedule",
    "SchedulerStatus",
    "ScheduledRun",
    "Run",
    "Sweep",
    "context",
    "output",
    "panel",
    "AuditAnchor",
    "TrustedKey",
    "GroundTruthUpload",
    "GateVerdict",
    "Replay",
    "Reproduction",
    "load_ipython_extension",
    "unload_ipython_extension",
]

# Result types of the parts, imported on first use so that `import jupyter_mlops` stays light.
_LAZY = {
    "Endpoint": "._core.serving.control.results",
    "ShadowReport": "._core.serving.control.results",
    "EndpointHistory": "._core.serving.control.history",
    "DriftHistory": "._core.scheduler.drift_history",
    "BatchJob": "._core.serving.control.batch",
    "RolloutWatch": "._core.serving.control.watch",
    "Baseline": "._core.monitor.reports.monitoring",
    "MonitoringReport": "._core.monitor.reports.monitoring",
    "DriftReport": "._core.monitor.reports.drift",
    "QualityReport": "._core.monitor.reports.quality",
    "BiasReport": "._core.monitor.reports.bias",
    "AttributionReport": "._core.monitor.reports.attribution",
    "ConceptDriftReport": "._core.monitor.reports.concept",
    "Schedule": "._core.scheduler.results",
    "SchedulerStatus": "._core.scheduler.results",
    "ScheduledRun": "._core.scheduler.results",
    "Run": "._core.pipelines.runs",
    "Sweep": "._core.pipelines.sweep_results",
    "AuditAnchor": "._core.audit",
    "TrustedKey": "._core.trust",
    "GroundTruthUpload": "._core.serving.control.results",
    "GateVerdict": "._core.pipelines.gate",
    "Replay": "._core.pipelines.replay",
    "Reproduction": "._core.pipelines.reproduction",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'jupyter_mlops' has no attribute {name!r}")


def _live_display():
    """What ``wait=True`` shows when the caller gives no ``on_update`` (``_live.py``: the core
    imports no view library, so the package hands it this)."""
    from ._live import for_this_process

    return for_this_process()


_set_default_display(_live_display)


def context():
    """Where this notebook runs: inside a retraining run, its id, trigger (manual, a schedule, a
    drift report), parameters and folder, with ``load(ref)`` and ``captured(...)``; opened by
    hand, a "manual" context (``context().in_run`` is False)."""
    from ._core.pipelines.context import current

    return current(Workspace)


def output(key: str, value):
    """Inside a run, hand ``value`` (JSON or a DataFrame) on under ``key``: the run records it
    (numbers as metrics) and later pipeline steps that declare a parameter ``key`` receive it.
    Outside a run it is kept in this kernel only. Returns ``value``."""
    from ._core.pipelines.context import output as keep

    return keep(key, value)


def panel(ws=None, part=None, interval=3.0):
    """The control panel (ipywidgets) over ``ws`` (default: ``Workspace()``): registry, endpoints,
    drift and jobs, or one ``part`` of them; it refreshes every ``interval`` seconds in the
    background until ``close()``. The same as ``%mlops panel [part]``."""
    from .widgets import panel as make

    return make(ws, part=part, interval=interval)


def _jupyter_server_extension_points():
    """Jupyter's hook: this package is a server extension (the REST API of the "MLOps" sidebar)."""
    return [{"module": "jupyter_mlops"}]


def _load_jupyter_server_extension(server_app):
    """Jupyter's hook: add the REST routes under ``/jupyter-mlops/api/`` (tornado and the routes
    are imported here, never by ``import jupyter_mlops``)."""
    from .server import load

    load(server_app)


def _jupyter_labextension_paths():
    """Where the prebuilt JupyterLab "MLOps" sidebar is (``jupyter labextension develop``); a
    wheel installs it into ``share/jupyter/labextensions/jupyter-mlops`` itself."""
    return [{"src": "labextension", "dest": "jupyter-mlops"}]


def load_ipython_extension(ipython):
    """``%load_ext jupyter_mlops``: registers ``%mlops`` / ``%%mlops``; prints nothing."""
    from .magics import load

    load(ipython)


def unload_ipython_extension(ipython):
    from .magics import unload

    unload(ipython)


def _warm_up_when_idle() -> None:
    # a kernel imports what the first register needs after this cell, while a person reads it
    from ._idle import schedule_warm_up

    schedule_warm_up()


_warm_up_when_idle()
