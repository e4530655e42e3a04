"""Data capture in SageMaker's JSONL format (PROTOCOLS.md §1.6), written off the request path.

The request handler only puts a tuple on a queue; a writer thread encodes and appends the lines to
``<capture dir>/<variant>/yyyy/mm/dd/hh/<worker>-<start>.jsonl`` about twice a second and on
shutdown. ``read_captured`` turns the files back into a DataFrame (input columns, prediction,
inference id, time, variant) for monitoring.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import queue
import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

TEXT_ENCODINGS = {"text/csv": "CSV", "application/json": "JSON"}


def _event_id() -> str:
    """A random (version 4) UUID string, without uuid4()'s syscall per call."""
    h = f"{random.getrandbits(128) & ~(0xF000 << 64) & ~(0xC << 60) | (0x4000 << 64) | (0x8 << 60):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _encoded(content_type: str, data: bytes) -> dict[str, Any]:
    mime = (content_type or "").split(";")[0].strip().lower()
    enc = TEXT_ENCODINGS.get(mime)
    if enc is None:
        return {"observedContentType": content_type or "", "data": base64.b64encode(data).decode(),
                "encoding": "BASE64"}
    try:
        return {"observedContentType": content_type, "data": data.decode("utf-8"), "encoding": enc}
    except UnicodeDecodeError:
        return {"observedContentType": content_type, "data": base64.b64encode(data).decode(),
                "encoding": "BASE64"}


class CaptureWriter:
    def __init__(self, directory: Path | str, worker: int = 0, flush_seconds: float = 0.2):
        self.directory = Path(directory)
        self.worker = worker
        self.flush_seconds = flush_seconds
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self._files: dict[tuple[str, str], Any] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mlops-capture", daemon=True)
        self._tag = f"{os.getpid()}-{worker}-{uuid.uuid4().hex[:8]}"
        self.written = 0
        self._second = None
        self._prefix = self._hour = self._minute_second = ""

    def start(self) -> "CaptureWriter":
        self._thread.start()
        return self

    def put(self, variant: str, in_type: str, in_data: bytes, out_type: str, out_data: bytes,
            inference_id: str | None) -> None:
        self.queue.put((variant, time.time(), in_type, in_data, out_type, out_data, inference_id))

    def _run(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            self._drain()
        self._drain()
        for fh in self._files.values():
            fh.close()

    def _drain(self) -> None:
        touched = set()
        n = 0
        encoded: dict[tuple[str, bytes], dict] = {}
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                break
            variant, t, in_type, in_data, out_type, out_data, inference_id = item
            second = int(t)
            if second != self._second:  # the folder and time prefix change once a second
                self._second = second
                stamp = dt.datetime.fromtimestamp(second, dt.timezone.utc)
                self._prefix = stamp.strftime("%Y-%m-%dT%H:%M:%S")
                self._hour = stamp.strftime("%Y/%m/%d/%H")
                self._minute_second = stamp.strftime("%M-%S")
            meta = {"eventId": _event_id(),
                    "inferenceTime": f"{self._prefix}.{int((t - second) * 1000):03d}Z"}
            if inference_id:
                meta["inferenceId"] = inference_id
            out_key = (out_type, out_data)
            out = encoded.get(out_key)  # identical answers (e.g. class labels) encode once
            if out is None:
                out = encoded[out_key] = {**_encoded(out_type, out_data), "mode": "OUTPUT"}
            record = {"captureData": {
                "endpointInput": {**_encoded(in_type, in_data), "mode": "INPUT"},
                "endpointOutput": out},
                "eventMetadata": meta, "eventVersion": "0"}
            fh = self._file(variant)
            fh.write(orjson.dumps(record) + b"\n")
            touched.add(fh)
            self.written += 1
            n += 1
            if n % 256 == 0:
                time.sleep(0)  # let the event loop thread take the GIL between short batches
                if len(encoded) > 1024:
                    encoded.clear()
        for fh in touched:
            fh.flush()

    def _file(self, variant: str):
        key = (variant, self._hour)
        fh = self._files.get(key)
        if fh is None:
            for old in [k for k in self._files if k[0] == variant]:
                self._files.pop(old).close()
            folder = self.directory / variant / self._hour
            folder.mkdir(parents=True, exist_ok=True)
            fh = self._files[key] = open(folder / f"{self._minute_second}-{self._tag}.jsonl", "ab")
        return fh

    def close(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)


# -- reading back ----------------------------------------------------------------------------

def parse_since(since: Any) -> dt.datetime | None:
    if since is None:
        return None
    now = dt.datetime.now(dt.timezone.utc)
    if isinstance(since, dt.timedelta):
        return now - since
    if isinstance(since, dt.datetime):
        return since if since.tzinfo else since.replace(tzinfo=dt.timezone.utc)
    if isinstance(since, (int, float)):
        return dt.datetime.fromtimestamp(since, dt.timezone.utc)
    text = str(since).strip()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    if text[:-1].replace(".", "", 1).isdigit() and text[-1:] in units:
        return now - dt.timedelta(seconds=float(text[:-1]) * units[text[-1]])
    from ..errors import InvalidInput

    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"since={since!r} is neither a duration like '30m', '1h', '7d' nor an "
                           "ISO timestamp.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def iter_records(directory: Path | str, since: dt.datetime | None = None):
    """(variant, record) for every captured line at or after ``since``."""
    directory = Path(directory)
    if not directory.exists():
        return
    for variant_dir in sorted(p for p in directory.iterdir() if p.is_dir()):
        for path in sorted(variant_dir.glob("*/*/*/*/*.jsonl")):
            if since is not None:
                y, m, d, h = path.parts[-5:-1]
                hour_end = dt.datetime(int(y), int(m), int(d), int(h),
                                       tzinfo=dt.timezone.utc) + dt.timedelta(hours=1)
                if hour_end < since:
                    continue
            with open(path, "rb") as fh:
                for line in fh:
                    if not line.strip():
                        continue
                    try:
                        record = orjson.loads(line)
                    except orjson.JSONDecodeError:
                        continue  # a line being written right now
                    yield variant_dir.name, record


def _decode(part: dict[str, Any]) -> tuple[bytes, str]:
    data = part.get("data", "")
    raw = base64.b64decode(data) if part.get("encoding") == "BASE64" else data.encode()
    return raw, part.get("observedContentType") or ""


def read_captured(directory: Path | str, signatures: dict[str, dict], since: Any = None):
    """A DataFrame: one row per captured input row with its prediction and metadata."""
    import pandas as pd

    from .codec import parse
    from .schema import Schema

    since_dt = parse_since(since)
    schemas = {name: Schema(sig) for name, sig in signatures.items()}
    frames = []
    for variant, record in iter_records(directory, since_dt):
        meta = record.get("eventMetadata", {})
        when = pd.Timestamp(meta.get("inferenceTime"))
        if since_dt is not None and when < pd.Timestamp(since_dt):
            continue
        schema = schemas.get(variant) or Schema(None)
        cap = record.get("captureData", {})
        try:
            raw, ctype = _decode(cap.get("endpointInput", {}))
            table, _ = parse(raw, ctype, schema)
        except Exception:
            continue
        df = schema.frame(table)
        out_raw, out_type = _decode(cap.get("endpointOutput", {}))
        preds = _predictions(out_raw, out_type)
        if preds is not None and len(preds) == len(df):
            df["prediction"] = preds
        df["inference_id"] = meta.get("inferenceId")
        df["event_id"] = meta.get("eventId")
        df["time"] = when
        df["variant"] = variant
        frames.append(df)
    if not frames:
        return pd.DataFrame(columns=["prediction", "inference_id", "event_id", "time", "variant"])
    return pd.concat(frames, ignore_index=True).sort_values("time", kind="stable") \
        .reset_index(drop=True)


def _predictions(raw: bytes, ctype: str) -> list | None:
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
