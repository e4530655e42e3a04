"""Signature enforcement: rows and columns from a request become the model's input, or a
PayloadError that names the column, row and value that did not fit.

The result is a ``Table``: a float64 ndarray in signature order when every input is numeric (the
fast path: no DataFrame is built), else a dict of columns the variant turns into a DataFrame.

``Schema.check`` is the last gate before the model (the variant calls it for every table, whatever
protocol decoded it): values no model can be blamed for are the client's error (a 4xx, never a
model error a guardrail counts; ARCHITECTURE.md, "Serving"). Infinities (``inf``, and numbers
beyond float64's range such as ``1e400``, which parse as infinities) are always refused; missing
values (NaN, empty cells, nulls) unless the variant found at load time that its model accepts them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...errors import PayloadError


@dataclass
class Table:
    array: np.ndarray | None = None          # (n, k) float64, signature order
    columns: dict[str, list] | None = None   # mixed types: column name -> values

    @property
    def n_rows(self) -> int:
        if self.array is not None:
            return int(self.array.shape[0])
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def rows(self) -> list[list]:
        if self.array is not None:
            return self.array.tolist()
        return [list(r) for r in zip(*self.columns.values())]


class Schema:
    """The input part of a signature, prepared for fast checks."""

    def __init__(self, signature: dict | None):
        signature = signature or {}
        inputs = signature.get("inputs") or []
        self.known = bool(inputs)
        self.names: list[str] = [str(i["name"]) for i in inputs]
        self.kinds: list[str] = [i.get("kind", "numeric") for i in inputs]
        self.dtypes: list[str] = [str(i.get("dtype", "float64")) for i in inputs]
        self.index = {n: i for i, n in enumerate(self.names)}
        self.width = len(self.names)
        self.all_numeric = all(k in ("numeric", "boolean") for k in self.kinds)
        self.header_bytes = ",".join(self.names).encode()
        #: set by the variant once its model is loaded (``variant.py``): the model takes NaN
        self.allow_missing = False

    def column_mismatch(self, given) -> str | None:
        """``missing column(s) 'a'; unexpected column(s) 'z'`` for the names in ``given``, or
        None when they are exactly the signature's columns."""
        missing = [n for n in self.names if n not in given]
        extra = [n for n in given if n not in self.index]
        parts = []
        if missing:
            parts.append("missing column(s) " + ", ".join(repr(m) for m in missing))
        if extra:
            parts.append("unexpected column(s) " + ", ".join(repr(e) for e in extra))
        return "; ".join(parts) or None

    def describe(self) -> str:
        if not self.known:
            return "(no signature recorded)"
        return ", ".join(f"{n} ({d})" for n, d in zip(self.names, self.dtypes))

    # -- positional rows (CSV, "instances", V2 tensors) ------------------------------------
    def from_rows(self, rows: list, source: str = "row") -> Table:
        if not isinstance(rows, list) or not rows:
            raise PayloadError("The request has no rows: send at least one row of "
                               f"{self.width or 'feature'} values.")
        if not isinstance(rows[0], (list, tuple)):
            rows = [rows]  # a single row given flat
        width = self.width if self.known else len(rows[0])
        for i, row in enumerate(rows):
            if not isinstance(row, (list, tuple)):
                raise PayloadError(f"{source} {i + 1} is a {type(row).__name__}, expected a list "
                                   f"of {width} values.")
            if len(row) != width:
                expected = f" ({', '.join(self.names)})" if self.known else ""
                raise PayloadError(f"{source} {i + 1} has {len(row)} values; the model expects "
                                   f"{width}{expected}.")
        if not self.known or self.all_numeric:
            return Table(array=self._numeric(rows, source))
        cols = {n: [r[j] for r in rows] for j, n in enumerate(self.names)}
        return self._checked_columns(cols, source)

    # -- named columns (records, dataframe_split, V2 per-column tensors) --------------------
    def from_columns(self, cols: dict[str, list]) -> Table:
        if not self.known:
            n = {len(v) for v in cols.values()}
            if len(n) != 1:
                raise PayloadError("The columns have different lengths.")
            try:
                return Table(array=np.array(list(zip(*cols.values())), dtype=np.float64))
            except (TypeError, ValueError):
                return Table(columns=cols)
        mismatch = self.column_mismatch(cols)
        if mismatch:
            raise PayloadError(f"The input does not match the model's signature: "
                               f"{mismatch}. Expected columns: {self.describe()}.")
        lengths = {len(v) for v in cols.values()}
        if len(lengths) != 1:
            raise PayloadError("The columns have different lengths: "
                               + ", ".join(f"{k}={len(v)}" for k, v in cols.items()) + ".")
        if lengths == {0}:
            raise PayloadError("The request has no rows.")
        ordered = {n: cols[n] for n in self.names}
        if self.all_numeric:
            rows = list(zip(*ordered.values()))
            return Table(array=self._numeric(rows, "row"))
        return self._checked_columns(ordered, "row")

    # -- conversion ----------------------------------------------------------------------
    def _numeric(self, rows: list, source: str) -> np.ndarray:
        try:
            arr = np.array(rows, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            arr = None
        if arr is not None and arr.ndim == 2:
            return arr
        # slow path: find the offending value, and accept empty cells as missing (NaN)
        out = np.empty((len(rows), len(rows[0])), dtype=np.float64)
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                out[i, j] = self._to_float(v, i, j, source)
        return out

    def _to_float(self, v: Any, i: int, j: int, source: str) -> float:
        if v is None or v == "":
            return math.nan
        if isinstance(v, (int, float)):
            try:
                return float(v)
            except OverflowError:  # an int beyond float64: refused by check() as an infinity
                return math.inf if v > 0 else -math.inf
        if isinstance(v, str):
            try:
                return float(v)
            except ValueError:
                pass
        col = self.names[j] if self.known else f"#{j + 1}"
        dtype = self.dtypes[j] if self.known else "float64"
        raise PayloadError(f"Column {col!r} expects a number ({dtype}); {source} {i + 1} has "
                           f"{v!r} ({type(v).__name__}).")

    def _checked_columns(self, cols: dict[str, list], source: str) -> Table:
        out: dict[str, list] = {}
        for j, (name, values) in enumerate(cols.items()):
            kind = self.kinds[j]
            if kind in ("numeric", "boolean"):
                out[name] = [self._to_float(v, i, j, source) for i, v in enumerate(values)]
            elif kind == "categorical":
                bad = [(i, v) for i, v in enumerate(values)
                       if v is not None and not isinstance(v, (str, int, float, bool))]
                if bad:
                    i, v = bad[0]
                    raise PayloadError(f"Column {name!r} expects a category (text); {source} "
                                       f"{i + 1} has a {type(v).__name__}: {v!r}.")
                out[name] = values
            else:
                out[name] = values
        return Table(columns=out)

    # -- the gate before the model --------------------------------------------------------
    def check(self, table: Table) -> bool:
        """Raise a PayloadError naming the first row and column with a value the model cannot
        take; True when every number is finite (the linear fast path's precondition).

        The common case costs one vectorised ``isfinite`` over the array (no per-value Python);
        only a table that fails it is searched for the cell to name.
        """
        if table.array is not None:
            if np.isfinite(table.array).all():
                return True
            arr = table.array
            self._refuse(self._bad_numbers(arr, self._missing_ok()), lambda i, j: arr[i, j])
            return False
        if table.columns is not None and self.known:
            cols = list(table.columns.values())
            self._refuse(self._bad_cells(table.columns), lambda i, j: cols[j][i])
        return False

    def _missing_ok(self) -> np.ndarray:
        """Per column: may it hold NaN? Never for booleans (a NaN would become True)."""
        if not self.known:
            return np.array([self.allow_missing])
        return np.array([self.allow_missing and k != "boolean" for k in self.kinds])

    @staticmethod
    def _bad_numbers(arr: np.ndarray, missing_ok: np.ndarray) -> np.ndarray:
        bad = np.isinf(arr)
        if not missing_ok.all():
            bad |= np.isnan(arr) & ~missing_ok
        return bad

    def _bad_cells(self, columns: dict[str, list]) -> np.ndarray:
        """(rows, columns) mask of refused cells of a mixed-type table."""
        missing_ok = self._missing_ok()
        masks = []
        for j, values in enumerate(columns.values()):
            if self.kinds[j] in ("numeric", "boolean"):
                masks.append(self._bad_numbers(np.asarray(values, dtype=np.float64),
                                               missing_ok[j:j + 1]))
            elif missing_ok[j]:
                masks.append(np.zeros(len(values), dtype=bool))
            else:
                masks.append(np.array([v is None or (isinstance(v, float) and v != v)
                                       for v in values], dtype=bool))
        return np.column_stack(masks) if masks else np.zeros((0, 0), dtype=bool)

    def _refuse(self, bad: np.ndarray, value_at) -> None:
        rows_bad = bad.any(axis=1)
        if not rows_bad.any():
            return
        i = int(np.argmax(rows_bad))
        j = int(np.argmax(bad[i]))
        value = value_at(i, j)
        column = self.names[j] if self.known else f"#{j + 1}"
        if isinstance(value, (float, np.floating)) and math.isinf(value):
            problem = (f"is {'-inf' if value < 0 else 'inf'}: an infinity, or a number beyond "
                       "float64's range of ±1.8e308; send finite numbers")
        else:
            problem = ("is missing (NaN, null or an empty cell) and this model does not accept "
                       "missing values; fill them in before sending")
        others = int(rows_bad.sum()) - 1
        more = f" ({others} more row(s) have such values)" if others else ""
        raise PayloadError(f"Row {i + 1}, column {column!r} {problem}{more}.")

    def frame(self, table: Table):
        """A DataFrame with the signature's column names and dtypes (the slow, safe path)."""
        import pandas as pd

        if table.array is not None:
            names = self.names if self.known else [f"f{i}" for i in range(table.array.shape[1])]
            df = pd.DataFrame(table.array, columns=names)
        else:
            df = pd.DataFrame(table.columns)
        for name, dtype, kind in zip(self.names, self.dtypes, self.kinds):
            if name not in df:
                continue
            try:
                if kind == "datetime":
                    df[name] = pd.to_datetime(df[name])
                elif kind == "boolean":
                    df[name] = df[name].astype(bool)
                elif kind == "numeric" and dtype.startswith(("int", "uint")) \
                        and not df[name].isna().any() and (df[name] % 1 == 0).all():
                    df[name] = df[name].astype(dtype)
                elif kind == "categorical" and dtype in ("category",):
                    df[name] = df[name].astype("category")
            except (TypeError, ValueError) as exc:
                raise PayloadError(f"Column {name!r} cannot be converted to {dtype}: {exc}") from exc
        return df
