"""``Result``: what every result object of the API shares, and ``jsonable``, its JSON form.

A result is a value the API hands back (a model version, a report, an endpoint, a schedule…). It
shows itself in a notebook (``_repr_html_``), in a terminal (``repr``), as a pandas table
(``to_frame``) and as JSON (``to_dict``). ``to_dict`` is the wire form the REST API serves, so it
holds only ``str``, ``int``, ``float``, ``bool``, ``None``, ``list`` and ``dict``, with no NaN or
infinity: ``json.dumps(result.to_dict(), allow_nan=False)`` always works.

Result types are dataclasses; by default their fields are their JSON, less any field declared
with ``metadata=NOT_ON_THE_WIRE`` (state of this process only, such as whether a daemon runs).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
import sys
from collections.abc import Mapping
from pathlib import PurePath
from types import MappingProxyType
from typing import Any

from . import html

#: field metadata for a dataclass field that ``to_dict`` leaves out
NOT_ON_THE_WIRE = MappingProxyType({"on_the_wire": False})

REPR_CHARS = 120


def jsonable(value: Any) -> Any:
    """``value`` as JSON-safe values: datetimes as ISO 8601, numpy and pandas values as Python
    ones, NaN, infinity and missing values as None, dataclasses and results as dicts, anything
    else unknown as its ``str``."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Result):
        return value.to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return wire_fields(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return None if _missing(value) else value.isoformat()
    if isinstance(value, dt.timedelta):
        return None if _missing(value) else value.total_seconds()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    return _library_value(value)


def wire_fields(obj: Any) -> dict[str, Any]:
    """A dataclass's fields as JSON-safe values, less private ones and those not on the wire."""
    return {f.name: jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)
            if not f.name.startswith("_") and f.metadata.get("on_the_wire", True)}


def _missing(value: Any) -> bool:
    # pandas' NaT is a datetime (and a timedelta) that is not equal to itself
    return value != value


def _library_value(value: Any) -> Any:
    # numpy and pandas are looked up, not imported: a value of theirs exists only once they are
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(value, np.datetime64):
            return jsonable(value.astype("datetime64[us]").item())
        if isinstance(value, np.timedelta64):
            return jsonable(value.astype("timedelta64[us]").item())
        if isinstance(value, np.ndarray):
            return jsonable(value.tolist())
        if isinstance(value, np.generic):
            return jsonable(value.item())
    pd = sys.modules.get("pandas")
    if pd is not None:
        if value is pd.NA:
            return None
        if isinstance(value, pd.DataFrame):
            return jsonable(value.to_dict(orient="records"))
        if isinstance(value, pd.Series):
            return jsonable(value.tolist())
    return str(value)


class Result:
    """The base of every result type: JSON (``to_dict``, ``to_json``), a table (``to_frame``), HTML
    for notebooks (``_repr_html_``) and a short ``repr``. Subclasses are dataclasses and override
    what they show better than these defaults."""

    @property
    def title(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        """The JSON-safe form served by the REST API."""
        return wire_fields(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def to_frame(self):
        """A one-row pandas DataFrame of ``to_dict``."""
        import pandas as pd

        return pd.DataFrame([self.to_dict()])

    def _repr_html_(self) -> str:
        return html.card(self.title, "", [("", html.kv_table(self.to_dict().items()))])

    def __repr__(self) -> str:
        fields = " ".join(f"{k}={html.format_text(v)}" for k, v in self.to_dict().items()
                          if not isinstance(v, (dict, list)))
        text = f"<{type(self).__name__} {fields}"
        return (text[:REPR_CHARS - 2] + "…>") if len(text) > REPR_CHARS - 1 else text + ">"
