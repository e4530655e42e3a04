"""Batch transform on a ``dask.distributed`` cluster (``dask=ADDRESS``): Dask reads the file in
partitions (about 16 MB each) on the cluster's workers, each of which loads (and hash-checks) the
variant once."""

from __future__ import annotations

import json
from typing import Any

from .batch_chunks import score_frame
from .batch_files import batch_format


def with_dask(variant, input: str, output: str, join_input: bool, address: str) -> tuple[int, int]:
    """Scores ``input`` into ``output`` on the cluster; (rows, partitions)."""
    import dask.dataframe as dd
    import fsspec
    from dask.distributed import Client

    fmt = batch_format(input)
    frame = {"csv": lambda: dd.read_csv(input, blocksize="16MB"),
             "jsonl": lambda: dd.read_json(input, lines=True, blocksize=16 << 20),
             "parquet": lambda: dd.read_parquet(input)}[fmt]()
    sample = score_frame(variant, frame._meta_nonempty, join_input)
    with Client(address) as client:
        scored = frame.map_partitions(score_frame_remote, variant.spec, join_input,
                                      meta=sample.iloc[:0])
        result = client.compute(scored).result().reset_index(drop=True)
    out_fmt = batch_format(output)
    fs, path = fsspec.core.url_to_fs(output)
    fs.makedirs(fs._parent(path), exist_ok=True)
    with fs.open(path, "wb") as fh:
        if out_fmt == "parquet":
            result.to_parquet(fh, index=False)
        elif out_fmt == "jsonl" and not join_input:  # one value a line, as the local engine writes
            fh.write("".join(json.dumps(v) + "\n" for v in result["prediction"].tolist()).encode())
        elif out_fmt == "jsonl":
            fh.write(result.to_json(orient="records", lines=True).encode())
        else:
            fh.write(result.to_csv(index=False).encode())
    return len(result), frame.npartitions


_remote_cache: dict[str, Any] = {}


def score_frame_remote(frame, spec, join_input: bool = True):
    """Runs on a Dask worker: load (and hash-check) the variant once per worker process."""
    from ..inference.variant import LoadedVariant

    key = spec.sha256 or spec.artifact_path
    variant = _remote_cache.get(key)
    if variant is None:
        variant = _remote_cache[key] = LoadedVariant(spec).load()
    return score_frame(variant, frame, join_input)
