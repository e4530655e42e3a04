"""The SageMaker runtime API as boto3's ``sagemaker-runtime`` client sends it:
``POST /endpoints/{name}/invocations`` (InvokeEndpoint) and
``POST /endpoints/{name}/invocations-response-stream`` (InvokeEndpointWithResponseStream, answered
with AWS event-stream frames), with ``TargetVariant``, ``InferenceId``, ``CustomAttributes`` and
``Accept`` headers.

Bodies are CSV, JSON or NPY (``application/x-npy``, what the SageMaker Python SDK's
``NumpySerializer`` sends and ``NumpyDeserializer`` asks for by default). A JSON answer is the bare
array of predictions, as AWS's scikit-learn container answers (its ``array_to_json``), which the
SDK's ``JSONDeserializer`` and ``NumpyDeserializer`` both turn into the predictions; only a request
that is a JSON object (MLflow's ``dataframe_split``, ``dataframe_records``, ``instances``,
``inputs``, or one record) gets MLflow's ``{"predictions": [...]}``, the answer that dialect expects.

Errors take the shapes botocore turns into ``ClientError``s: the runtime service's own refusals
(``ValidationError``, ``AccessDeniedException``, ``ServiceUnavailable``, ``InternalFailure``)
with their statuses, and everything the model container answered with an error wrapped as
``ModelError`` (424) carrying the container's status, as AWS does.

Reference: the Amazon SageMaker Runtime API reference (InvokeEndpoint, errors).
"""

from __future__ import annotations

import uuid
from urllib.parse import unquote

import orjson

from ....errors import (InternalFailure, InvalidRequest, Throttled, MlopsError, ModelError,
                        NoVariantAvailable, PayloadTooLarge, RequestTimeout, Unauthorized,
                        http_status)
from ...inference import codec
from . import eventstream
from .base import JSON, Decoded, Reply, Request, WireProtocol, pick_variant

PREFIX = "/endpoints/"
SUFFIXES = {"/invocations": False, "/invocations-response-stream": True}
ASYNC_SUFFIX = "/async-invocations"
ERROR_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.sagemaker/"

#: The runtime service's own errors: (code, status; None keeps the tree's status). Every other
#: error is the container's, wrapped as ModelError.
FRONT_END = {
    Unauthorized: ("AccessDeniedException", None),
    InvalidRequest: ("ValidationError", None),
    PayloadTooLarge: ("ValidationError", 400),
    RequestTimeout: ("ValidationError", None),
    NoVariantAvailable: ("ServiceUnavailable", None),
    InternalFailure: ("InternalFailure", None),
    # botocore's _retry.json matches this code with status 400 (legacy mode retries it)
    Throttled: ("ThrottlingException", 400),
}


def json_answer_shape(body: bytes, media_type: str) -> codec.JsonShape:
    """MLflow's object for a request that is a JSON object, else the bare array."""
    if media_type == "application/json" and body.lstrip()[:1] == b"{":
        return "object"
    return "array"


class SageMakerRuntime(WireProtocol):
    name = "sagemaker"

    def owns(self, path: str) -> bool:
        return path.startswith(PREFIX)

    def match(self, method: str, path: str, raw_path: bytes) -> dict | None:
        if not path.startswith(PREFIX):
            return None
        raw = raw_path.decode("latin-1") if raw_path else path
        if path.endswith(ASYNC_SUFFIX):  # InvokeEndpointAsync: queued, answered 202
            return {"endpoint": unquote(raw[len(PREFIX):-len(ASYNC_SUFFIX)]), "stream": False,
                    "async": True}
        for suffix, stream in SUFFIXES.items():
            if path.endswith(suffix):
                # the name as sent (percent-encoded in the raw path), not as decoded by the server
                raw = raw_path.decode("latin-1") if raw_path else path
                return {"endpoint": unquote(raw[len(PREFIX):-len(suffix)]), "stream": stream}
        return None

    def admit(self, request: Request, live) -> None:
        name = request.params["endpoint"]
        if name != live.name:
            raise InvalidRequest(f"Endpoint {name!r} not found: this server serves {live.name!r}.")

    def route(self, request: Request, live):
        variant = pick_variant(request, live)
        request.params["variant"] = variant.name
        return variant

    def decode(self, request: Request, body: bytes, variant) -> Decoded:
        table, media_type = codec.parse(body, request.header(b"content-type"), variant.schema)
        accept = request.header(b"x-amzn-sagemaker-accept" if request.params["stream"] else b"accept")
        return Decoded(table, media_type, codec.choose_output(accept, media_type),
                       json_shape=json_answer_shape(body, media_type))

    def encode(self, request: Request, decoded: Decoded, predictions, variant) -> Reply:
        body = codec.encode(predictions, decoded.answer_as, decoded.json_shape)
        headers = [(b"x-amzn-requestid", str(uuid.uuid4()).encode())]
        custom = request.headers.get(b"x-amzn-sagemaker-custom-attributes")
        if custom:
            headers.append((b"x-amzn-sagemaker-custom-attributes", custom))
        if request.params["stream"]:
            headers.append((b"x-amzn-sagemaker-content-type", decoded.answer_as.encode()))
            return Reply(200, eventstream.payload_part(body), eventstream.CONTENT_TYPE, headers,
                         chunked=True, captured=(decoded.answer_as, body))
        return Reply(200, body, decoded.answer_as.encode(), headers)

    def queued(self, request: Request, live, queue) -> Reply:
        """InvokeEndpointAsync: the request, durably queued, answered 202 with its locations."""
        from ...async_inference.requests import already_used, job_from_headers

        job = job_from_headers(request.header, live, queue)
        try:
            queue.put(job)
        except FileExistsError:  # the same InferenceId sent twice at once
            raise already_used(job.id, live.name) from None
        return Reply(202, orjson.dumps({"InferenceId": job.id}), JSON,
                     [(b"x-amzn-sagemaker-outputlocation", job.output.encode()),
                      (b"x-amzn-sagemaker-failurelocation", job.failure.encode()),
                      (b"x-amzn-requestid", str(uuid.uuid4()).encode())])

    def error(self, request: Request | None, error: MlopsError) -> Reply:
        if isinstance(error, ModelError) and request is not None and request.params.get("stream"):
            # the stream's own error frame: boto3 raises it while the caller iterates
            return Reply(200, eventstream.model_stream_error(error.message), eventstream.CONTENT_TYPE,
                         [(b"x-amzn-invoked-production-variant",
                           request.params.get("variant", "").encode()),
                          (b"x-amzn-sagemaker-content-type", JSON)], chunked=True)
        status = http_status(error)
        front_end = next((FRONT_END[cls] for cls in type(error).__mro__ if cls in FRONT_END), None)
        if front_end is not None:
            code, status = front_end[0], front_end[1] or status
            body = {"message": error.message}
        else:  # the container answered with an error: botocore's ModelError
            code = "ModelError"
            body = {"message": f"Received {'client' if status < 500 else 'server'} error "
                               f"({status}) from primary with message \"{error.message}\".",
                    "OriginalStatusCode": status, "OriginalMessage": error.message,
                    "LogStreamArn": "local:endpoint-log"}
            status = 424
        return Reply(status, orjson.dumps(body), JSON,
                     [(b"x-amzn-errortype", (code + ERROR_SUFFIX).encode()),
                      (b"x-amzn-requestid", str(uuid.uuid4()).encode())])
