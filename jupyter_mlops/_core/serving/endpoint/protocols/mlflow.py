"""``POST /invocations``: the SageMaker container contract's prediction route, answering in MLflow's
scoring server formats (MLflow's ``dataframe_split``, ``dataframe_records``, ``instances``,
``inputs``, CSV with or without a header, ``{"predictions": …}`` back, as MLflow clients expect)
and with MLflow's error bodies; NPY in and out too (``application/x-npy``), which the container
contract's clients send. Content-type parameters other than ``charset`` are refused with 415, as
MLflow's scoring server refuses them. Also the GETs both define: ``/ping``, ``/health``,
``/version``, ``/execution-parameters``.

References: the SageMaker "Use your own inference code with hosting services" container contract
and MLflow's ``mlflow.pyfunc.scoring_server``.
"""

from __future__ import annotations

import orjson

from ....._version import __version__ as VERSION
from ....errors import MlopsError, UnsupportedMediaType, http_status
from ...inference import codec
from .base import JSON, Decoded, Reply, Request, WireProtocol, json_reply

MB = 1024 * 1024


class MlflowScoring(WireProtocol):
    name = "mlflow"

    def owns(self, path: str) -> bool:
        return True  # the default shape of errors on paths no other protocol owns

    def match(self, method: str, path: str, raw_path: bytes) -> dict | None:
        return {} if path == "/invocations" else None

    def get(self, request: Request, live) -> Reply | None:
        path = request.path
        if path == "/ping":
            return Reply(200, b"", JSON)
        if path == "/health":
            return Reply(200, b"\n", JSON)
        if path == "/version":
            return Reply(200, VERSION.encode(), JSON)
        if path == "/execution-parameters":
            return json_reply(200, {"MaxConcurrentTransforms": 1, "BatchStrategy": "MULTI_RECORD",
                                    "MaxPayloadInMB": max(1, live.max_payload_bytes // MB)})
        return None

    def decode(self, request: Request, body: bytes, variant) -> Decoded:
        table, media_type = codec.parse(body, request.header(b"content-type"), variant.schema)
        answer_as = codec.choose_output(request.header(b"accept"), "application/json")
        return Decoded(table, media_type, answer_as)

    def encode(self, request: Request, decoded: Decoded, predictions, variant) -> Reply:
        return Reply(200, codec.encode(predictions, decoded.answer_as), decoded.answer_as.encode())

    def error(self, request: Request | None, error: MlopsError) -> Reply:
        status = http_status(error)
        if isinstance(error, UnsupportedMediaType):
            return Reply(status, error.message.encode(), b"text/plain; charset=utf-8")
        body = {"error_code": "BAD_REQUEST" if status < 500 else "INTERNAL_ERROR",
                "message": error.message}
        if status < 500:
            body.update(sqlstate="KAM00", error_class="INVALID_PARAMETER_VALUE")
        return Reply(status, orjson.dumps(body), JSON)
