"""Batch transform: score a CSV or Parquet file (any fsspec URL) in chunks with a registered
version, like SageMaker's batch transform with ``JoinSource=Input``: the output holds the input
columns and a ``prediction`` column. The same signature checks and the same verified fast path as
the endpoints apply; chunks run on ``workers`` threads, or on a Dask cluster (``dask=ADDRESS``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from ... import html
from ...errors import InvalidInput, PayloadError
from ...inputs import frame_format
from ...progress import bar
from ...results import Result, jsonable


@dataclass
class BatchJob(Result):
    ref: str
    input: str
    output: str
    rows: int
    chunks: int
    seconds: float
    engine: str

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("nan")

    def to_dict(self) -> dict:
        return {**super().to_dict(), "rows_per_second": jsonable(self.rows_per_second)}

    def _repr_html_(self) -> str:
        return html.card(f"batch transform {self.ref}", html.badge("done", "ok"),
                         [("", html.kv_table(self.to_dict().items()))])

    def __repr__(self) -> str:
        return (f"BatchJob({self.ref}: {self.rows} rows in {self.chunks} chunks, "
                f"{self.seconds:.2f} s, {self.rows_per_second:,.0f} rows/s, {self.engine}) "
                f"-> {self.output}")


def _chunks(path: str, chunk_rows: int):
    import pandas as pd

    if frame_format(path) == "csv":
        yield from pd.read_csv(path, chunksize=chunk_rows)
        return
    import pyarrow.parquet as pq
    import fsspec

    with fsspec.open(path, "rb") as fh:
        for batch in pq.ParquetFile(fh).iter_batches(batch_size=chunk_rows):
            yield batch.to_pandas()


def score_frame(variant, frame):
    """Input columns + ``prediction`` for one chunk, with the endpoint's signature checks."""
    schema = variant.schema
    if schema.known:
        missing = [c for c in schema.names if c not in frame.columns]
        if missing:
            raise PayloadError(f"The input lacks column(s) {', '.join(map(repr, missing))}; the "
                               f"model expects: {schema.describe()}.")
        cols = {n: frame[n].tolist() for n in schema.names}
        table = schema.from_columns(cols)
    else:
        table = schema.from_rows(frame.to_numpy().tolist())
    out = frame.copy()
    out["prediction"] = variant.predict(table)
    return out


def _rows_in(path: str) -> int | None:
    """The input's row count when it is cheap to know (Parquet's footer), for the bar's total."""
    if frame_format(path) == "csv":
        return None
    import fsspec
    import pyarrow.parquet as pq

    with fsspec.open(path, "rb") as fh:
        return pq.ParquetFile(fh).metadata.num_rows


def run_batch(variant, ref: str, input: str, output: str, chunk_rows: int = 10_000,
              workers: int = 1, dask: str | None = None, progress: bool | None = None) -> BatchJob:
    """``progress``: a bar of the rows scored (see ``progress.py``; not with ``dask``)."""
    import pandas as pd

    if int(chunk_rows) < 1 or int(workers) < 1:
        raise InvalidInput("chunk_rows and workers must be at least 1.")
    out_format = frame_format(output)
    frame_format(input)
    t0 = time.perf_counter()
    if dask:
        scored, chunks, engine = _with_dask(variant, input, chunk_rows, dask)
    else:
        with bar(progress, total=_rows_in(input), desc=f"batch {ref}", unit="rows") as rows_done:
            def scored_chunk(frame):
                out = score_frame(variant, frame)
                rows_done.update(len(frame))  # tqdm's update takes a lock: safe from the pool's threads
                return out

            parts = list(_chunks(input, int(chunk_rows)))
            if int(workers) > 1:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(int(workers)) as pool:
                    scored_parts = list(pool.map(scored_chunk, parts))
            else:
                scored_parts = [scored_chunk(f) for f in parts]
        scored = pd.concat(scored_parts, ignore_index=True) if scored_parts else pd.DataFrame()
        chunks, engine = len(parts), f"{workers} thread(s)"
    if out_format == "csv":
        scored.to_csv(output, index=False)
    else:
        scored.to_parquet(output, index=False)
    return BatchJob(ref, input, output, len(scored), chunks, time.perf_counter() - t0, engine)


def _with_dask(variant, input: str, chunk_rows: int, address: str):
    """Dask reads the file in partitions (about 16 MB each) on the cluster's workers."""
    import dask.dataframe as dd
    from dask.distributed import Client

    frame = dd.read_csv(input, blocksize="16MB") if frame_format(input) == "csv" \
        else dd.read_parquet(input)
    sample = score_frame(variant, frame._meta_nonempty)
    with Client(address) as client:
        scored = frame.map_partitions(score_frame_remote, variant.spec, meta=sample.iloc[:0])
        result = client.compute(scored).result()
    return result.reset_index(drop=True), frame.npartitions, f"dask {address}"


_remote_cache: dict[str, Any] = {}


def score_frame_remote(frame, spec: dict):
    """Runs on a Dask worker: load (and hash-check) the variant once per worker process."""
    from ..inference.variant import LoadedVariant

    key = spec.sha256 or spec.artifact_path
    variant = _remote_cache.get(key)
    if variant is None:
        variant = _remote_cache[key] = LoadedVariant(spec).load()
    return score_frame(variant, frame)
