"""SageMaker's data capture record (one JSON line per request), as the endpoint writes it and the
kernel reads it back: ``captureData.endpointInput`` / ``endpointOutput`` with the observed content
type, the data as text (CSV, JSON) or base64, and ``eventMetadata`` (event id, inference id, time).

Files are laid out ``<capture dir>/<variant>/yyyy/mm/dd/hh/<mm>-<ss>-<writer>.jsonl`` (UTC), so a
window ``since`` a time reads only the hours it covers.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Any, Iterator

import orjson

TEXT_ENCODINGS = {"text/csv": "CSV", "application/json": "JSON"}
HOUR_FOLDERS = "*/*/*/*/*.jsonl"


def encode_part(content_type: str, data: bytes) -> dict[str, Any]:
    """``endpointInput``/``endpointOutput`` without its mode: text when it is CSV or JSON in
    UTF-8, else base64."""
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


def decode_part(part: dict[str, Any]) -> tuple[bytes, str]:
    """(raw bytes, content type) of an ``endpointInput``/``endpointOutput``."""
    data = part.get("data", "")
    raw = base64.b64decode(data) if part.get("encoding") == "BASE64" else data.encode()
    return raw, part.get("observedContentType") or ""


def iter_records(directory: Path | str, since: dt.datetime | None = None) -> Iterator[tuple[str, dict]]:
    """(variant, record) for every captured line in an hour folder that ends at or after
    ``since``; a line being written at this moment is skipped."""
    directory = Path(directory)
    if not directory.exists():
        return
    for variant_dir in sorted(p for p in directory.iterdir() if p.is_dir()):
        for path in sorted(variant_dir.glob(HOUR_FOLDERS)):
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
                        continue
                    yield variant_dir.name, record
