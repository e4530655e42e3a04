"""Values a notebook hands on with ``jupyter_mlops.output(key, value)``: written by the kernel into
its step's folder (``$MLOPS_RUN_DIR/outputs/``), collected by the run into the artifact store, and
given to later steps that declare a parameter of that name.

A value is JSON (numbers, strings, booleans, None, lists and dicts of them; numpy scalars and
arrays are converted) or a pandas DataFrame (kept as Parquet). Numbers are also the run's reported
metrics. Both sides of the folder's format are here, so they cannot drift apart.
"""

from __future__ import annotations

import json
import keyword
import os
import sys
from pathlib import Path
from typing import Any

from ..collaborators import ArtifactSource
from ..errors import InvalidInput

FOLDER = "outputs"
_SUFFIXES = {".json": "json", ".parquet": "frame"}


def check_key(key: Any) -> str:
    if not isinstance(key, str) or not key.isidentifier() or keyword.iskeyword(key):
        raise InvalidInput(f"output key {key!r} is not a Python identifier; a later step receives the value "
                           "as the parameter of that name, so the key must be one (e.g. 'train_rows').")
    return key


def _is_frame(value: Any) -> bool:
    pandas = sys.modules.get("pandas")  # a DataFrame exists only once pandas is imported
    return pandas is not None and isinstance(value, pandas.DataFrame)


def _numpy_to_python(value: Any) -> Any:
    if type(value).__module__.startswith("numpy") and hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(type(value).__name__)


def encode(key: str, value: Any) -> tuple[str, bytes]:
    """(suffix, bytes) of ``value`` as stored, or ``InvalidInput`` saying what a value may be."""
    if _is_frame(value):
        import io

        buffer = io.BytesIO()
        value.to_parquet(buffer)
        return ".parquet", buffer.getvalue()
    try:
        return ".json", json.dumps(value, allow_nan=False, default=_numpy_to_python).encode()
    except ValueError:
        raise InvalidInput(f"output({key!r}, …): {value!r} holds NaN or infinity, which JSON cannot; "
                           "give a finite number or None.") from None
    except TypeError:
        raise InvalidInput(f"output({key!r}, …): a {type(value).__name__} is neither JSON nor a DataFrame.",
                           hint="Output numbers, strings, lists, dicts or a pandas DataFrame; register a model "
                                "(Workspace.register) and output its ref instead of the model.") from None


def write(folder: Path, key: str, value: Any) -> None:
    """Kernel side: keep ``value`` under ``key`` in ``folder/outputs`` (replacing an earlier one)."""
    key = check_key(key)
    suffix, data = encode(key, value)
    target = Path(folder) / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    tmp = target / f".{key}{suffix}.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, target / f"{key}{suffix}")
    for other in _SUFFIXES:
        if other != suffix:
            (target / f"{key}{other}").unlink(missing_ok=True)


def collect(folder: Path, artifacts: ArtifactSource) -> dict[str, dict]:
    """Part side: every output of a finished step, stored as an artifact: ``{key: {"type": "json",
    "value": …, "sha256": …}}`` or ``{key: {"type": "frame", "sha256": …, "rows": …, "columns": […]}}``."""
    target = Path(folder) / FOLDER
    out: dict[str, dict] = {}
    for path in sorted(target.glob("*")) if target.is_dir() else []:
        kind = _SUFFIXES.get(path.suffix)
        if kind is None or path.name.startswith("."):
            continue
        data = path.read_bytes()
        record: dict[str, Any] = {"type": kind, "sha256": artifacts.put_bytes(data)}
        if kind == "json":
            record["value"] = json.loads(data)
        else:
            import pyarrow.parquet as pq

            parquet = pq.ParquetFile(path)
            record["rows"] = parquet.metadata.num_rows
            record["columns"] = [n for n in parquet.schema_arrow.names if not n.startswith("__index_level_")]
        out[path.stem] = record
    return out


def numbers(outputs: dict[str, dict]) -> dict[str, float]:
    """The outputs that are numbers: a run reports them as its metrics."""
    return {k: float(r["value"]) for k, r in outputs.items() if r["type"] == "json"
            and isinstance(r.get("value"), (int, float)) and not isinstance(r.get("value"), bool)}


def as_parameter(key: str, record: dict, artifacts: ArtifactSource, folder: Path) -> tuple[Any, Path | None]:
    """What a later step receives for ``record``: (value, None) for JSON, (None, Parquet file)
    for a DataFrame, copied from the artifact store (verified) into ``folder``."""
    if record["type"] == "json":
        return record["value"], None
    path = Path(folder) / "inputs" / f"{key}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(artifacts.get_bytes(record["sha256"]))
    return None, path
