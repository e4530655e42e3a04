"""What a reproduction compares (``reproduce.py``): the training data's hashes, the metrics within
a tolerance, the predictions on the version's kept sample rows; and which files the notebook
reads, to name the input that changed.

Each check is a dict (it is stored on the version as JSON): ``name``, ``status`` (``pass``,
``fail`` or ``skipped``), ``expected``, ``actual``, ``differences`` (one sentence each) and a
``note``. A number is within the tolerance when ``|actual - expected| <= max(abs, rel *
|expected|)``: ``abs`` for values near zero, ``rel`` for the rest (as ``math.isclose`` in the
Python documentation, relative to the recorded value rather than the larger of the two).
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidInput

#: differences listed per check; the rest are counted
MAX_LISTED = 10
#: files named by a notebook that are hashed to find the input that changed
MAX_INPUT_FILES = 50


@dataclass(frozen=True)
class Tolerance:
    """How far a reproduced number may be from the recorded one."""

    abs: float = 1e-6
    rel: float = 1e-4

    def allows(self, expected: float, actual: float) -> bool:
        return abs(actual - expected) <= max(self.abs, self.rel * abs(expected))

    def describe(self) -> str:
        return f"{self.abs:g} absolute or {self.rel:g} relative"

    def to_dict(self) -> dict:
        return {"abs": self.abs, "rel": self.rel}


def tolerance_of(value: Any) -> Tolerance:
    """``None`` (the defaults), a number (the absolute tolerance; the relative one stays its
    default) or a dict ``{"abs": …, "rel": …}``."""
    if value is None:
        return Tolerance()
    if isinstance(value, dict):
        unknown = sorted(set(map(str, value)) - {"abs", "rel"})
        if unknown:
            raise InvalidInput(f"tolerance has unknown key(s) {', '.join(unknown)}; it takes abs (e.g. 0.001) and rel "
                               "(e.g. 0.01, a share of the recorded value).")
        given = {k: _bound(f"tolerance[{k!r}]", v) for k, v in value.items()}
        return Tolerance(**{**Tolerance().to_dict(), **given})
    return Tolerance(abs=_bound("tolerance", value))


def _bound(what: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise InvalidInput(f"{what} is how far a reproduced number may be from the recorded one, a number >= 0; "
                           f"got {value!r}.", hint="e.g. tolerance=0.001, or tolerance={'abs': 0.001, 'rel': 0.01}.")
    return float(value)


def check(name: str, status: str, expected: Any = None, actual: Any = None, differences: list | None = None,
          note: str | None = None) -> dict:
    differences = list(differences or [])
    if len(differences) > MAX_LISTED:
        differences = differences[:MAX_LISTED] + [f"… and {len(differences) - MAX_LISTED} more"]
    return {"name": name, "status": status, "expected": expected, "actual": actual, "differences": differences,
            "note": note}


def skipped(name: str, why: str) -> dict:
    return check(name, "skipped", note=why)


# -- data ------------------------------------------------------------------------------------------
def data_check(ref: str, original: dict, reproduced: dict, inputs: list[dict]) -> dict:
    """The training data and target hashes the reproduction registered against the recorded ones
    (lineages ``original`` and ``reproduced``); on a difference, the input that changed."""
    recorded = {k: (original.get(k) or {}).get("sha256") for k in ("data", "target") if original.get(k)}
    if not recorded:
        return skipped("data", f"{ref} was registered without data: there is no hash to compare")
    now = {k: (reproduced.get(k) or {}).get("sha256") for k in recorded}
    differences = []
    for key in recorded:
        before, after = original[key], reproduced.get(key)
        if after is None:
            differences.append(f"the reproduction registered no training {key}")
        elif after.get("sha256") != before.get("sha256"):
            differences.append(f"the training {key} changed: sha256 {_short(before)} → {_short(after)}")
    if not differences:
        return check("data", "pass", recorded, now)
    return check("data", "fail", recorded, now, differences + [_culprit(ref, original, reproduced, inputs)])


def _short(fingerprint: dict) -> str:
    shape = fingerprint.get("shape")
    return f"{fingerprint['sha256'][:12]}…" + (f" ({' × '.join(map(str, shape))})" if shape else "")


def _culprit(ref: str, original: dict, reproduced: dict, inputs: list[dict]) -> str:
    changed = [f for f in inputs if f.get("changed")]
    if changed:
        return "the input that changed: " + "; ".join(f"{f['path']} ({f['named_by']}), {f['why']}" for f in changed)
    if original.get("dataset") != reproduced.get("dataset"):
        return (f"the input that changed: the notebook's data is dataset {reproduced.get('dataset') or 'none saved'}, "
                f"where {ref} was trained on {original.get('dataset') or 'data saved as no dataset'}")
    if inputs:
        return (f"no file the notebook names changed since {ref} was registered "
                f"({', '.join(f['path'] for f in inputs)}): the data changed elsewhere (a query, a download, a "
                "random draw without a seed)")
    return ("the notebook names no data file: the data it builds changed (a random draw without a seed, a query, "
            "a download)")


def input_files(notebooks: list, parameters: dict, registered_at: dt.datetime, prior: list | None) -> list[dict]:
    """The files the notebooks name (a parameter's value, or a string in a code cell, that is an
    existing file beside the notebook or an absolute path): their sha256 now, and whether they
    changed since the version was registered (modified later) or since the last reproduction
    recorded their hash (``prior``)."""
    before = {f["path"]: f.get("sha256") for f in prior or []}
    seen: dict[Path, str] = {}
    for step in notebooks:
        named = [(f"parameter {k}", v) for k, v in parameters.items() if isinstance(v, str)]
        named += [(f"parameter {p.name}, its default", _literal(p.default)) for p in step.declared.values()
                  if p.name not in parameters]
        named += [("named in the notebook", text) for text in _strings(step.node)]
        for named_by, text in named:
            path = _existing_file(step.path.parent, text)
            if path is not None and path not in seen and len(seen) < MAX_INPUT_FILES:
                seen[path] = named_by
    out = []
    for path, named_by in seen.items():
        modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
        sha = _sha256(path)
        why = None
        if before.get(str(path)) not in (None, sha):
            why = f"its sha256 is {sha[:12]}…, not the {before[str(path)][:12]}… of the last reproduction"
        elif modified > registered_at:
            why = (f"modified {modified.isoformat(sep=' ', timespec='seconds')}, after the version was registered "
                   f"({registered_at.isoformat(sep=' ', timespec='seconds')})")
        out.append({"path": str(path), "named_by": named_by, "sha256": sha, "modified": modified.isoformat(),
                    "changed": why is not None, "why": why})
    return out


def _strings(node) -> list[str]:
    out = []
    for cell in node.cells:
        if cell.get("cell_type") != "code":
            continue
        # IPython's magics and shell lines are not Python: left out, the rest still parses
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        out += [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return out


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _existing_file(folder: Path, text: Any) -> Path | None:
    if not isinstance(text, str) or not text or len(text) > 400 or "\n" in text or "\0" in text:
        return None
    try:
        path = Path(text).expanduser()
        path = (path if path.is_absolute() else folder / path).resolve()
        return path if path.suffix != ".ipynb" and path.is_file() else None
    except (OSError, ValueError):
        return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- metrics -----------------------------------------------------------------------------------------
def metrics_check(ref: str, expected: dict, actual: dict, tolerance: Tolerance) -> dict:
    if not expected:
        return skipped("metrics", f"{ref} was registered with no metrics")
    differences = []
    for name, value in expected.items():
        if name not in actual:
            differences.append(f"{name}: {value:g} recorded, not logged by the reproduction")
        elif not tolerance.allows(value, actual[name]):
            off = abs(actual[name] - value)
            share = f" = {off / abs(value):.2%}" if value else ""
            differences.append(f"{name}: {value:g} → {actual[name]:g} (off by {off:.3g}{share}; allowed "
                               f"{tolerance.describe()})")
    shown = {k: actual.get(k) for k in expected}
    return check("metrics", "fail" if differences else "pass", dict(expected), shown, differences)


# -- predictions ---------------------------------------------------------------------------------------
def predictions_check(ref: str, sample: dict | None, signature: dict | None, original: Any, reproduced: Any,
                      tolerance: Tolerance) -> dict:
    """Both models on the version's kept sample rows: classes (and labels) equal, numbers (and
    class probabilities, when both models give them) within the tolerance."""
    import numpy as np

    if not sample or not sample.get("data"):
        return skipped("predictions", f"{ref} keeps no sample rows (it was registered without data)")
    x = _sample_input(sample, signature)
    numeric = ((signature or {}).get("output") or {}).get("kind") == "regression"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # feature-name warnings: the columns are the signature's
        before, after = np.asarray(original.predict(x)), np.asarray(reproduced.predict(x))
        probabilities = [_proba(m, x) for m in (original, reproduced)]
    differences = _differences(before, after, tolerance, numeric or before.dtype.kind == "f", "prediction")
    if all(p is not None for p in probabilities) and probabilities[0].shape == probabilities[1].shape:
        classes = list(getattr(original, "classes_", []))
        differences += _differences(*probabilities, tolerance, True, "probability", classes)
    return check("predictions", "fail" if differences else "pass", before.tolist(), after.tolist(), differences,
                 note=f"on the {len(before)} sample rows {ref} keeps")


def _sample_input(sample: dict, signature: dict | None):
    """The sample rows as the model takes them: a DataFrame with the signature's dtypes (or an
    array when it was trained on one), built as the endpoint builds its smoke test."""
    from ..serving.inference.schema import Schema

    schema = Schema(signature)
    frame = schema.frame(schema.from_rows(sample["data"], "sample row"))
    if not schema.known:
        frame.columns = sample.get("columns") or frame.columns
    return frame.to_numpy() if (signature or {}).get("input_type") == "ndarray" else frame


def _proba(model: Any, x):
    import numpy as np

    if not callable(getattr(model, "predict_proba", None)):
        return None
    try:
        return np.asarray(model.predict_proba(x), dtype=float)
    except Exception:  # noqa: BLE001 - an estimator whose predict_proba is unavailable for its settings
        return None


def _differences(before, after, tolerance: Tolerance, numbers: bool, what: str, classes: list = ()) -> list[str]:
    import numpy as np

    if before.shape != after.shape:
        return [f"the {what}s have shape {after.shape}, not {before.shape}"]
    out = []
    for index in np.ndindex(before.shape):
        b, a = before[index].item(), after[index].item()
        same = tolerance.allows(float(b), float(a)) if numbers else b == a
        if not same:
            column = (f" of class {_text(_plain(classes[index[1]]))}" if len(index) > 1 and len(classes) == before.shape[1]
                      else f", column {index[1]}" if len(index) > 1 else "")
            out.append(f"row {index[0]} {what}{column}: {_text(b)} → {_text(a)}")
    return out


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _text(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else repr(value)
