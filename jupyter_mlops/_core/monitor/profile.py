"""The reference profile: what a drift check needs from the baseline, computed once.

Numeric columns keep their sorted finite values (so a check sorts only the current data) and the
reference std; categorical columns keep their distinct values and counts. A profile is saved with
the baseline as one artifact (a JSON header and the raw arrays) and is loaded without pickle, the
arrays as zero-copy views of the bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InvalidInput
from .columns import CATEGORICAL, NUMERIC, as_frame, column_kind, compared_kind, numeric_values
from .stattests.base import category_counts, sorted_finite

FORMAT = "jupyter_mlops.reference_profile/1"
MAGIC = b"jupyter_mlops reference profile 1\n"


@dataclass
class ColumnProfile:
    name: str
    kind: str
    dtype: str
    n_rows: int
    n_missing: int  # NaN, None, +/-inf and unparseable values
    sorted: np.ndarray | None = None  # numeric
    std: float | None = None  # numeric, ddof=0 (computed on first use: see stats())
    n_unique: int | None = None
    values: list = field(default_factory=list)  # categorical
    counts: np.ndarray | None = None  # categorical

    @property
    def n_present(self) -> int:
        return self.n_rows - self.n_missing

    @property
    def compared_as(self) -> str:
        """The kind the drift tests compare this column as (see ``columns.compared_kind``): the
        one place that decides it, so the automatic test choice and the report's kind agree."""
        return compared_kind(self.kind, self.stats().n_unique)

    def stats(self) -> ColumnProfile:
        """Fill std and n_unique of a numeric column (two passes over the sorted values that only
        the automatic test choice, Wasserstein and the baseline files need)."""
        if self.kind == NUMERIC and (self.std is None or self.n_unique is None):
            s = self.sorted
            self.n_unique = int(np.count_nonzero(s[1:] != s[:-1]) + 1) if s.size else 0
            self.std = float(np.std(s)) if s.size else 0.0
        return self


def profile_column(name: str, series, kind: str | None = None) -> ColumnProfile:
    kind = kind or column_kind(series)
    n = len(series)
    if kind == NUMERIC:
        s = sorted_finite(numeric_values(series))
        return ColumnProfile(name, kind, str(series.dtype), n, n - s.size, sorted=s)
    values, counts = category_counts(series)
    return ColumnProfile(
        name, CATEGORICAL, str(series.dtype), n, n - int(counts.sum()), n_unique=len(values), values=values, counts=counts
    )


@dataclass
class ReferenceProfile:
    n_rows: int
    columns: dict[str, ColumnProfile]

    @classmethod
    def from_frame(cls, data: Any, columns: list[str] | None = None) -> ReferenceProfile:
        df = as_frame(data, "reference")
        names = [str(c) for c in df.columns] if columns is None else list(columns)
        cols = {}
        for name in names:
            if name not in df.columns:
                raise InvalidInput(f"Column {name!r} is not in the reference data.")
            cols[name] = profile_column(name, df[name])
        return cls(len(df), cols)

    def to_bytes(self) -> bytes:
        """One blob: a magic line, a JSON header, then the arrays, raw and 8-byte aligned, so that
        loading is a read plus zero-copy views (no pickle, no zip)."""
        header: dict[str, Any] = {"format": FORMAT, "n_rows": self.n_rows, "columns": []}
        chunks: list[bytes] = []
        offset = 0
        for c in self.columns.values():
            c.stats()
            meta = {k: getattr(c, k) for k in ("name", "kind", "dtype", "n_rows", "n_missing", "std", "n_unique")}
            arr = np.ascontiguousarray(c.sorted if c.kind == NUMERIC else c.counts)
            arr = arr.astype("<f8" if c.kind == NUMERIC else "<i8", copy=False)
            if c.kind != NUMERIC:
                meta["values"] = [_json_value(v) for v in c.values]
            meta["array"] = {"offset": offset, "length": int(arr.size)}
            chunks.append(arr.tobytes())
            offset += arr.nbytes
            header["columns"].append(meta)
        head = json.dumps(header).encode()
        head += b" " * (-(len(MAGIC) + 8 + len(head)) % 8)
        return b"".join([MAGIC, len(head).to_bytes(8, "little"), head, *chunks])

    @classmethod
    def from_bytes(cls, data: bytes) -> ReferenceProfile:
        if not data.startswith(MAGIC):
            raise InvalidInput("Not a reference profile (unknown format).")
        size = int.from_bytes(data[len(MAGIC):len(MAGIC) + 8], "little")
        start = len(MAGIC) + 8
        header = json.loads(data[start:start + size])
        body = start + size
        cols = {}
        for meta in header["columns"]:
            where = meta.pop("array")
            values = meta.pop("values", [])
            dtype = "<f8" if meta["kind"] == NUMERIC else "<i8"
            arr = np.frombuffer(data, dtype=dtype, count=where["length"], offset=body + where["offset"])
            if meta["kind"] == NUMERIC:
                cols[meta["name"]] = ColumnProfile(**meta, sorted=arr)
            else:
                cols[meta["name"]] = ColumnProfile(**meta, values=values, counts=arr)
        return cls(header["n_rows"], cols)


def _json_value(v: Any) -> Any:
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)
