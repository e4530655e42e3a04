"""A model's outputs over the Open Inference Protocol: which exist, which a request asks for, and
their tensors.

Every model has ``predictions`` (what ``predict`` returns: a label or a value per row); a
classifier with ``predict_proba`` also has ``probabilities`` (one column per class, in the order of
the signature's classes). Model metadata declares them with their datatypes and shapes. A request
that names no outputs gets all of them ("If not specified all outputs produced by the model will
be returned"); a request that names one the model does not have is refused (400), as Triton
refuses it, and each requested output comes back in the form it asked for: binary (Triton's
``binary_data``, or the request's ``binary_data_output``) or JSON ``data``.

References: KServe's "Open Inference Protocol (V2 Inference Protocol)" (inference request
``outputs``, model metadata) and Triton's "Binary Tensor Data Extension".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ....errors import ModelError, PayloadError

PREDICTIONS = "predictions"
PROBABILITIES = "probabilities"
#: output parameters of Triton extensions this endpoint does not implement: refused by name
#: rather than ignored
UNSUPPORTED = ("classification", "shared_memory_region", "shared_memory_byte_size",
               "shared_memory_offset")


@dataclass(frozen=True)
class Output:
    name: str
    datatype: str
    shape: tuple[int, ...]

    def metadata(self) -> dict[str, Any]:
        return {"name": self.name, "datatype": self.datatype, "shape": list(self.shape)}


@dataclass(frozen=True)
class Requested:
    name: str
    binary: bool


def declared(variant) -> list[Output]:
    """The outputs ``variant``'s model produces."""
    outputs = [Output(PREDICTIONS, _label_datatype(variant.signature), (-1,))]
    if has_probabilities(variant):
        outputs.append(Output(PROBABILITIES, "FP64", (-1, _class_count(variant))))
    return outputs


def has_probabilities(variant) -> bool:
    # getattr, not hasattr alone: scikit-learn hides predict_proba (available_if) on models that
    # cannot give probabilities, such as SVC(probability=False)
    return callable(getattr(variant.model, "predict_proba", None))


def _class_count(variant) -> int:
    classes = ((variant.signature or {}).get("output") or {}).get("classes")
    if classes is None:
        classes = getattr(variant.model, "classes_", None)
    return len(classes) if classes is not None else -1


def _label_datatype(signature: dict) -> str:
    classes = ((signature or {}).get("output") or {}).get("classes")
    if classes:
        return "BYTES" if any(isinstance(c, str) for c in classes) else "INT64"
    return "FP64"


def requested(document: dict, variant) -> list[Requested]:
    """The outputs ``document`` (an inference request) asks for, checked against the model's."""
    params = document.get("parameters") or {}
    default_binary = bool(params.get("binary_data_output")) if isinstance(params, dict) else False
    names = [o.name for o in declared(variant)]
    asked = document.get("outputs")
    if not asked:
        return [Requested(name, default_binary) for name in names]
    if not isinstance(asked, list):
        raise PayloadError("'outputs' must be a list of objects with a 'name'.")
    wanted: list[Requested] = []
    for i, spec in enumerate(asked):
        name = spec.get("name") if isinstance(spec, dict) else None
        if not isinstance(name, str):
            raise PayloadError(f"outputs[{i}] must be an object with a string 'name'.")
        if name not in names:
            raise PayloadError(f"Model {variant.model_name!r} has no output {name!r}; its outputs "
                               f"are {', '.join(repr(n) for n in names)}.")
        if any(w.name == name for w in wanted):
            raise PayloadError(f"Output {name!r} is requested twice; name each output once.")
        out_params = spec.get("parameters") or {}
        if not isinstance(out_params, dict):
            raise PayloadError(f"outputs[{i}].parameters must be an object.")
        refused = [p for p in UNSUPPORTED if p in out_params]
        if refused:
            raise PayloadError(f"Output {name!r} asks for {', '.join(refused)}: this endpoint does "
                               "not implement that extension; ask for the tensor itself.")
        wanted.append(Requested(name, bool(out_params.get("binary_data", default_binary))))
    return wanted


def tensors(wanted: list[Requested], predictions: np.ndarray, table, variant) -> list[np.ndarray]:
    """One array per requested output, in the requested order."""
    return [predictions if w.name == PREDICTIONS else probabilities(variant, table) for w in wanted]


def probabilities(variant, table) -> np.ndarray:
    # the model gets what predict got: the float array on the fast path, else the typed DataFrame
    x = table.array if variant.use_array and table.array is not None else variant.schema.frame(table)
    try:
        return np.asarray(variant.model.predict_proba(x), dtype=np.float64)
    except Exception as exc:
        raise ModelError(f"{type(exc).__name__}: {exc}") from exc
