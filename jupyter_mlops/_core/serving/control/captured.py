"""Captured requests read back as a DataFrame: one row per input row, with its prediction,
inference id, event id, time and variant (what ``ws.captured`` returns and monitoring checks).

A record holds the request and the answer as observed (SageMaker's capture format: text for CSV
and JSON, base64 for NPY and anything else); both are read back with the endpoint's own codecs,
so whatever the endpoint accepted comes back as rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson

from ...durations import since_time
from ...errors import PayloadError
from ..inference.capture_format import decode_part, iter_records


def read_captured(directory: Path | str, signatures: dict[str, dict], since: Any = None):
    """A DataFrame: one row per captured input row with its prediction and metadata.

    Records are parsed one by one but framed together: the tables of a variant (of one shape)
    become one DataFrame, as a DataFrame per record costs a millisecond each."""
    import pandas as pd

    from ..inference.codec import media_type, parse
    from ..inference.schema import Schema

    since_dt = since_time(since)
    schemas = {name: Schema(sig) for name, sig in signatures.items()}
    groups: dict[tuple, _Rows] = {}
    for variant, record in iter_records(directory, since_dt):
        meta = record.get("eventMetadata", {})
        when = pd.Timestamp(meta.get("inferenceTime"))
        if since_dt is not None and when < pd.Timestamp(since_dt):
            continue
        schema = schemas.get(variant) or Schema(None)
        cap = record.get("captureData", {})
        try:
            raw, ctype = decode_part(cap.get("endpointInput", {}))
            # by its media type: the request was accepted, whatever parameters it carried then
            table, _ = parse(raw, media_type(ctype)[0], schema)
        except Exception:
            continue
        shape = table.array.shape[1:] if table.array is not None else tuple(table.columns or ())
        rows = groups.setdefault((variant, table.array is not None, shape), _Rows(variant, schema))
        rows.add(table, _predictions(*decode_part(cap.get("endpointOutput", {}))), meta, when)
    frames = [rows.frame() for rows in groups.values()]
    if not frames:
        return pd.DataFrame(columns=["prediction", "inference_id", "event_id", "time", "variant"])
    return pd.concat(frames, ignore_index=True).sort_values("time", kind="stable") \
        .reset_index(drop=True)


class _Rows:
    """The captured rows of one variant whose tables have one shape, gathered for one frame."""

    def __init__(self, variant: str, schema):
        self.variant, self.schema = variant, schema
        self.tables: list = []
        self.meta: dict[str, list] = {"prediction": [], "inference_id": [], "event_id": [], "time": []}

    def add(self, table, predictions: list | None, meta: dict, when) -> None:
        n = table.n_rows
        self.tables.append(table)
        self.meta["prediction"] += predictions if predictions is not None and len(predictions) == n else [None] * n
        self.meta["inference_id"] += [meta.get("inferenceId")] * n
        self.meta["event_id"] += [meta.get("eventId")] * n
        self.meta["time"] += [when] * n

    def frame(self):
        import numpy as np

        from ..inference.schema import Table

        if self.tables[0].array is not None:
            table = Table(array=np.concatenate([t.array for t in self.tables]))
        else:
            table = Table(columns={name: [v for t in self.tables for v in t.columns[name]]
                                   for name in self.tables[0].columns})
        df = self.schema.frame(table)
        for name, values in self.meta.items():
            df[name] = values
        df["variant"] = self.variant
        return df


def _predictions(raw: bytes, ctype: str) -> list | None:
    from ..inference.codec import NPY, media_type, read_npy

    if media_type(ctype)[0] == NPY:
        try:
            return read_npy(raw).tolist()
        except PayloadError:
            return None
    if "json" in ctype:
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return None
        preds = doc.get("predictions") if isinstance(doc, dict) else doc
        return preds if isinstance(preds, list) else None
    lines = [ln for ln in raw.decode("utf-8", "replace").splitlines() if ln]
    out = []
    for ln in lines:
        try:
            out.append(float(ln) if "," not in ln else [float(x) for x in ln.split(",")])
        except ValueError:
            out.append(ln)
    return out
