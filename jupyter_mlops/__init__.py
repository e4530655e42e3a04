"""jupyter_mlops: take a scikit-learn model from a notebook to a monitored, versioned, safely
rolled-out local service and back through retraining, without leaving Jupyter.

    %load_ext jupyter_mlops
    %mlops register clf --name churn --data X --target y

or ``import jupyter_mlops as mlops; ws = mlops.Workspace()``.
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
    PayloadError,
    PipelineError,
    PolicyViolation,
    RegistryError,
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
    "InsufficientData",
    "PipelineError",
    "SchedulerError",
    "ScheduleNotFound",
    "Endpoint",
    "ShadowReport",
    "BatchJob",
    "Baseline",
    "MonitoringReport",
    "DriftReport",
    "QualityReport",
    "BiasReport",
    "AttributionReport",
    "ConceptDriftReport",
    "Schedule",
    "SchedulerStatus",
    "AuditAnchor",
    "TrustedKey",
    "GroundTruthUpload",
    "GateVerdict",
    "Replay",
    "load_ipython_extension",
    "unload_ipython_extension",
]

# Result types of the parts, imported on first use so that `import jupyter_mlops` stays light.
_LAZY = {
    "Endpoint": "._core.serving.control.results",
    "ShadowReport": "._core.serving.control.results",
    "BatchJob": "._core.serving.control.batch",
    "Baseline": "._core.monitor.reports.monitoring",
    "MonitoringReport": "._core.monitor.reports.monitoring",
    "DriftReport": "._core.monitor.reports.drift",
    "QualityReport": "._core.monitor.reports.quality",
    "BiasReport": "._core.monitor.reports.bias",
    "AttributionReport": "._core.monitor.reports.attribution",
    "ConceptDriftReport": "._core.monitor.reports.concept",
    "Schedule": "._core.scheduler.results",
    "SchedulerStatus": "._core.scheduler.results",
    "AuditAnchor": "._core.audit",
    "TrustedKey": "._core.trust",
    "GroundTruthUpload": "._core.serving.control.results",
    "GateVerdict": "._core.pipelines.gate",
    "Replay": "._core.pipelines.replay",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'jupyter_mlops' has no attribute {name!r}")


def load_ipython_extension(ipython):
    """``%load_ext jupyter_mlops``: registers ``%mlops`` / ``%%mlops``; prints nothing."""
    from .magics import load

    load(ipython)


def unload_ipython_extension(ipython):
    from .magics import unload

    unload(ipython)
