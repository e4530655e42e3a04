"""The Open Inference Protocol (KServe V2) with Triton's binary tensor extension:
``/v2/health/live|ready``, ``/v2``, ``/v2/models/{model}[/versions/{v}][/ready]`` and
``POST /v2/models/{model}[/versions/{v}]/infer``.

tritonclient sends by default a JSON header of ``Inference-Header-Content-Length`` bytes followed by
raw little-endian tensors (``parameters.binary_data_size`` per input), and asks for binary outputs
(``binary_data_output`` / ``binary_data``); both directions are implemented here. A model is
addressed by its registered name (and version), or by a variant's name, or by the endpoint's name
(then the endpoint's weights choose). Which outputs a model has, and which a request gets, is
``v2_outputs``.

References: KServe's "Open Inference Protocol (V2 Inference Protocol)" and Triton's
"Binary Tensor Data Extension".
"""

from __future__ import annotations

import struct
from typing import Any
from urllib.parse import unquote

import numpy as np
import orjson

from ....._version import __version__ as VERSION
from ....errors import InvalidRequest, PayloadError, RouteNotFound
from ...inference import codec
from ...inference.schema import Schema, Table
from ..router import Router
from . import v2_outputs
from .base import JSON, Decoded, Reply, Request, WireProtocol, json_reply, route_key, target_model

PREFIX = "/v2/models/"

DTYPES = {"BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32,
          "UINT64": np.uint64, "INT8": np.int8, "INT16": np.int16, "INT32": np.int32,
          "INT64": np.int64, "FP16": np.float16, "FP32": np.float32, "FP64": np.float64}


def datatype_of(arr: np.ndarray) -> str:
    kind, size = arr.dtype.kind, arr.dtype.itemsize
    if kind == "b":
        return "BOOL"
    if kind == "f":
        return {2: "FP16", 4: "FP32"}.get(size, "FP64")
    if kind == "i":
        return f"INT{size * 8}"
    if kind == "u":
        return f"UINT{size * 8}"
    return "BYTES"


def parse_request(body: bytes, header_length: str | None) -> tuple[dict, bytes]:
    if header_length is not None:
        try:
            n = int(header_length)
        except ValueError:
            raise PayloadError(f"Inference-Header-Content-Length is not a number: {header_length!r}.")
        if n < 0 or n > len(body):
            raise PayloadError(f"Inference-Header-Content-Length {n} exceeds the body ({len(body)} bytes).")
        head, binary = body[:n], body[n:]
    else:
        head, binary = body, b""
    if not head.strip():
        raise PayloadError("The inference request is empty: send {\"inputs\": [...]}.")
    try:
        doc = orjson.loads(head)
    except orjson.JSONDecodeError as exc:
        raise PayloadError(f"The inference request is not valid JSON: {exc}.") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("inputs"), list) or not doc["inputs"]:
        raise PayloadError("The inference request needs a non-empty 'inputs' list.")
    return doc, binary


def _tensor(spec: Any, binary: bytes, offset: int) -> tuple[str, np.ndarray, int]:
    if not isinstance(spec, dict):
        raise PayloadError("Each input must be an object with name, shape, datatype and data.")
    name, shape, datatype = spec.get("name"), spec.get("shape"), spec.get("datatype")
    if not isinstance(name, str) or not isinstance(shape, list) or \
            not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise PayloadError(f"Input {name!r} needs a string 'name' and a 'shape' of non-negative ints.")
    if datatype not in DTYPES and datatype != "BYTES":
        raise PayloadError(f"Input {name!r} has an unsupported datatype {datatype!r}.")
    count = int(np.prod(shape)) if shape else 1
    params = spec.get("parameters") or {}
    size = params.get("binary_data_size") if isinstance(params, dict) else None
    if size is not None:
        if not isinstance(size, int) or size < 0 or offset + size > len(binary):
            raise PayloadError(f"Input {name!r}: binary_data_size {size!r} does not fit the body.")
        raw = binary[offset:offset + size]
        offset += size
        if datatype == "BYTES":
            values, pos = [], 0
            while pos + 4 <= len(raw):
                (ln,) = struct.unpack_from("<I", raw, pos)
                values.append(raw[pos + 4:pos + 4 + ln].decode("utf-8", "replace"))
                pos += 4 + ln
            arr = np.array(values, dtype=object)
        else:
            dtype = np.dtype(DTYPES[datatype]).newbyteorder("<")
            if size != count * dtype.itemsize:
                raise PayloadError(f"Input {name!r}: {size} bytes do not hold shape {shape} of {datatype}.")
            arr = np.frombuffer(raw, dtype=dtype)
    else:
        data = spec.get("data")
        if data is None:
            raise PayloadError(f"Input {name!r} has neither 'data' nor binary_data_size.")
        try:
            arr = np.array(data, dtype=object if datatype == "BYTES" else DTYPES[datatype])
        except (TypeError, ValueError, OverflowError) as exc:
            raise PayloadError(f"Input {name!r}: data does not match datatype {datatype}: {exc}.") from None
    if arr.size != count:
        raise PayloadError(f"Input {name!r}: {arr.size} values do not fill shape {shape}.")
    return name, arr.reshape(shape), offset


def to_table(doc: dict, binary: bytes, schema: Schema) -> Table:
    tensors, offset = [], 0
    for spec in doc["inputs"]:
        name, arr, offset = _tensor(spec, binary, offset)
        tensors.append((name, arr))
    if len(tensors) == 1 and (not schema.known or tensors[0][0] not in schema.index
                              or schema.width == 1):
        name, arr = tensors[0]
        if arr.ndim == 1:
            arr = arr.reshape(1, -1) if schema.width != 1 else arr.reshape(-1, 1)
        if arr.ndim != 2:
            raise PayloadError(f"Input {name!r} has shape {list(arr.shape)}; send [rows, "
                           f"{schema.width or 'features'}].")
        if schema.known and arr.shape[1] != schema.width:
            raise PayloadError(f"Input {name!r} has {arr.shape[1]} columns; the model expects "
                           f"{schema.width} ({', '.join(schema.names)}).")
        if arr.shape[0] == 0:
            raise PayloadError(f"Input {name!r} has no rows.")
        if arr.dtype.kind in "biuf" and (schema.all_numeric or not schema.known):
            return Table(array=np.ascontiguousarray(arr, dtype=np.float64))
        return schema.from_rows(arr.tolist())
    cols = {}
    for name, arr in tensors:
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise PayloadError(f"Input {name!r} has shape {list(arr.shape)}; one tensor per column "
                           "must have shape [rows] or [rows, 1].")
        cols[name] = arr.tolist()
    return schema.from_columns(cols)


def encode_response(doc: dict, outputs: list, model: str, version: Any) -> tuple[bytes, dict[str, str]]:
    """The inference response for ``outputs``, (requested output, array) pairs: a JSON header,
    then the raw tensors of the binary ones in order (Inference-Header-Content-Length)."""
    body: dict[str, Any] = {"model_name": model, "outputs": []}
    if version is not None:
        body["model_version"] = str(version)
    if "id" in doc:
        body["id"] = doc["id"]
    raws = []
    for wanted, arr in outputs:
        datatype = datatype_of(arr)
        out: dict[str, Any] = {"name": wanted.name, "shape": list(arr.shape), "datatype": datatype}
        if wanted.binary:
            raws.append(tensor_bytes(arr, datatype))
            out["parameters"] = {"binary_data_size": len(raws[-1])}
        else:
            out["data"] = arr.ravel().tolist() if datatype == "BYTES" or arr.dtype.kind == "O" \
                else np.ascontiguousarray(arr).ravel()
        body["outputs"].append(out)
    head = orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
    if not raws:
        return head, {}
    return head + b"".join(raws), {"inference-header-content-length": str(len(head))}


def tensor_bytes(arr: np.ndarray, datatype: str) -> bytes:
    """A tensor in Triton's binary form: little-endian values, or length-prefixed BYTES."""
    if datatype == "BYTES":
        return b"".join(struct.pack("<I", len(b)) + b for b in
                        (str(v).encode() for v in arr.ravel().tolist()))
    return np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()


def model_metadata(variant, versions: list[str]) -> dict:
    schema = variant.schema
    if schema.known and schema.all_numeric:
        inputs = [{"name": "input-0", "datatype": "FP64", "shape": [-1, schema.width]}]
    else:
        inputs = [{"name": n, "datatype": "FP64" if k in ("numeric",) else "BYTES", "shape": [-1]}
                  for n, k in zip(schema.names, schema.kinds)]
    return {"name": variant.model_name, "versions": versions, "platform": "sklearn",
            "inputs": inputs, "outputs": [o.metadata() for o in v2_outputs.declared(variant)]}


def model_path(rest: str) -> tuple[str, str | None]:
    """``churn/versions/3`` -> ("churn", "3")."""
    model, _, tail = rest.partition("/versions/")
    return unquote(model), (unquote(tail) if tail else None)


def variants_for(live, model: str, version: str | None) -> list:
    found = live.by_model(model, version)
    if not found and model in live.variants:
        found = [live.variants[model]]
    if not found and model == live.name and version is None:
        found = [live.variants[n] for n in live.router.names] or list(live.variants.values())
    if not found:
        detail = f" version {version}" if version else ""
        raise RouteNotFound(f"Model with name {model}{detail} does not exist.")
    return found


def multi_model_target(live, model: str, version: str | None) -> str:
    """The deployed ref ``/v2/models/{model}[/versions/{v}]`` names on a multi-model endpoint:
    ``model:v``; without a version the ref or variant name itself, else the model's highest
    deployed version. A model not deployed is KServe's 404."""
    candidates = [f"{model}:{version}"] if version else [model]
    if not version:
        versions = [s.version for s in live.models.specs.values() if s.model == model]
        if versions:
            candidates.append(f"{model}:{max(versions, key=lambda v: int(v) if str(v).isdigit() else -1)}")
    for name in candidates:
        try:
            return live.models.resolve(name)
        except InvalidRequest:
            pass
    detail = f" version {version}" if version else ""
    raise RouteNotFound(f"Model with name {model}{detail} does not exist.")


class OpenInference(WireProtocol):
    name = "v2"

    def owns(self, path: str) -> bool:
        return path.startswith("/v2")

    def match(self, method: str, path: str, raw_path: bytes) -> dict | None:
        if path.startswith(PREFIX) and path.endswith("/infer"):
            model, version = model_path(path[len(PREFIX):-len("/infer")])
            return {"model": model, "version": version}
        return None

    def get(self, request: Request, live) -> Reply | None:
        path = request.path
        if path in ("/v2/health/live", "/v2/health/ready"):
            key = "live" if path.endswith("live") else "ready"
            return json_reply(200, {key: True})
        if path == "/v2":
            return json_reply(200, {"name": "jupyter_mlops", "version": VERSION,
                                    "extensions": ["binary_tensor_data"]})
        if not path.startswith(PREFIX):
            return None
        rest = path[len(PREFIX):]
        ready = rest.endswith("/ready")
        model, version = model_path(rest[:-len("/ready")] if ready else rest)
        if live.models is not None:
            target = multi_model_target(live, model, version)
            if ready:   # deployed: it loads on its first request
                return json_reply(200, {"name": model, "ready": True})
            variant, _ = live.models.get(target)
            return json_reply(200, model_metadata(variant, [str(variant.version)]))
        candidates = variants_for(live, model, version)
        if ready:
            return json_reply(200, {"name": model, "ready": True})
        versions = sorted({str(v.version) for v in candidates if v.version is not None})
        return json_reply(200, model_metadata(candidates[0], versions))

    def route(self, request: Request, live):
        if live.models is not None:   # a multi-model endpoint: the path names the model
            return target_model(request, live, multi_model_target(live, request.params["model"],
                                                                  request.params["version"]))
        candidates = variants_for(live, request.params["model"], request.params["version"])
        if len(candidates) == 1:
            return candidates[0]
        routed = [v for v in candidates if v.name in live.router.weights]
        if not routed:
            return candidates[0]
        key = route_key(request.headers)
        if len(routed) == len(live.router.names):
            return live.variants[live.router.pick(key)]
        return live.variants[Router({v.name: live.router.weights[v.name] for v in routed}).pick(key)]

    def decode(self, request: Request, body: bytes, variant) -> Decoded:
        doc, binary = parse_request(body, request.header(b"inference-header-content-length"))
        wanted = v2_outputs.requested(doc, variant)  # refused before the model runs
        return Decoded(to_table(doc, binary, variant.schema), "text/csv", "application/json",
                       (doc, wanted))

    def encode(self, request: Request, decoded: Decoded, predictions, variant) -> Reply:
        doc, wanted = decoded.document
        arrays = v2_outputs.tensors(wanted, predictions, decoded.table, variant)
        body, extra = encode_response(doc, list(zip(wanted, arrays)), variant.model_name,
                                      variant.version)
        return Reply(200, body, JSON, [(k.encode(), v.encode()) for k, v in extra.items()])

    def captured_input(self, request: Request, decoded: Decoded, body: bytes) -> tuple[str, bytes]:
        """Tensors are captured as CSV rows, which monitoring reads like any other request."""
        table = decoded.table
        rows = table.array if table.array is not None else np.array(table.rows(), dtype=object)
        return "text/csv", codec.encode(rows, "text/csv")
