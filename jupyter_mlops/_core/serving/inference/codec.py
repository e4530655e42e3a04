"""Request bodies in (CSV, JSON in the MLflow and SageMaker shapes) and predictions out.

CSV: rows in signature order, with or without a header (a first row equal to the column names is
a header, as SageMaker clients send none and MLflow clients send one). JSON: MLflow's
``dataframe_split``, ``dataframe_records``, ``instances`` and ``inputs``; a bare list of rows or
records; a single record. Unsupported content types answer 415, like MLflow's scoring server.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
import orjson

from ...errors import NotAcceptable, PayloadError, UnsupportedMediaType
from .schema import Schema, Table

CSV_TYPES = ("text/csv", "application/csv")
JSON_TYPES = ("application/json",)
MLFLOW_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")


def media_type(content_type: str | None) -> tuple[str | None, str | None]:
    """``'text/csv; charset=utf-8'`` -> ``('text/csv', 'utf-8')``."""
    if not content_type:
        return None, None
    parts = content_type.split(";")
    mime = parts[0].strip().lower()
    charset = None
    for p in parts[1:]:
        k, _, v = p.partition("=")
        if k.strip().lower() == "charset":
            charset = v.strip().strip('"').lower()
    return mime, charset


def sniff(body: bytes) -> str:
    head = body.lstrip()[:1]
    return "application/json" if head in (b"{", b"[") else "text/csv"


def parse(body: bytes, content_type: str | None, schema: Schema) -> tuple[Table, str]:
    """Returns the table and the media type the body was read as."""
    if not body or not body.strip():
        raise PayloadError("The request body is empty: send CSV rows or a JSON document.")
    mime, charset = media_type(content_type)
    if charset and charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(f"The scoring server only supports UTF-8, got charset {charset!r}.")
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
    raise UnsupportedMediaType(
        "This predictor only supports the following content types: Types: "
        f"['text/csv', 'application/json']. Got {content_type!r}.")


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
        if mime in JSON_TYPES or mime in ("*/*", "application/*"):
            return "application/json" if mime in JSON_TYPES else default
        if mime == "text/*":
            return "text/csv"
    raise NotAcceptable(f"Cannot answer in {accept!r}: this endpoint answers text/csv or "
                        "application/json.")


def encode(predictions: np.ndarray, mime: str) -> bytes:
    if mime == "text/csv":
        if predictions.ndim == 1:
            return "\n".join(map(str, predictions.tolist())).encode() + b"\n"
        return "\n".join(",".join(map(str, r)) for r in predictions.tolist()).encode() + b"\n"
    return orjson.dumps({"predictions": jsonable(predictions)}, option=orjson.OPT_SERIALIZE_NUMPY)


def jsonable(predictions: np.ndarray) -> Any:
    if predictions.dtype.kind in "fiub" and predictions.flags.c_contiguous:
        return predictions
    return predictions.tolist()
