"""One chunk of a batch transform, as a worker process runs it: read it, score it with the
endpoints' signature checks, and write its part of the output atomically (a part on disk is a
finished chunk: what a resumed job skips). A chunk that fails is searched record by record, so
that the error names the file and line of the bad record, or so that, with ``errors="file"``, the
bad records go to an error part and the rest are scored."""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ...errors import PayloadError
from .batch_files import Chunk, read_bytes, read_frame, records


@dataclass(frozen=True)
class Options:
    join_input: bool      # SageMaker's JoinSource=Input: the input's columns, then "prediction"
    assemble: str | None  # "Line": a record per line (Parquet: per row); None: one JSON array
    errors: str           # "raise" or "file"
    out_format: str       # csv, jsonl or parquet


def score_frame(variant, frame, join_input: bool = True):
    """Input columns + ``prediction`` (or ``prediction`` alone) for one chunk."""
    import pandas as pd

    schema = variant.schema
    if schema.known:
        missing = [c for c in schema.names if c not in frame.columns]
        if missing:
            raise PayloadError(f"The input lacks column(s) {', '.join(map(repr, missing))}; the "
                               f"model expects: {schema.describe()}.")
        table = _numeric_table(frame, schema.names) if schema.all_numeric else None
        if table is None:
            table = schema.from_columns({n: frame[n].tolist() for n in schema.names})
    else:
        table = schema.from_rows(frame.to_numpy().tolist())
    predictions = variant.predict(table)
    if not join_input:
        return pd.DataFrame({"prediction": predictions})
    out = frame.copy()
    out["prediction"] = predictions
    return out


def _numeric_table(frame, names):
    """The float64 array ``from_columns`` would build, straight from numeric columns (no Python
    lists: the batch's largest cost after CSV formatting); None when a column is not numeric."""
    import numpy as np
    from pandas.api.types import is_numeric_dtype  # also takes pandas' own dtypes (strings...)

    from ..inference.schema import Table

    if not all(is_numeric_dtype(frame[n].dtype) for n in names):
        return None
    return Table(array=frame[list(names)].to_numpy(np.float64, na_value=np.nan))


def part_path(job_dir: Path, file_index: int, chunk_index: int) -> Path:
    return Path(job_dir) / "parts" / f"{file_index:05d}-{chunk_index:07d}"


def run_chunk(variant, chunk: Chunk, file_index: int, options: Options, job_dir: Path) -> tuple[int, int]:
    """Score ``chunk`` into its part file; (rows written, bad records sent to the error part)."""
    data = None if chunk.format == "parquet" else read_bytes(chunk)
    bad: list[tuple[int, bytes, str]] = []
    # CSV in and out, joined: each output line is the input line as read plus ",prediction" (as
    # SageMaker joins), which spares formatting the input's values again
    raw_join = chunk.format == options.out_format == "csv" and options.join_input \
        and options.assemble == "Line"
    try:
        out = score_frame(variant, read_frame(chunk, data), options.join_input and not raw_join)
    except Exception as exc:
        bad = _bad_records(variant, chunk, data)
        if not bad:  # not one record's fault (the model itself fails): say which chunk
            raise PayloadError(f"{chunk.url}, lines {chunk.first_line}-"
                               f"{chunk.first_line + chunk.rows - 1}: {_one_line(exc)}") from None
        if options.errors != "file":
            line, _, reason = bad[0]
            raise PayloadError(f"{chunk.url}, {_where(chunk, line)}: {reason}") from None
        data = _good_lines(chunk, data, {line for line, _, _ in bad})
        out = _without(variant, chunk, data, {line for line, _, _ in bad},
                       options.join_input and not raw_join)
    target = part_path(job_dir, file_index, chunk.index)
    _write_atomically(target, _joined_csv(chunk, data, out) if raw_join
                      else _encode(out, chunk.index == 0, options))
    if bad:
        _write_atomically(target.with_suffix(".err"), b"".join(
            json.dumps({"file": chunk.url, _key(chunk): line, "error": reason,
                        "record": raw.decode("utf-8", "replace")}).encode() + b"\n"
            for line, raw, reason in bad))
    return len(out), len(bad)


def _where(chunk: Chunk, line: int) -> str:
    return f"{_key(chunk)} {line}"


def _key(chunk: Chunk) -> str:
    return "row" if chunk.format == "parquet" else "line"


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _bad_records(variant, chunk: Chunk, data: bytes | None) -> list[tuple[int, bytes, str]]:
    bad = []
    if chunk.format == "parquet":
        frame = read_frame(chunk)
        for i in range(len(frame)):
            try:
                score_frame(variant, frame.iloc[i:i + 1])
            except Exception as exc:
                bad.append((chunk.first_line + i, frame.iloc[i:i + 1].to_json(orient="records").encode(),
                            _one_line(exc)))
        return bad
    for line, raw, frame in records(chunk, data):
        try:
            if isinstance(frame, Exception):
                raise frame
            score_frame(variant, frame)
        except Exception as exc:
            bad.append((line, raw, _one_line(exc)))
    return bad


def _good_lines(chunk: Chunk, data: bytes | None, bad_lines: set[int]) -> bytes | None:
    if data is None:
        return None
    lines = data.splitlines(keepends=True)
    return b"".join(raw for offset, raw in enumerate(lines) if chunk.first_line + offset not in bad_lines)


def _without(variant, chunk: Chunk, good: bytes | None, bad_lines: set[int], join_input: bool):
    """The chunk scored without its bad records (re-read whole so dtypes match the other chunks)."""
    if chunk.format == "parquet":
        frame = read_frame(chunk)
        keep = [i for i in range(len(frame)) if chunk.first_line + i not in bad_lines]
        return score_frame(variant, frame.iloc[keep].reset_index(drop=True), join_input)
    return score_frame(variant, read_frame(chunk, good), join_input)


def _joined_csv(chunk: Chunk, data: bytes, out) -> bytes:
    lines = data.splitlines()
    if not all(lines):  # pandas skips blank lines: so does the join
        lines = [line for line in lines if line.strip()]
    predictions = out["prediction"].to_csv(index=False, header=False).encode().splitlines()
    if len(predictions) != len(lines):  # a quoted value spanning lines: records are lines here
        raise PayloadError(f"{chunk.url}, lines {chunk.first_line}-{chunk.first_line + chunk.rows - 1}: "
                           f"{len(lines)} lines hold {len(predictions)} records; with split=\"Line\" "
                           f"each record must be one line.")
    body = b"\n".join(map(b",".join, zip(lines, predictions)))  # C loops: no per-line bytecode
    head = chunk.header.rstrip(b"\r\n") + b",prediction\n" if chunk.index == 0 else b""
    return head + body + (b"\n" if body else b"")


def _encode(out, first: bool, options: Options) -> bytes:
    if options.assemble is None:  # items of the one JSON array the file's output is
        text = out.to_json(orient="records" if options.join_input else "values", double_precision=15)
        inner = text[1:-1] if options.join_input else ",".join(
            json.dumps(v[0]) for v in json.loads(text))
        return inner.encode()
    if options.out_format == "parquet":
        buf = io.BytesIO()
        out.to_parquet(buf, index=False)
        return buf.getvalue()
    if options.out_format == "jsonl":
        if not options.join_input:
            return "".join(json.dumps(v) + "\n" for v in out["prediction"].tolist()).encode()
        text = out.to_json(orient="records", lines=True, double_precision=15)
        return (text if text.endswith("\n") or not text else text + "\n").encode()
    return out.to_csv(index=False, header=first).encode()


def _write_atomically(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_bytes(payload)
    os.replace(tmp, path)
