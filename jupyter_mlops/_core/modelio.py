"""Turning model objects into bytes and back.

scikit-learn estimators and pipelines are saved with skops, whose loader only rebuilds the types it
is told to trust; the types are recorded at save time and checked again at load time, so an
artifact that smuggles in another type is refused. Any other object with ``predict`` is saved
with cloudpickle, and the version says so (``format: cloudpickle``): loading it runs code, so it
is only done after the artifact's sha256 has been verified.
"""

from __future__ import annotations

import io
from typing import Any

from .errors import ArtifactIntegrityError, UnsupportedModel

SKOPS = "skops"
CLOUDPICKLE = "cloudpickle"


def _is_sklearn(model: Any) -> bool:
    try:
        from sklearn.base import BaseEstimator
    except ImportError:  # pragma: no cover - scikit-learn is a core dependency
        return False
    return isinstance(model, BaseEstimator)


def model_class(model: Any) -> str:
    cls = type(model)
    return f"{cls.__module__}.{cls.__qualname__}"


def dump_model(model: Any) -> tuple[bytes, dict]:
    """Serialise ``model``; returns the bytes and the format record stored with the version."""
    if not callable(getattr(model, "predict", None)):
        raise UnsupportedModel(
            f"A {model_class(model)} has no predict() method, so it cannot be registered as a model.",
            hint="Register a fitted estimator, a Pipeline, or any object with predict(X).",
        )
    info: dict[str, Any] = {"class": model_class(model)}
    if _is_sklearn(model):
        import skops.io as sio

        try:
            payload = sio.dumps(model)
            info.update(format=SKOPS, flavor="sklearn",
                        trusted_types=sorted(sio.get_untrusted_types(data=payload)))
            return payload, info
        except Exception as exc:  # skops cannot represent some custom objects: fall back, say so
            info["skops_error"] = f"{type(exc).__name__}: {exc}"[:500]
    import cloudpickle

    try:
        payload = cloudpickle.dumps(model)
    except Exception as exc:
        raise UnsupportedModel(
            f"The {model_class(model)} could not be serialised: {type(exc).__name__}: {exc}"
        ) from exc
    info.update(format=CLOUDPICKLE, flavor="sklearn" if _is_sklearn(model) else "python")
    return payload, info


def load_model(payload: bytes, info: dict) -> Any:
    """Rebuild a model from verified bytes and its format record."""
    fmt = info.get("format")
    if fmt == SKOPS:
        import skops.io as sio

        recorded = set(info.get("trusted_types", []))
        found = set(sio.get_untrusted_types(data=payload))
        unexpected = sorted(found - recorded)
        if unexpected:
            raise ArtifactIntegrityError(
                f"The skops artifact contains types that were not recorded when it was registered: "
                f"{', '.join(unexpected)}. It is refused."
            )
        return sio.loads(payload, trusted=sorted(found))
    if fmt == CLOUDPICKLE:
        import pickle

        return pickle.load(io.BytesIO(payload))
    raise UnsupportedModel(f"Unknown model format {fmt!r} in the version record.")
