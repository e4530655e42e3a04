"""Request bodies in (CSV, JSON in the MLflow and SageMaker shapes, NPY) and predictions out.

CSV: rows in signature order, with or without a header (a first row equal to the column names is
a header, as SageMaker clients send none and MLflow clients send one). JSON: MLflow's
``dataframe_split``, ``dataframe_records``, ``instances`` and ``inputs``; a bare list of rows or
records; a single record. NPY (``application/x-npy``): numpy's ``.npy`` format, as the SageMaker
Python SDK's ``NumpySerializer`` writes it and AWS's inference toolkit reads it, loaded without
pickle; a 1-D array is one row, a 2-D array rows, a structured array named columns.

Unsupported content types answer 415, like MLflow's scoring server; so do content-type parameters
other than ``charset`` (MLflow's ``scoring_server`` refuses them: "Unrecognized content type
parameters"), and a charset other than UTF-8.

The predictions go back as CSV (one line per row), NPY (``numpy.save``, no pickle: text labels as
a unicode array) or JSON, either MLflow's ``{"predictions": [...]}`` or the bare array AWS's
scikit-learn container answers (``encode(..., shape=...)``; the adapters choose per route).
"""

from __future__ import annotations

import csv
import io
import math
import re
from typing import Any, Literal

import numpy as np
import orjson

from ...errors import NotAcceptable, PayloadError, UnsupportedMediaType
from .schema import Schema, Table

CSV_TYPES = ("text/csv", "application/csv")
JSON_TYPES = ("application/json",)
NPY = "application/x-npy"
NPY_MAGIC = b"\x93NUMPY"
MLFLOW_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
ANSWERS = "text/csv, application/json or application/x-npy"

#: how a JSON answer holds the predictions: MLflow's ``{"predictions": [...]}`` or the bare array
JsonShape = Literal["object", "array"]


def media_type(content_type: str | None) -> tuple[str | None, str | None]:
    """``'text/csv; charset=utf-8'`` -> ``('text/csv', 'utf-8')``."""
    mime, params = _split(content_type)
    return mime, params.get("charset")


def _split(content_type: str | None) -> tuple[str | None, dict[str, str]]:
    """The media type and its parameters, names lower-cased (RFC 2045 5.1: they are
    case-insensitive); empty segments (``text/csv;``) are not parameters."""
    if not content_type:
        return None, {}
    mime, *parts = content_type.split(";")
    params = {}
    for part in parts:
        name, _, value = part.partition("=")
        if name.strip():
            params[name.strip().lower()] = value.strip().strip('"').lower()
    return mime.strip().lower(), params


def request_media_type(content_type: str | None) -> str | None:
    """The media type of a request body, refused (415) as MLflow's scoring server refuses it:
    a charset other than UTF-8, or any parameter but ``charset``."""
    mime, params = _split(content_type)
    charset = params.pop("charset", None)
    if charset and charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"The scoring server only supports UTF-8, got charset {charset!r}.")
    if params:
        raise UnsupportedMediaType(
            f"Unrecognized content type parameters: {', '.join(sorted(params))}. The only "
            f"parameter read is charset (utf-8): send {mime!r} without the others.")
    return mime


def sniff(body: bytes) -> str:
    if body.startswith(NPY_MAGIC):
        return NPY
    head = body.lstrip()[:1]
    return "application/json" if head in (b"{", b"[") else "text/csv"


def parse(body: bytes, content_type: str | None, schema: Schema) -> tuple[Table, str]:
    """Returns the table and the media type the body was read as."""
    if not body or not body.strip():
        raise PayloadError("The request body is empty: send CSV rows, a JSON document or an NPY "
                           "array.")
    mime = request_media_type(content_type)
    if mime is None or mime in ("application/octet-stream", "*/*"):
        mime = sniff(body)
    if mime in JSON_TYPES or mime.endswith("+json"):
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise PayloadError(f"The body is not valid JSON: {exc}.") from None
        return parse_json(doc, schema), "application/json"
    if mime in CSV_TYPES or mime == "text/plain":
        return parse_csv(body, schema), "text/csv"
    if mime == NPY:
        return parse_npy(body, schema), NPY
    raise UnsupportedMediaType(
        "This predictor only supports the following content types: Types: "
        f"['text/csv', 'application/json', '{NPY}']. Got {content_type!r}.")


def read_npy(body: bytes) -> np.ndarray:
    """An ``.npy`` body as an array, never unpickling (object arrays are refused)."""
    if not body.startswith(NPY_MAGIC):
        raise PayloadError("The application/x-npy body is not an .npy array (it does not start "
                           "with numpy's magic string); send numpy.save's output.")
    plain = _plain_npy(body)
    if plain is not None:
        return plain
    try:
        return np.lib.format.read_array(io.BytesIO(body), allow_pickle=False)
    except (ValueError, EOFError, OSError) as exc:
        raise PayloadError(f"The .npy body cannot be read without pickle: {exc}. Send a numeric "
                           "or text array (not dtype=object).") from None


_PLAIN_HEADER = re.compile(rb"\{'descr': '([<>|=]?[biuf]\d+)', 'fortran_order': (True|False), "
                           rb"'shape': \(((?:\d+, ?)*\d*)\), \}")


def _plain_npy(body: bytes) -> np.ndarray | None:
    """What ``numpy.save`` writes for a numeric array (format 1.0), read without numpy's
    ``literal_eval`` of the header, which costs more than the rest of a small request; anything
    else (None) goes to numpy's reader."""
    if body[6:8] != b"\x01\x00" or len(body) < 10:
        return None
    end = 10 + int.from_bytes(body[8:10], "little")
    match = _PLAIN_HEADER.fullmatch(body[10:end].rstrip())
    if match is None:
        return None
    dtype = np.dtype(match[1].decode())
    shape = tuple(int(d) for d in match[3].split(b",") if d.strip())
    if len(body) - end != math.prod(shape) * dtype.itemsize:
        return None  # numpy's reader names what is wrong
    order = "F" if match[2] == b"True" else "C"
    return np.frombuffer(body, dtype, offset=end).reshape(shape, order=order).copy()


def parse_npy(body: bytes, schema: Schema) -> Table:
    arr = read_npy(body)
    if arr.dtype.names:  # a structured array: one named field per column
        return schema.from_columns({name: arr[name].tolist() for name in arr.dtype.names})
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1) if schema.known and schema.width == 1 else arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise PayloadError(f"The .npy array has shape {list(arr.shape)}; send one row (1-D) or "
                           f"rows (2-D, [rows, {schema.width or 'features'}]).")
    if arr.dtype.kind in "biuf" and (schema.all_numeric or not schema.known):
        if schema.known and arr.shape[1] != schema.width:
            raise PayloadError(f"The .npy rows have {arr.shape[1]} values; the model expects "
                               f"{schema.width} ({', '.join(schema.names)}).")
        return Table(array=np.ascontiguousarray(arr, dtype=np.float64))
    return schema.from_rows(arr.tolist(), "row")


def parse_csv(body: bytes, schema: Schema) -> Table:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"The CSV body is not valid UTF-8: {exc}.") from None
    if '"' in text or "\r" in text:
        try:
            rows = [r for r in csv.reader(io.StringIO(text)) if r]
        except csv.Error as exc:
            raise PayloadError(f"The CSV body is malformed: {exc}.") from None
    else:
        rows = [line.split(",") for line in text.split("\n") if line]
    if rows and schema.known and [c.strip() for c in rows[0]] == schema.names:
        rows = rows[1:]
    elif rows and not schema.known and rows[0] and _looks_like_header(rows[0]):
        rows = rows[1:]
    if not rows:
        raise PayloadError("The CSV body has a header but no data rows.")
    return schema.from_rows(rows, "CSV row")


def _looks_like_header(row: list[str]) -> bool:
    for cell in row:
        try:
            float(cell)
            return False
        except ValueError:
            continue
    return True


def parse_json(doc: Any, schema: Schema) -> Table:
    if isinstance(doc, dict):
        if "dataframe_split" in doc:
            split = doc["dataframe_split"]
            if not isinstance(split, dict) or "data" not in split:
                raise PayloadError("'dataframe_split' must be an object with 'columns' and 'data'.")
            data, columns = split["data"], split.get("columns")
            if columns is None or (schema.known and columns == schema.names):
                return schema.from_rows(data)
            if not isinstance(columns, list) or not isinstance(data, list):
                raise PayloadError("'dataframe_split.columns' and '.data' must be lists.")
            for i, row in enumerate(data):
                if not isinstance(row, list) or len(row) != len(columns):
                    raise PayloadError(f"dataframe_split row {i + 1} does not have "
                                        f"{len(columns)} values (one per column).")
            return schema.from_columns({str(c): [r[j] for r in data] for j, c in enumerate(columns)})
        if "dataframe_records" in doc:
            return _records(doc["dataframe_records"], schema)
        for key in ("instances", "inputs"):
            if key in doc:
                return _rows_or_columns(doc[key], schema, key)
        if schema.known and doc and all(k in schema.index for k in doc):
            if all(isinstance(v, list) for v in doc.values()):
                return schema.from_columns(doc)
            return _records([doc], schema)
        raise PayloadError(
            "The JSON object has none of the keys 'dataframe_split', 'dataframe_records', "
            f"'instances' or 'inputs' (got {sorted(doc)[:5]}), and is not one record of the "
            f"model's columns: {schema.describe()}.")
    if isinstance(doc, list):
        return _rows_or_columns(doc, schema, "body")
    raise PayloadError(f"The JSON body is a {type(doc).__name__}; send an object or a list of rows.")


def _rows_or_columns(value: Any, schema: Schema, key: str) -> Table:
    if isinstance(value, dict):
        return schema.from_columns({k: v if isinstance(v, list) else [v] for k, v in value.items()})
    if not isinstance(value, list) or not value:
        raise PayloadError(f"'{key}' must be a non-empty list of rows (or records).")
    first = value[0]
    if isinstance(first, dict):
        return _records(value, schema)
    if not isinstance(first, list) and schema.known and schema.width == 1:
        return schema.from_rows([[v] for v in value])
    return schema.from_rows(value)


def _records(records: Any, schema: Schema) -> Table:
    if not isinstance(records, list) or not records:
        raise PayloadError("The records must be a non-empty list of objects.")
    for i, r in enumerate(records):
        if not isinstance(r, dict):
            raise PayloadError(f"Record {i + 1} is a {type(r).__name__}, expected an object.")
    if not schema.known:
        keys = list(records[0])
        return schema.from_columns({k: [r.get(k) for r in records] for k in keys})
    names, width = schema.names, schema.width
    try:
        rows = [[r[n] for n in names] for r in records]
        if all(len(r) == width for r in records):
            return schema.from_rows(rows, "record")
    except KeyError:
        pass
    # name the first record that does not fit
    for i, r in enumerate(records):
        mismatch = schema.column_mismatch(r)
        if mismatch:
            raise PayloadError(f"Record {i + 1} does not match the model's signature: "
                                f"{mismatch}. Expected columns: {schema.describe()}.")
    raise PayloadError("The records do not match the model's signature.")  # pragma: no cover


# -- output ----------------------------------------------------------------------------------

def choose_output(accept: str | None, default: str) -> str:
    if not accept:
        return default
    for part in accept.split(","):
        mime, _ = media_type(part)
        if mime in CSV_TYPES:
            return "text/csv"
        if mime == NPY:
            return NPY
        if mime in JSON_TYPES or mime in ("*/*", "application/*"):
            return "application/json" if mime in JSON_TYPES else default
        if mime == "text/*":
            return "text/csv"
    raise NotAcceptable(f"Cannot answer in {accept!r}: this endpoint answers {ANSWERS}.")


def encode(predictions: np.ndarray, mime: str, shape: JsonShape = "object") -> bytes:
    """The predictions as ``mime``; ``shape`` says how a JSON answer holds them."""
    if mime == "text/csv":
        if predictions.ndim == 1:
            return "\n".join(map(str, predictions.tolist())).encode() + b"\n"
        return "\n".join(",".join(map(str, r)) for r in predictions.tolist()).encode() + b"\n"
    if mime == NPY:
        return npy_bytes(predictions)
    values = jsonable(predictions)
    return orjson.dumps(values if shape == "array" else {"predictions": values},
                        option=orjson.OPT_SERIALIZE_NUMPY)


def npy_bytes(predictions: np.ndarray) -> bytes:
    """``numpy.save`` output a client loads with ``allow_pickle=False``: an object array (text
    labels) is saved as a unicode array."""
    if predictions.dtype.kind == "O":
        predictions = np.asarray(predictions.tolist())
        if predictions.dtype.kind == "O":
            predictions = predictions.astype(str)
    out = io.BytesIO()
    np.save(out, predictions, allow_pickle=False)
    return out.getvalue()


def jsonable(predictions: np.ndarray) -> Any:
    if predictions.dtype.kind in "fiub" and predictions.flags.c_contiguous:
        return predictions
    return predictions.tolist()
