"""Ground truth for captured requests, in SageMaker Model Monitor's format, and its merge with
the captured traffic (AWS: "Ingest Ground Truth labels and merge them with predictions").

One JSON line per label::

    {"groundTruthData": {"data": "1", "encoding": "CSV"},
     "eventMetadata": {"eventId": "<the request's inference id>"}, "eventVersion": "0"}

under ``<home>/ground-truth/<endpoint>/yyyy/mm/dd/hh/`` (UTC), the hour the labels were uploaded,
not the hour of the inference, as Model Monitor lays them out. A label joins a captured request by
its ``inferenceId`` when the request carried one, else by its ``eventId``, as Model Monitor merges.
Numbers are written as CSV text; strings, booleans and lists (one label per row of a request of
several rows) as JSON, so that they read back as they were given. Uploads are read oldest first,
so when an id is labelled again, the last label wins.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any, Iterator

import orjson

from ...errors import InvalidInput
from ..inference.capture_format import HOUR_FOLDERS, iter_records

GROUND_TRUTH = "ground-truth"
LABEL = "label"
#: ids named in a result when some labels match no captured request
SHOWN_IDS = 10
_INTEGER = re.compile(r"[+-]?\d+")


def directory(home: Path | str, endpoint: str) -> Path:
    return Path(home) / GROUND_TRUTH / endpoint


# -- the labels a user gives -----------------------------------------------------------------------

_SHAPE = ("Pass a DataFrame with columns inference_id and label, or a dict {inference_id: label}; "
          "the ids are the InferenceId each request was sent with.")


def checked_labels(labels: Any) -> tuple[dict[str, Any], list[str]]:
    """(inference id -> label, the last given for an id; the ids given more than once), from a
    DataFrame with ``inference_id`` and ``label`` columns or a dict id -> label."""
    pairs = list(_pairs(labels))
    if not pairs:
        raise InvalidInput("There are no labels to upload.", hint=_SHAPE)
    out: dict[str, Any] = {}
    repeated: dict[str, None] = {}  # in the order first repeated
    for position, (key, value) in enumerate(pairs):
        key = _inference_id(key, position)
        if key in out:
            repeated[key] = None
        out[key] = _label(value, key)
    return out, list(repeated)


def _pairs(labels: Any) -> Iterator[tuple[Any, Any]]:
    if isinstance(labels, dict):
        yield from labels.items()
        return
    columns = getattr(labels, "columns", None)
    if columns is None:
        raise InvalidInput(f"Labels must be a DataFrame or a dict, got {type(labels).__name__}.", hint=_SHAPE)
    missing = [c for c in ("inference_id", LABEL) if c not in columns]
    if missing:
        raise InvalidInput(f"The labels lack the column(s) {', '.join(missing)}; they have "
                           f"{', '.join(map(str, columns)) or 'none'}.", hint=_SHAPE)
    yield from zip(labels["inference_id"].tolist(), labels[LABEL].tolist())


def _inference_id(key: Any, position: int) -> str:
    if isinstance(key, float) and key.is_integer():
        key = int(key)
    if key is None or isinstance(key, float) or not str(key).strip():
        raise InvalidInput(f"Label {position + 1} has no inference id ({key!r}).", hint=_SHAPE)
    return str(key)


def _label(value: Any, key: str) -> Any:
    if hasattr(value, "item") and not isinstance(value, (list, tuple)):
        value = value.item()  # numpy scalars
    if isinstance(value, (list, tuple)):
        return [_label(v, key) for v in value]
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        raise InvalidInput(f"The label of inference id {key!r} is missing ({value!r}).",
                           hint="Upload only the requests whose outcome you know.")
    if not isinstance(value, (str, int, float, bool)):
        raise InvalidInput(f"The label of inference id {key!r} is a {type(value).__name__}; a label is a "
                           "number, a string, a boolean or a list of them.")
    return value


# -- the files ---------------------------------------------------------------------------------------

def record(key: str, label: Any) -> dict[str, Any]:
    """Model Monitor's ground-truth record for one label."""
    if isinstance(label, (int, float)) and not isinstance(label, bool):
        data = {"data": repr(label), "encoding": "CSV"}
    else:
        data = {"data": orjson.dumps(label).decode(), "encoding": "JSON"}
    return {"groundTruthData": data, "eventMetadata": {"eventId": key}, "eventVersion": "0"}


def write(folder: Path, labels: dict[str, Any]) -> Path:
    """One new JSON Lines file in this hour's folder, written whole before it appears."""
    now = dt.datetime.now(dt.timezone.utc)
    hour = folder / f"{now:%Y/%m/%d/%H}"
    hour.mkdir(parents=True, exist_ok=True)
    # minute-second first, then nanoseconds: file names sort in upload order within the hour
    path = hour / f"{now:%M-%S}-{time.time_ns()}-{uuid.uuid4().hex[:8]}.jsonl"
    part = path.with_suffix(".part")
    part.write_bytes(b"".join(orjson.dumps(record(k, v)) + b"\n" for k, v in labels.items()))
    os.replace(part, path)
    return path


def read(folder: Path) -> dict[str, Any]:
    """inference id -> label over every upload, oldest first (a later label replaces an earlier)."""
    out: dict[str, Any] = {}
    if not folder.exists():
        return out
    for path in sorted(folder.glob(HOUR_FOLDERS)):
        with open(path, "rb") as fh:
            for line in fh:
                try:
                    doc = orjson.loads(line)
                    key = doc["eventMetadata"]["eventId"]
                    out[str(key)] = _decoded(doc["groundTruthData"])
                except (orjson.JSONDecodeError, KeyError, TypeError):
                    continue  # not a ground-truth record
    return out


def _decoded(part: dict[str, Any]) -> Any:
    data = part.get("data", "")
    if part.get("encoding") == "JSON":
        return orjson.loads(data)
    text = str(data).strip()
    if _INTEGER.fullmatch(text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


# -- merging ---------------------------------------------------------------------------------------

def captured_keys(capture_dir: Path | str) -> set[str]:
    """The key each captured request joins ground truth by: its inference id, else its event id."""
    keys = set()
    for _, doc in iter_records(capture_dir):
        meta = doc.get("eventMetadata") or {}
        key = meta.get("inferenceId") or meta.get("eventId")
        if key:
            keys.add(str(key))
    return keys


def merged(window, labels: dict[str, Any]):
    """``window`` (captured rows) with a ``label`` column, keeping only the rows that have one. A
    list label gives one label per row of its request, in order, when the lengths agree; a single
    label labels every row of its request."""
    import warnings

    if not len(window):
        return window.assign(**{LABEL: []})
    keys = window["inference_id"].where(window["inference_id"].notna(), window["event_id"]).astype(str)
    position = window.groupby("event_id", sort=False).cumcount().to_numpy()
    size = window.groupby("event_id", sort=False)["event_id"].transform("size").to_numpy()
    values, mismatched = [], set()
    for key, i, n in zip(keys, position, size):
        label = labels.get(key)
        if isinstance(label, list):
            if len(label) != n:
                mismatched.add(key)
                label = None
            else:
                label = label[i]
        values.append(label)
    if mismatched:
        warnings.warn(f"{len(mismatched)} label list(s) have another length than their request's rows and "
                      f"were left out (e.g. inference id {sorted(mismatched)[0]!r}).", stacklevel=3)
    import pandas as pd

    out = window.assign(**{LABEL: pd.Series(values, index=window.index, dtype=object)})
    out = out[out[LABEL].notna()].reset_index(drop=True)
    return out.assign(**{LABEL: out[LABEL].infer_objects()})  # ints stay ints, labels text
