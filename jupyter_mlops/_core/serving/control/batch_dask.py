"""Batch transform on a ``dask.distributed`` cluster (``dask=ADDRESS``): Dask reads the file in
partitions (about 16 MB each) on the cluster's workers, each of which loads (and hash-checks) the
variant once."""

from __future__ import annotations

from typing import Any

from .batch_chunks import score_frame
from .batch_files import batch_format


def with_dask(variant, input: str, output: str, join_input: bool, address: str) -> tuple[int, int]:
    """Scores ``input`` into ``output`` on the cluster; (rows, partitions)."""
    import dask.dataframe as dd
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
    if out_fmt == "parquet":
        result.to_parquet(output, index=False)
    elif out_fmt == "jsonl":
        result.to_json(output, orient="records", lines=True)
    else:
        result.to_csv(output, index=False)
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
