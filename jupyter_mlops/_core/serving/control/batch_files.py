"""The files of a batch transform: which inputs a job reads (a file, a folder of them, any fsspec
URL), how each is cut into chunks of records without being held whole, and how one chunk is read
back into a DataFrame knowing the line number of each record.

Records follow SageMaker's ``SplitType``: ``"Line"`` makes each line of a CSV (after its header)
or JSON Lines file a record; ``None`` makes the whole file one request (one chunk). Parquet has no
lines: its chunks are whole row groups and its records are numbered by row."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

from ...errors import InvalidInput

FORMATS = {".csv": "csv", ".txt": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
           ".parquet": "parquet", ".pq": "parquet"}
_SCAN_BLOCK = 4 << 20  # bytes read at a time when finding the chunk boundaries


def batch_format(path: str) -> str | None:
    """``csv``, ``jsonl`` or ``parquet`` from the name (``<input>.out`` takes its input's)."""
    name = str(path).lower()
    if name.endswith(".out"):
        name = name[:-4]
    return next((kind for suffix, kind in FORMATS.items() if name.endswith(suffix)), None)


def input_files(input: str) -> list[str]:
    """The input files of a job in name order: ``input`` itself, or the CSV/JSON Lines/Parquet
    files in the folder (or URL prefix) it names."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(input)
    if not fs.exists(root):
        raise InvalidInput(f"{input!r}: no such file or folder; check the path.")
    if fs.isdir(root):
        found = sorted(p for p in fs.find(root) if batch_format(p) and not p.endswith(".out"))
        if not found:
            raise InvalidInput(f"{input!r} holds no .csv, .jsonl or .parquet file.")
        return [fs.unstrip_protocol(p) if "://" in input else p for p in found]
    if batch_format(input) is None:
        raise InvalidInput(f"{input!r} is neither CSV, JSON Lines nor Parquet: name a .csv, .jsonl "
                           f"or .parquet file, or a folder of them.")
    return [input]


@dataclass(frozen=True)
class Chunk:
    """Records ``first_line`` .. of ``url``: bytes ``start:end`` (a line format) or row groups
    ``start:end`` (Parquet); ``rows`` counts them (blank lines included)."""
    url: str
    format: str
    index: int
    start: int
    end: int
    first_line: int
    rows: int
    header: bytes = b""


def plan(url: str, chunk_rows: int, split: str | None) -> list[Chunk]:
    """The chunks of one file, found by one streaming pass over its newlines (CSV, JSON Lines)
    or its footer (Parquet): the same file always gives the same chunks, which is what lets a
    resumed job skip the ones it finished."""
    import fsspec
    import numpy as np

    fmt = batch_format(url)
    with fsspec.open(url, "rb") as fh:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            meta = pq.ParquetFile(fh).metadata
            sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
            return _parquet_chunks(url, sizes, chunk_rows if split == "Line" else None)
        header = fh.readline() if fmt == "csv" else b""
        base, first_line = len(header), 2 if fmt == "csv" else 1
        if split is None:
            size = fh.seek(0, io.SEEK_END)
            return [Chunk(url, fmt, 0, base, size, first_line, _count_lines(url, base), header)]
        chunks, start, lines, pos = [], base, 0, base
        while block := fh.read(_SCAN_BLOCK):
            ends = np.flatnonzero(np.frombuffer(block, np.uint8) == 10)
            for cut in ends[chunk_rows - 1 - lines::chunk_rows]:
                end = pos + int(cut) + 1
                chunks.append(Chunk(url, fmt, len(chunks), start, end, first_line, chunk_rows, header))
                start, first_line = end, first_line + chunk_rows
            lines = (lines + len(ends)) % chunk_rows
            pos += len(block)
        if pos > start:  # the last, shorter chunk (its last line may lack a newline)
            rows = lines + (0 if block_ends_with_newline(fh, pos) else 1)
            chunks.append(Chunk(url, fmt, len(chunks), start, pos, first_line, rows, header))
        return chunks


def block_ends_with_newline(fh, size: int) -> bool:
    fh.seek(size - 1)
    return fh.read(1) == b"\n"


def _count_lines(url: str, start: int) -> int:
    import fsspec

    with fsspec.open(url, "rb") as fh:
        fh.seek(start)
        data = fh.read()
    return data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)


def _parquet_chunks(url: str, sizes: list[int], chunk_rows: int | None) -> list[Chunk]:
    chunks, first, row = [], 0, 0
    for group in range(len(sizes) + 1):
        taken = sum(sizes[first:group])
        if group == len(sizes) or (chunk_rows is not None and taken >= chunk_rows):
            if group > first:
                chunks.append(Chunk(url, "parquet", len(chunks), first, group, row, taken))
                row, first = row + taken, group
    return chunks


def read_bytes(chunk: Chunk) -> bytes:
    import fsspec

    with fsspec.open(chunk.url, "rb") as fh:
        fh.seek(chunk.start)
        return fh.read(chunk.end - chunk.start)


def read_frame(chunk: Chunk, data: bytes | None = None):
    """The chunk as a DataFrame (``data``: its bytes, when already read)."""
    import pandas as pd

    if chunk.format == "parquet":
        import fsspec
        import pyarrow.parquet as pq

        with fsspec.open(chunk.url, "rb") as fh:
            groups = list(range(chunk.start, chunk.end))
            return pq.ParquetFile(fh).read_row_groups(groups).to_pandas()
    data = read_bytes(chunk) if data is None else data
    if chunk.format == "csv":
        return pd.read_csv(io.BytesIO(chunk.header + data))
    return pd.DataFrame([json.loads(line) for line in data.splitlines() if line.strip()])


def records(chunk: Chunk, data: bytes):
    """``(line number, raw line, one-row DataFrame or the parse error)`` for each record of a line
    format chunk: how a failing chunk is searched for its bad record."""
    import pandas as pd

    for offset, line in enumerate(data.splitlines()):
        if not line.strip():
            continue
        try:
            frame = (pd.read_csv(io.BytesIO(chunk.header + line)) if chunk.format == "csv"
                     else pd.DataFrame([json.loads(line)]))
            if len(frame) != 1:
                raise ValueError(f"one record was expected, {len(frame)} were read")
        except Exception as exc:  # a malformed line: the error names it
            frame = exc
        yield chunk.first_line + offset, line, frame
