"""sha256 over the FULL content of training data: every row, the column names and the dtypes.

Numeric, boolean and datetime columns are hashed from their raw bytes; object, string and
categorical columns from pandas' deterministic per-value hash (``hash_pandas_object``, fixed key),
so the digest is stable across processes and machines. The index is not part of the content.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np


def _update_with_array(h, arr: np.ndarray) -> None:
    if arr.dtype.kind in "biufcmM":
        h.update(np.ascontiguousarray(arr).tobytes())
    else:
        import pandas as pd

        h.update(pd.util.hash_pandas_object(pd.Series(arr, copy=False), index=False).to_numpy().tobytes())


def data_fingerprint(data: Any) -> dict:
    """``{"sha256", "shape", "columns"?, "dtypes"?}`` for a DataFrame, Series or array."""
    import pandas as pd

    h = hashlib.sha256()
    if isinstance(data, pd.DataFrame):
        columns = [str(c) for c in data.columns]
        dtypes = [str(t) for t in data.dtypes]
        h.update(repr((columns, dtypes)).encode())
        for i in range(data.shape[1]):
            col = data.iloc[:, i]
            if isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object or str(col.dtype).startswith("string"):
                h.update(pd.util.hash_pandas_object(col, index=False).to_numpy().tobytes())
            else:
                values = col.to_numpy()
                if values.dtype == object:  # nullable extension dtypes with missing values
                    h.update(pd.util.hash_pandas_object(col, index=False).to_numpy().tobytes())
                else:
                    _update_with_array(h, values)
        return {"sha256": h.hexdigest(), "shape": list(data.shape), "columns": columns, "dtypes": dtypes}
    if isinstance(data, pd.Series):
        h.update(repr(([str(data.name)], [str(data.dtype)])).encode())
        if data.dtype == object or isinstance(data.dtype, pd.CategoricalDtype):
            h.update(pd.util.hash_pandas_object(data, index=False).to_numpy().tobytes())
        else:
            _update_with_array(h, data.to_numpy())
        return {"sha256": h.hexdigest(), "shape": [len(data)], "name": str(data.name), "dtype": str(data.dtype)}
    arr = np.asarray(data)
    h.update(repr((list(arr.shape), str(arr.dtype))).encode())
    _update_with_array(h, arr.reshape(-1))
    return {"sha256": h.hexdigest(), "shape": list(arr.shape), "dtype": str(arr.dtype)}
