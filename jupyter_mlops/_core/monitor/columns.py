"""How the monitor reads a column: its kind, and its values as the tests want them.

Kinds: ``numeric`` (ints, floats; datetimes as int64 nanoseconds) and ``categorical`` (strings,
objects, booleans, pandas categoricals, mixed types). A current column is always read with the
reference's kind, so a numeric feature that arrives as text is coerced (unparseable values count
as missing and the data type check reports them) rather than silently switching tests.

A drift test reads a column as one of the same two kinds (:func:`compared_kind`): a numeric column
with at most ``LOW_CARDINALITY`` distinct reference values (a 0/1 flag, a 1-5 rating) is compared
as categories, like a boolean, and the drift report shows that kind next to the test it chose.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InvalidInput

NUMERIC = "numeric"
CATEGORICAL = "categorical"
LOW_CARDINALITY = 5  # numeric columns with at most this many distinct values are compared as categories


def as_frame(data: Any, what: str = "data", columns: list[str] | None = None):
    """A pandas DataFrame from a DataFrame, a dict of columns, a 2-D array or a list of records."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    if data is None:
        raise InvalidInput(f"No {what} given.", hint="Pass a pandas DataFrame.")
    try:
        if isinstance(data, np.ndarray) and data.ndim == 2:
            names = columns if columns and len(columns) == data.shape[1] else [f"f{i}" for i in range(data.shape[1])]
            return pd.DataFrame(data, columns=names)
        return pd.DataFrame(data)
    except Exception as exc:  # pandas raises many kinds here
        raise InvalidInput(f"Cannot read {what} as a table: {exc}", hint="Pass a pandas DataFrame.") from exc


def column_kind(series) -> str:
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return CATEGORICAL
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return NUMERIC
    return CATEGORICAL


def compared_kind(kind: str, n_unique: int | None) -> str:
    """The kind a drift test compares a column as: its stored ``kind``, except that a numeric
    column with few distinct values is compared as categories (its values are labels, not a scale
    the Kolmogorov-Smirnov or Wasserstein distance would read meaningfully)."""
    if kind == NUMERIC and n_unique is not None and n_unique <= LOW_CARDINALITY:
        return CATEGORICAL
    return kind


def numeric_values(series) -> np.ndarray:
    """float64 values (NaN for missing or unparseable)."""
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_datetime64_any_dtype(dtype):
        values = series.to_numpy(dtype="datetime64[ns]").view(np.int64).astype(np.float64)
        values[series.isna().to_numpy()] = np.nan
        return values
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        series = pd.to_numeric(series.astype(object), errors="coerce")
    if series.dtype == np.float64:
        return series.to_numpy()  # a view: the sort that follows makes the one copy
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def inferred_type(series) -> str:
    """Model Monitor's inferred_type: Integral, Fractional, String or Unknown."""
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "String"
    if pd.api.types.is_integer_dtype(dtype):
        return "Integral"
    if pd.api.types.is_float_dtype(dtype):
        values = series.dropna()
        if len(values) and np.all(np.mod(values.to_numpy(np.float64), 1) == 0):
            return "Integral"  # ints stored as float because of missing values
        return "Fractional"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "Integral"
    if series.notna().sum() == 0:
        return "Unknown"
    return "String"
