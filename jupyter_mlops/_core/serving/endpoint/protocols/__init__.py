"""Wire protocol adapters, one per protocol: ``sagemaker`` (the SageMaker runtime API),
``open_inference`` (KServe V2 / Triton), ``multi_model`` (SageMaker's multi-model container API,
``/models``), ``mlflow`` (``/invocations``: the SageMaker container
contract with MLflow's scoring formats). ``base`` defines what an adapter is."""

from .base import Decoded, Reply, Request, WireProtocol
from .mlflow import MlflowScoring
from .multi_model import MultiModelContainer
from .open_inference import OpenInference
from .sagemaker import SageMakerRuntime


def default_protocols() -> tuple[WireProtocol, ...]:
    """In the order the app asks them: the most specific paths first, MLflow's shape last (it
    owns the errors of every path the others do not)."""
    return (SageMakerRuntime(), OpenInference(), MultiModelContainer(), MlflowScoring())


__all__ = ["Decoded", "Reply", "Request", "WireProtocol", "default_protocols"]
