"""Open Inference Protocol (KServe V2) bodies, with Triton's binary tensor extension.

tritonclient sends by default a JSON header of ``Inference-Header-Content-Length`` bytes followed by
raw little-endian tensors (``parameters.binary_data_size`` per input), and asks for binary outputs
(``binary_data_output`` / ``binary_data``); both directions are implemented here.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import orjson

from ..errors import PayloadError
from .schema import Schema, Table

DTYPES = {"BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32,
          "UINT64": np.uint64, "INT8": np.int8, "INT16": np.int16, "INT32": np.int32,
          "INT64": np.int64, "FP16": np.float16, "FP32": np.float32, "FP64": np.float64}


def v2_error(message: str, status: int = 400) -> PayloadError:
    err = PayloadError(message)
    err.http_status = status
    return err


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
            raise v2_error(f"Inference-Header-Content-Length is not a number: {header_length!r}.")
        if n < 0 or n > len(body):
            raise v2_error(f"Inference-Header-Content-Length {n} exceeds the body ({len(body)} bytes).")
        head, binary = body[:n], body[n:]
    else:
        head, binary = body, b""
    if not head.strip():
        raise v2_error("The inference request is empty: send {\"inputs\": [...]}.")
    try:
        doc = orjson.loads(head)
    except orjson.JSONDecodeError as exc:
        raise v2_error(f"The inference request is not valid JSON: {exc}.") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("inputs"), list) or not doc["inputs"]:
        raise v2_error("The inference request needs a non-empty 'inputs' list.")
    return doc, binary


def _tensor(spec: Any, binary: bytes, offset: int) -> tuple[str, np.ndarray, int]:
    if not isinstance(spec, dict):
        raise v2_error("Each input must be an object with name, shape, datatype and data.")
    name, shape, datatype = spec.get("name"), spec.get("shape"), spec.get("datatype")
    if not isinstance(name, str) or not isinstance(shape, list) or \
            not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise v2_error(f"Input {name!r} needs a string 'name' and a 'shape' of non-negative ints.")
    if datatype not in DTYPES and datatype != "BYTES":
        raise v2_error(f"Input {name!r} has an unsupported datatype {datatype!r}.")
    count = int(np.prod(shape)) if shape else 1
    params = spec.get("parameters") or {}
    size = params.get("binary_data_size") if isinstance(params, dict) else None
    if size is not None:
        if not isinstance(size, int) or size < 0 or offset + size > len(binary):
            raise v2_error(f"Input {name!r}: binary_data_size {size!r} does not fit the body.")
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
                raise v2_error(f"Input {name!r}: {size} bytes do not hold shape {shape} of {datatype}.")
            arr = np.frombuffer(raw, dtype=dtype)
    else:
        data = spec.get("data")
        if data is None:
            raise v2_error(f"Input {name!r} has neither 'data' nor binary_data_size.")
        try:
            arr = np.array(data, dtype=object if datatype == "BYTES" else DTYPES[datatype])
        except (TypeError, ValueError, OverflowError) as exc:
            raise v2_error(f"Input {name!r}: data does not match datatype {datatype}: {exc}.") from None
    if arr.size != count:
        raise v2_error(f"Input {name!r}: {arr.size} values do not fill shape {shape}.")
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
            raise v2_error(f"Input {name!r} has shape {list(arr.shape)}; send [rows, "
                           f"{schema.width or 'features'}].")
        if schema.known and arr.shape[1] != schema.width:
            raise v2_error(f"Input {name!r} has {arr.shape[1]} columns; the model expects "
                           f"{schema.width} ({', '.join(schema.names)}).")
        if arr.shape[0] == 0:
            raise v2_error(f"Input {name!r} has no rows.")
        if arr.dtype.kind in "biuf" and (schema.all_numeric or not schema.known):
            return Table(array=np.ascontiguousarray(arr, dtype=np.float64))
        return schema.from_rows(arr.tolist())
    cols = {}
    for name, arr in tensors:
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise v2_error(f"Input {name!r} has shape {list(arr.shape)}; one tensor per column "
                           "must have shape [rows] or [rows, 1].")
        cols[name] = arr.tolist()
    return schema.from_columns(cols)


def wants_binary(doc: dict) -> bool:
    params = doc.get("parameters") or {}
    if isinstance(params, dict) and params.get("binary_data_output"):
        return True
    for out in doc.get("outputs") or []:
        p = out.get("parameters") if isinstance(out, dict) else None
        if isinstance(p, dict) and p.get("binary_data"):
            return True
    return False


def output_name(doc: dict) -> str:
    outs = doc.get("outputs") or []
    if outs and isinstance(outs[0], dict) and isinstance(outs[0].get("name"), str):
        return outs[0]["name"]
    return "predictions"


def encode_response(doc: dict, predictions: np.ndarray, model: str, version: Any
                    ) -> tuple[bytes, dict[str, str]]:
    datatype = datatype_of(predictions)
    out: dict[str, Any] = {"name": output_name(doc), "shape": list(predictions.shape),
                           "datatype": datatype}
    body: dict[str, Any] = {"model_name": model, "outputs": [out]}
    if version is not None:
        body["model_version"] = str(version)
    if "id" in doc:
        body["id"] = doc["id"]
    if wants_binary(doc):
        if datatype == "BYTES":
            raw = b"".join(struct.pack("<I", len(b)) + b for b in
                           (str(v).encode() for v in predictions.ravel().tolist()))
        else:
            raw = np.ascontiguousarray(predictions).astype(predictions.dtype.newbyteorder("<")).tobytes()
        out["parameters"] = {"binary_data_size": len(raw)}
        head = orjson.dumps(body)
        return head + raw, {"inference-header-content-length": str(len(head))}
    out["data"] = predictions.ravel().tolist() if datatype == "BYTES" or predictions.dtype.kind == "O" \
        else np.ascontiguousarray(predictions).ravel()
    return orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), {}


def model_metadata(variant, versions: list[str]) -> dict:
    schema = variant.schema
    if schema.known and schema.all_numeric:
        inputs = [{"name": "input-0", "datatype": "FP64", "shape": [-1, schema.width]}]
    else:
        inputs = [{"name": n, "datatype": "FP64" if k in ("numeric",) else "BYTES", "shape": [-1]}
                  for n, k in zip(schema.names, schema.kinds)]
    return {"name": variant.model_name, "versions": versions, "platform": "sklearn",
            "inputs": inputs,
            "outputs": [{"name": "predictions", "datatype": _out_type(variant.signature), "shape": [-1]}]}


def _out_type(signature: dict) -> str:
    out = (signature or {}).get("output") or {}
    classes = out.get("classes")
    if classes:
        return "BYTES" if any(isinstance(c, str) for c in classes) else "INT64"
    return "FP64"
