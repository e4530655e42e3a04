"""An InvokeEndpointAsync request (its ``X-Amzn-SageMaker-*`` headers) turned into a queued
``Job`` with its output and failure locations.

Locations: the deploy option ``async_inference={"output": PREFIX, "failure": PREFIX}`` (a folder
or any fsspec URL, like SageMaker's ``S3OutputPath``/``S3FailurePath``), else
``<endpoint>/async/output/<id>.out`` and ``<endpoint>/async/failure/<id>-error.out``.
"""

from __future__ import annotations

from ...errors import InvalidRequest
from .queue import DEFAULT_INVOCATION_TIMEOUT, DEFAULT_TTL, ID_PATTERN, Job, new_id

MAX_TTL = 21600.0           # SageMaker: RequestTTLSeconds 60-21600
MAX_INVOCATION_TIMEOUT = 3600.0


def _seconds(header, name: str, default: float, limit: float) -> float:
    text = header(f"x-amzn-sagemaker-{name.lower()}".encode())
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise InvalidRequest(f"{name} must be a number of seconds, got {text!r}.") from None
    if not 0 < value <= limit:
        raise InvalidRequest(f"{name} must be between 1 and {limit:g} seconds, got {text}.")
    return value


def already_used(job_id: str, endpoint: str) -> InvalidRequest:
    return InvalidRequest(f"InferenceId {job_id!r} was already used on endpoint {endpoint!r}.")


def _join(prefix: str, name: str) -> str:
    return prefix.rstrip("/") + "/" + name


def job_from_headers(header, live, queue) -> Job:
    location = header(b"x-amzn-sagemaker-inputlocation")
    if not location:
        raise InvalidRequest("InputLocation is required: the path or URL of the request's input.")
    job_id = header(b"x-amzn-sagemaker-inference-id") or new_id()
    if not ID_PATTERN.match(job_id):
        raise InvalidRequest(f"InferenceId {job_id!r} is not valid: up to 64 letters, digits and "
                             "'.', '_', ':' or '-', starting with a letter or digit.")
    if queue.exists(job_id):
        raise already_used(job_id, live.name)
    settings = dict(getattr(live.config, "async_inference", None) or {})
    extension = (header(b"x-amzn-sagemaker-s3outputpathextension") or "").strip("/")
    if ".." in extension.split("/"):  # stays under the output prefix
        raise InvalidRequest(f"S3OutputPathExtension {extension!r} must not contain '..'.")
    output_root = settings.get("output") or str(queue.root / "output")
    failure_root = settings.get("failure") or str(queue.root / "failure")
    if extension:
        output_root = _join(output_root, extension)
    filename = header(b"x-amzn-sagemaker-filename") or f"{job_id}.out"
    if "/" in filename or "\\" in filename or filename in (".", ".."):
        raise InvalidRequest(f"Filename {filename!r} must be a plain file name.")
    return Job(id=job_id, input=location, output=_join(output_root, filename),
               failure=_join(failure_root, f"{job_id}-error.out"),
               content_type=header(b"x-amzn-sagemaker-content-type"),
               accept=header(b"x-amzn-sagemaker-accept"),
               custom_attributes=header(b"x-amzn-sagemaker-custom-attributes"),
               ttl_s=_seconds(header, "RequestTTLSeconds", DEFAULT_TTL, MAX_TTL),
               timeout_s=_seconds(header, "InvocationTimeoutSeconds", DEFAULT_INVOCATION_TIMEOUT,
                                  MAX_INVOCATION_TIMEOUT))
