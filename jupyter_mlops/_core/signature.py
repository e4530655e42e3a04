"""A model's signature: the input columns and dtypes it was trained on, and what it outputs.

Stored with every version; the serving layer enforces it on requests and the monitor uses it to
type columns. Shape::

    {"input_type": "dataframe" | "ndarray",
     "inputs": [{"name": "age", "dtype": "float64", "kind": "numeric"}, ...],
     "output": {"kind": "classification" | "regression" | "other",
                "classes": [0, 1] (classification), "name": "churned" (when the target had one),
                "dtype": "int64"},
     "has_proba": true}
"""

from __future__ import annotations

from typing import Any

import numpy as np


def column_kind(dtype: Any) -> str:
    import pandas as pd

    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    return "categorical"


def _jsonable(values: Any) -> list:
    out = []
    for v in values:
        if isinstance(v, np.generic):
            v = v.item()
        out.append(v)
    return out


def infer_signature(data: Any = None, target: Any = None, model: Any = None) -> dict | None:
    """Infer the signature from training data (DataFrame or array), target and fitted model."""
    import pandas as pd

    if data is None and model is None:
        return None
    sig: dict[str, Any] = {}
    if isinstance(data, pd.DataFrame):
        sig["input_type"] = "dataframe"
        sig["inputs"] = [
            {"name": str(c), "dtype": str(t), "kind": column_kind(t)} for c, t in data.dtypes.items()
        ]
    elif data is not None:
        arr = np.asarray(data)
        if arr.ndim == 1:
            arr = arr.reshape(-1, 1)
        sig["input_type"] = "ndarray"
        names = getattr(model, "feature_names_in_", None)
        names = [str(n) for n in names] if names is not None else [f"f{i}" for i in range(arr.shape[1])]
        kind = column_kind(arr.dtype)
        sig["inputs"] = [{"name": n, "dtype": str(arr.dtype), "kind": kind} for n in names]
    else:
        names = getattr(model, "feature_names_in_", None)
        n = getattr(model, "n_features_in_", None)
        if names is not None:
            sig["input_type"] = "dataframe"
            sig["inputs"] = [{"name": str(c), "dtype": "float64", "kind": "numeric"} for c in names]
        elif n is not None:
            sig["input_type"] = "ndarray"
            sig["inputs"] = [{"name": f"f{i}", "dtype": "float64", "kind": "numeric"} for i in range(n)]
    output: dict[str, Any] = {"kind": "other"}
    classes = getattr(model, "classes_", None)
    if classes is not None:
        output = {"kind": "classification", "classes": _jsonable(classes)}
    elif target is not None:
        t = np.asarray(target)
        output = {"kind": "regression" if t.dtype.kind == "f" else "other"}
    if target is not None:
        name = getattr(target, "name", None)
        if name is not None:
            output["name"] = str(name)
        output["dtype"] = str(getattr(target, "dtype", np.asarray(target).dtype))
    sig["output"] = output
    sig["has_proba"] = callable(getattr(model, "predict_proba", None))
    return sig
