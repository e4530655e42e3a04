"""What the options typed into a view mean, said once for every view.

The magics and the CLI both read ``--metric auc=0.91``, ``--canary 10``, ``--target churned`` or
``--data train.parquet``; if each view read them its own way, the same words would drift apart in
meaning. Each function here is one such meaning. A bad value raises ``InvalidInput`` naming what
was wrong and what to type instead; a view turns that into its own usage error with
:func:`raising`, so the user sees a usage error wherever the option was typed.

No view library is imported here, and pandas, skops and joblib only inside the functions that
read or write files: the magics import this module when the extension loads.
"""

from __future__ import annotations

import ast
import functools
import sys
from typing import Any, Callable

from .errors import InvalidInput

__all__ = [
    "literal_or_text", "parse_pairs", "notebook_parameters", "reproduction_tolerance", "traffic_weights", "rollout_from_flags", "guardrails_from", "async_options", "serverless_options",
    "number_or_text", "frame_format", "is_data_file", "read_frame", "write_frame", "model_format",
    "read_model", "write_model", "read_labels", "looks_like_model_ref", "target_reference", "raising",
    "sweep_sets", "sagemaker_split", "multi_model_options",
]

_FRAME_SUFFIXES = {".csv": "csv", ".csv.gz": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}
_MODEL_SUFFIXES = {".skops": "skops", ".joblib": "joblib", ".pkl": "joblib", ".pickle": "joblib"}


def literal_or_text(raw: str) -> Any:
    """``"0.91"`` -> ``0.91``, ``"[1, 2]"`` -> ``[1, 2]``, ``"growth"`` -> ``"growth"``: metrics and
    params keep their Python types so they compare and sort as numbers, while a tag such as
    ``team=growth`` needs no quotes."""
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return raw


def parse_pairs(items, option: str, convert: Callable[[str], Any] = literal_or_text,
                metavar: str = "KEY=VALUE") -> dict:
    """``["auc=0.91", "C=1.0"]`` -> ``{"auc": 0.91, "C": 1.0}``.

    Options that take several ``KEY=VALUE`` words (``--metric``, ``--param``, ``--tag``,
    ``--threshold``, traffic weights) all split the same way: at the first ``=``, so a value may
    itself contain ``=``. ``convert`` reads the value; a ``ValueError`` from it means the value is
    not a number (``convert`` is numeric whenever it can fail)."""
    value_name = metavar.partition("=")[2].lower() or "value"
    out: dict[str, Any] = {}
    for item in items or ():
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"{option} expects {metavar}, got {item!r}.")
        try:
            out[key] = convert(raw)
        except ValueError:
            raise InvalidInput(f"{option} {item!r}: the {value_name} must be a number.") from None
    return out


def notebook_parameters(pairs) -> dict:
    """``-p max_depth 8 -p solver lbfgs`` (papermill's own ``-p NAME VALUE``) -> ``{"max_depth": 8,
    "solver": "lbfgs"}``: each value read as :func:`literal_or_text` reads it, so numbers stay
    numbers for the notebook's type check. A name given twice is refused rather than one winning."""
    out: dict[str, Any] = {}
    for pair in pairs or ():
        if len(pair) != 2:
            raise InvalidInput(f"-p expects NAME VALUE, got {' '.join(map(str, pair))!r}.")
        name, raw = pair
        if not str(name).isidentifier():
            raise InvalidInput(f"-p {name} {raw}: {name!r} is not a parameter name (a Python identifier).")
        if name in out:
            raise InvalidInput(f"-p {name} is given twice; give each parameter once.")
        out[name] = literal_or_text(raw)
    return out


def sweep_sets(text: str | None, option: str, kind: type) -> Any:
    """``--grid '{"C": [0.1, 1, 10]}'`` -> a dict, ``--trials '[{"C": 0.1}, {"C": 1}]'`` -> a list
    (``kind``): JSON, as a sweep is written in a shell; a Python literal (``True``, ``None``) is
    read too, as typed in a notebook. Absent: ``None``. What the values mean is the sweep's."""
    if text is None:
        return None
    import json

    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise InvalidInput(f"{option} {text!r} is neither JSON nor a Python literal; quote it, e.g. "
                               f"{option} '{_SWEEP_EXAMPLES[kind]}'.") from None
    if not isinstance(value, kind):
        raise InvalidInput(f"{option} expects a JSON {'object' if kind is dict else 'array'}, e.g. "
                           f"{option} '{_SWEEP_EXAMPLES[kind]}'; got {text!r}.")
    return value


_SWEEP_EXAMPLES = {dict: '{"C": [0.1, 1, 10], "max_depth": [4, 8]}', list: '[{"C": 0.1}, {"C": 1, "max_depth": 8}]'}


def reproduction_tolerance(items) -> dict | None:
    """``--tolerance 0.001`` -> ``{"abs": 0.001}``; ``--tolerance abs=0.001 rel=0.01`` -> ``{"abs":
    0.001, "rel": 0.01}``: how far a reproduced metric or number may be from the recorded one
    (``Workspace.reproduce``). A bare number is the absolute tolerance, as ``tolerance=0.001``
    is in Python; a bound not given keeps its default. Not given: ``None``, the defaults."""
    words = []
    for word in items or ():
        if "=" not in word:
            try:
                float(word)
            except ValueError:
                raise InvalidInput(f"--tolerance {word!r} is not a number: give 0.001 (absolute), or abs=0.001 "
                                   "rel=0.01.") from None
            word = f"abs={word}"
        words.append(word)
    return parse_pairs(words, "--tolerance", convert=float) or None


def traffic_weights(items) -> dict[str, float]:
    """``["churn-v3=50", "churn-v4=50"]`` -> ``{"churn-v3": 50.0, "churn-v4": 50.0}``: a weight is
    only ever a number (share = weight / sum), so anything else is a typing mistake to report
    before the endpoint is touched."""
    return parse_pairs(items, "traffic", convert=float, metavar="VARIANT=WEIGHT")


_ROLLOUT_FLAGS = "--canary, --linear, --blue-green, --shadow, --ab"


def rollout_from_flags(canary: float | None = None, linear: float | None = None, blue_green: bool = False,
                       shadow: float | None = None, ab: float | None = None) -> tuple[str | None, float | None]:
    """The rollout flags -> ``(strategy, percent)`` for ``Workspace.deploy``.

    Each strategy is its own flag so that ``--canary 10`` reads as what it does; a deployment has
    exactly one strategy, so two flags at once are refused rather than one silently winning.
    No flag: ``(None, None)``, the endpoint's default (replace, or create)."""
    chosen = [(name, percent) for name, percent in (("canary", canary), ("linear", linear), ("shadow", shadow),
                                                    ("ab", ab)) if percent is not None]
    if blue_green:
        chosen.append(("blue_green", None))
    if len(chosen) > 1:
        raise InvalidInput(f"Choose one of {_ROLLOUT_FLAGS}.")
    return chosen[0] if chosen else (None, None)


def guardrails_from(max_error_rate: float | None = None, max_p99_ms: float | None = None) -> dict | None:
    """The guardrail options -> the ``guardrails`` dict of ``Workspace.deploy``, or ``None`` when
    none is given (the rollout then runs without automatic rollback)."""
    given = {name: limit for name, limit in (("max_error_rate", max_error_rate), ("max_p99_ms", max_p99_ms))
             if limit is not None}
    return given or None


def async_options(concurrency: int | None = None, output: str | None = None,
                  notify_success: str | None = None, notify_error: str | None = None) -> dict:
    """The asynchronous-inference flags -> ``Workspace.deploy`` keywords, only those given
    (``--async-notify-success URL --async-notify-error URL`` -> ``async_notify``)."""
    options: dict = {}
    if concurrency is not None:
        options["async_concurrency"] = concurrency
    if output:
        options["async_output"] = output
    notify = {k: v for k, v in (("success", notify_success), ("error", notify_error)) if v}
    if notify:
        options["async_notify"] = notify
    return options


def serverless_options(serverless: bool = False, idle: float | None = None,
                       max_concurrency: int | None = None, provisioned: int | None = None) -> dict:
    """``--serverless --idle S [--max-concurrency C] [--provisioned N]`` -> ``Workspace.deploy``
    keywords, only those given (``--idle`` and the others without ``--serverless`` are passed on,
    so that deploy says they need it)."""
    options: dict = {"serverless": True} if serverless else {}
    for name, value in (("idle", idle), ("max_concurrency", max_concurrency), ("provisioned", provisioned)):
        if value is not None:
            options[name] = value
    return options


def multi_model_options(refs: list[str] | tuple[str, ...], multi_model: bool = False,
                        max_models: int | None = None, max_memory_mb: float | None = None) -> tuple[Any, dict]:
    """``deploy REF [REF …] [--multi-model] [--max-models K] [--max-memory-mb M]`` -> the ``ref``
    argument of ``Workspace.deploy`` (one ref, or the list a multi-model endpoint serves) and the
    keywords given. Several refs are a multi-model endpoint only when asked for: they are refused
    otherwise, so a stray word is never served."""
    refs = list(refs)
    multi = bool(multi_model or max_models is not None or max_memory_mb is not None)
    if len(refs) > 1 and not multi:
        raise InvalidInput(f"Several model versions ({', '.join(refs)}) need --multi-model: one "
                           "endpoint then serves them all, each picked by TargetModel.")
    if not multi:
        return refs[0], {}
    options: dict = {"multi_model": True}
    if max_models is not None:
        options["max_models"] = max_models
    if max_memory_mb is not None:
        options["max_memory_mb"] = max_memory_mb
    return refs, options


def number_or_text(text: str | None) -> Any:
    """A group value typed as text (``--facet-value 1``, ``--label-value yes``): the number when it
    reads as one, so it matches a numeric column, else the text. Empty or absent: ``None`` (the
    default: every group, or the usual positive label). A whole number stays an int, so that the
    group it names is keyed ``"1"`` as the baseline's groups are, not ``"1.0"``."""
    if not text:
        return None
    for number in (int, float):
        try:
            return number(text)
        except ValueError:
            continue
    return text


def _known_suffix(path: str, suffixes: dict[str, str]) -> str | None:
    lower = str(path).lower()
    return next((kind for suffix, kind in suffixes.items() if lower.endswith(suffix)), None)


def _format_of(path: str, suffixes: dict[str, str], otherwise: str) -> str:
    kind = _known_suffix(path, suffixes)
    if kind is None:
        *most, last = suffixes
        raise InvalidInput(f"{str(path)!r} is {otherwise}: name a {', '.join(most)} or {last} file.")
    return kind


def frame_format(path: str) -> str:
    """``"csv"`` or ``"parquet"``, from the file name: tables travel as files on the command line
    and in batch jobs, and the name is all there is to tell the format by (an fsspec URL has no
    local file to sniff)."""
    return _format_of(path, _FRAME_SUFFIXES, "neither CSV nor Parquet")


def sagemaker_split(text: str | None) -> str | None:
    """A batch job's ``--split``/``--assemble``: SageMaker's ``Line`` or ``None`` (typed as the
    word, any case), which the Workspace takes as ``"Line"`` or ``None``."""
    if text is None or text.lower() == "none":
        return None
    if text.lower() == "line":
        return "Line"
    raise InvalidInput(f"{text!r}: split and assemble are Line or None (SageMaker's SplitType and "
                       f"AssembleWith).")


def is_data_file(text: str) -> bool:
    """Whether an option's text names a table file rather than, say, a model reference: the
    ``--reference`` of drift takes either."""
    return _known_suffix(text, _FRAME_SUFFIXES) is not None


def read_frame(path: str | None):
    """The DataFrame in a .csv or .parquet file (a local path or any fsspec URL); ``None`` for an
    option not given."""
    if path is None:
        return None
    import pandas as pd

    reader = pd.read_parquet if frame_format(path) == "parquet" else pd.read_csv
    try:
        return reader(path)
    except FileNotFoundError:
        raise InvalidInput(f"{str(path)!r}: no such file; check the path.") from None


def write_frame(frame, path: str) -> None:
    """Write ``frame`` where the user asked, in the format its name says (CSV without the index,
    which holds no data there; Parquet keeps it, as pandas does)."""
    if frame_format(path) == "parquet":
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False)


def model_format(path: str) -> str:
    """``"skops"`` or ``"joblib"`` (also .pkl, .pickle), from a model file's name."""
    return _format_of(path, _MODEL_SUFFIXES, "not a model file")


def read_model(path: str):
    """The model object in a saved file. A .skops file is loaded trusting the types it lists
    itself, and a pickle is unpickled: the user named their own file on the command line, so it
    is trusted as code they run."""
    if model_format(path) == "skops":
        from .skops_import import skops_io

        sio = skops_io()

        return sio.load(path, trusted=sio.get_untrusted_types(file=path))
    import joblib

    return joblib.load(path)


def write_model(model, path: str) -> None:
    """Save ``model`` in the format its file name says, so :func:`read_model` reads it back."""
    if model_format(path) == "skops":
        from .skops_import import skops_io

        sio = skops_io()

        sio.dump(model, path)
        return
    import joblib

    joblib.dump(model, path)


def read_labels(path: str | None):
    """Labels from a file: one column -> a Series in row order; a table with ``inference_id`` is
    kept whole, because its labels are joined to captured requests by that id, not by position."""
    frame = read_frame(path)
    if frame is None:
        return None
    return frame if "inference_id" in frame.columns else frame.iloc[:, 0]


def looks_like_model_ref(text: str) -> bool:
    """``churn:3`` and ``churn@production`` are model references; a variable or column name
    never contains ``:`` or ``@``."""
    return ":" in text or "@" in text


def target_reference(target: str | None, data: Any, lookup: Callable[[str], Any]):
    """What ``--target`` means: a column of ``data`` (returned as its name: the core takes a column
    name and splits it off the features), else whatever ``lookup(target)`` resolves.

    ``lookup`` is how the view resolves a name (the notebook namespace for the magics, a labels
    file for the CLI). When it also answers ``name in lookup``, a name it holds wins over a column
    of the same name: a user who made a variable ``y`` means that variable."""
    if target is None:
        return None
    held = target in lookup if hasattr(lookup, "__contains__") else False
    if target in getattr(data, "columns", ()) and not held:
        return target
    return lookup(target)


class _Raising:
    def __init__(self, error: Callable[[str], Exception]):
        self._error = error

    def __getattr__(self, name: str):
        if name not in __all__ or name == "raising":
            raise AttributeError(name)
        func = getattr(sys.modules[__name__], name)  # looked up per call, so tests may patch it

        @functools.wraps(func)
        def call(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except InvalidInput as exc:
                raise self._error(str(exc)) from None

        return call


def raising(error: Callable[[str], Exception]):
    """These functions, raising ``error(message)`` instead of ``InvalidInput``.

    A view reads its options through this, once, with its own usage error (IPython's
    ``UsageError``, click's ``UsageError``): a bad option is then reported the way that view
    reports bad typing, while an ``InvalidInput`` from the Workspace call itself stays one."""
    return _Raising(error)
