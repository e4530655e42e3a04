"""jupyter_mlops: take a scikit-learn model from a notebook to a monitored, versioned, safely
rolled-out local service and back through retraining, without leaving Jupyter.

    %load_ext jupyter_mlops
    %mlops register clf --name churn --data X --target y

or ``import jupyter_mlops as mlops; ws = mlops.Workspace()``.
"""

from ._core.entities import AuditCheck, DatasetVersion, ModelVersion, Policy
from ._core.errors import (
    ArtifactError,
    ArtifactIntegrityError,
    ArtifactNotFound,
    AuditError,
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
    StoreError,
    UnsupportedModel,
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
    "ArtifactError",
    "ArtifactNotFound",
    "ArtifactIntegrityError",
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
    "load_ipython_extension",
    "unload_ipython_extension",
]


def load_ipython_extension(ipython):
    """``%load_ext jupyter_mlops``: registers ``%mlops`` / ``%%mlops``; prints nothing."""
    from .magics import load

    load(ipython)


def unload_ipython_extension(ipython):
    from .magics import unload

    unload(ipython)
