"""The notebooks of a run and the parameters they declare, checked before anything runs.

A notebook declares its parameters in the cell tagged ``parameters`` (papermill's convention,
"Parameterizing a notebook" in papermill's documentation); ``papermill.inspect_notebook`` reads
them. papermill itself only logs a warning for a parameter the notebook does not declare, and
checks no type: a run refuses both, naming the parameter, the notebook and what it does declare,
so that a typo (``max_dept``) never trains a model with the default.

A declared type is the annotation (``max_depth: int = 8``), else the type of the default when it
is a literal (``C = 1.0`` is a float; ``data = None`` takes anything).
"""

from __future__ import annotations

import ast
import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from ..names import Versioned

#: declared type -> the Python types a value may have (bool is never an int or a float here)
_ACCEPTS: dict[str, tuple[type, ...]] = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,),
                                         "list": (list, tuple), "tuple": (list, tuple), "dict": (dict,)}
TAG_HELP = ("Tag the cell that sets its defaults 'parameters' (JupyterLab: the property inspector's "
            "Cell Tags; papermill's documentation, 'Parameterizing a notebook').")


@dataclass(frozen=True)
class Declared:
    """One parameter of a notebook's ``parameters`` cell."""

    name: str
    type: str | None  # "int", "float", "Optional[int]", …; None: any value
    default: str      # as written in the cell
    help: str = ""

    def describe(self) -> str:
        return f"{self.name} ({self.type or 'any'}, default {self.default})"


@dataclass(frozen=True)
class StepNotebook:
    """A notebook as read once: its path, content hash, parsed cells and declared parameters."""

    path: Path
    sha256: str
    node: Any = field(repr=False, compare=False)  # nbformat.NotebookNode
    declared: dict[str, Declared] = field(default_factory=dict)
    has_parameters_cell: bool = False

    @property
    def label(self) -> str:
        return self.path.name


def read_notebook(notebook: Any) -> StepNotebook:
    """Read ``notebook`` (a path to an .ipynb file): its bytes are hashed and parsed once, so
    that the notebook recorded is the notebook run."""
    import nbformat

    path = Path(str(notebook)).expanduser()
    if path.suffix != ".ipynb":
        raise InvalidInput(f"notebook={str(notebook)!r} is not a notebook: give the path of an .ipynb file.")
    path = path.resolve()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"There is no notebook {str(notebook)!r} (looked for {path}).",
                           hint="Paths are relative to the current directory.") from None
    except OSError as exc:
        raise InvalidInput(f"Cannot read the notebook {path}: {exc.strerror or exc}.") from None
    try:
        node = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as exc:  # nbformat raises several kinds for a damaged file
        raise InvalidInput(f"{path.name} is not a readable notebook ({type(exc).__name__}: {exc}).") from None
    tagged = any("parameters" in (c.get("metadata", {}).get("tags") or []) for c in node.cells)
    return StepNotebook(path, hashlib.sha256(data).hexdigest(), node, _declared(path) if tagged else {}, tagged)


def _declared(path: Path) -> dict[str, Declared]:
    from papermill import inspect_notebook

    out = {}
    for name, p in inspect_notebook(str(path)).items():
        annotation = p.get("inferred_type_name")
        out[name] = Declared(name, annotation if annotation not in (None, "None") else _literal_type(p["default"]),
                             p["default"], p.get("help") or "")
    return out


def _literal_type(default: str) -> str | None:
    try:
        value = ast.literal_eval(default)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    return None if value is None else type(value).__name__


def plain(name: str, value: Any) -> Any:
    """``value`` as the literal papermill writes into the notebook: numbers, strings, booleans,
    None, lists and dicts of them (numpy scalars and arrays become Python ones; a ``ModelVersion``
    or ``DatasetVersion`` its exact reference, ``"churn:3"``)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Versioned):  # a version passed on is its exact reference, as a verb takes it
        return value.ref
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInput(f"Parameter {name!r} is {value!r}; give a finite number.")
        return value
    if hasattr(value, "tolist") and type(value).__module__.startswith("numpy"):
        return plain(name, value.tolist())
    if isinstance(value, (list, tuple)):
        return [plain(name, v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise InvalidInput(f"Parameter {name!r}: a dict parameter needs string keys.")
        return {k: plain(name, v) for k, v in value.items()}
    raise InvalidInput(f"Parameter {name!r} is a {type(value).__name__}; a notebook parameter is a number, "
                       "string, boolean, None, or a list or dict of those.",
                       hint="Pass data by reference instead: a dataset ('churn-train:3'), a file path, or a model ref.")


def check_type(step: StepNotebook, name: str, value: Any) -> None:
    """Refuse ``value`` when ``step`` declares ``name`` with a type it does not have."""
    declared = step.declared[name]
    accepted, nullable = _accepted(declared.type)
    if accepted is None or (value is None and nullable):
        return
    if isinstance(value, bool) and bool not in accepted:
        ok = False
    else:
        ok = isinstance(value, accepted)
    if not ok:
        raise InvalidInput(f"Parameter {name!r} of {step.label} is declared {declared.type} "
                           f"(default {declared.default}); got {value!r}, a {type(value).__name__}.")


def check_frame(step: StepNotebook, name: str) -> None:
    """Refuse to hand a DataFrame to a parameter ``step`` declares as a plain type (``rows: int``)."""
    declared = step.declared[name]
    if _accepted(declared.type)[0] is not None:
        raise InvalidInput(f"Parameter {name!r} of {step.label} is declared {declared.type} (default "
                           f"{declared.default}), but an earlier step output a DataFrame under that name.")


def _accepted(type_name: str | None) -> tuple[tuple[type, ...] | None, bool]:
    """The Python types ``type_name`` accepts, and whether None is one of them."""
    if not type_name:
        return None, True
    text = type_name.replace(" ", "")
    nullable = False
    if text.startswith("Optional[") and text.endswith("]"):
        text, nullable = text[len("Optional["):-1], True
    parts = text.split("|")
    if "None" in parts:
        parts.remove("None")
        nullable = True
    if len(parts) != 1 or parts[0] not in _ACCEPTS:
        return None, True  # a type we cannot check here (a class, a union): the notebook checks it
    return _ACCEPTS[parts[0]], nullable


def check_parameters(parameters: dict, steps: list[StepNotebook]) -> dict:
    """The run's parameters as plain values, each declared by at least one step and of the type
    each declaring step gives it."""
    out = {}
    for name, value in (parameters or {}).items():
        if not isinstance(name, str) or not name.isidentifier():
            raise InvalidInput(f"Parameter name {name!r} is not a Python identifier.")
        value = plain(name, value)
        declaring = [s for s in steps if name in s.declared]
        if not declaring:
            raise _undeclared(name, steps)
        for step in declaring:
            check_type(step, name, value)
        out[name] = value
    return out


def _undeclared(name: str, steps: list[StepNotebook]) -> InvalidInput:
    if len(steps) == 1 and not steps[0].has_parameters_cell:
        return InvalidInput(f"{steps[0].label} has no cell tagged 'parameters', so it takes no parameters "
                            f"(got {name!r}).", hint=TAG_HELP)
    declared = {p.name: p for s in steps for p in s.declared.values()}
    where = steps[0].label + "'s parameters cell" if len(steps) == 1 else "any step's parameters cell"
    listing = ", ".join(p.describe() for p in declared.values()) or "nothing"
    return InvalidInput(f"Parameter {name!r} is not declared in {where}, which declares: {listing}.",
                        candidates=list(declared), wanted=name)
