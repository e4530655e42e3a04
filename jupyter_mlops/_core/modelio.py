"""Turning model objects into bytes and back.

scikit-learn estimators and pipelines are saved with skops, whose loader only rebuilds the types it
is told to trust; the types are recorded at save time and checked again at load time, so an
artifact that smuggles in another type is refused. Any other object with ``predict`` is saved
with cloudpickle, and the version says so (``format: cloudpickle``): loading it runs code, so it
is only done after the artifact's sha256 has been verified.

A registered sklearn model also gets a *fast-load companion*: the same object pickled by the
registry itself at register time, pinned by its sha256 in the version record. Loading in an
environment with the same Python and scikit-learn versions uses it (about 30x faster than
rebuilding from skops); anywhere else, or with ``MLOPS_SAFE_LOAD=1``, the skops artifact is used.
The companion does not weaken the trust model: both files are only read after their sha256 matches
the metadata store, and whoever can rewrite the metadata store could already change the format.
"""

from __future__ import annotations

import io
import os
import pickle
import platform
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

        from skops.io.exceptions import UntrustedTypesFoundException

        try:  # skops itself refuses any type beyond the ones recorded at register time
            return sio.loads(payload, trusted=list(info.get("trusted_types", [])))
        except UntrustedTypesFoundException as exc:
            raise ArtifactIntegrityError(
                f"The skops artifact contains types that were not recorded when it was registered: {exc}. "
                "It is refused."
            ) from None
    if fmt == CLOUDPICKLE:
        import pickle

        return pickle.load(io.BytesIO(payload))
    raise UnsupportedModel(f"Unknown model format {fmt!r} in the version record.")


def _environment_key() -> dict:
    import sklearn

    return {"python": ".".join(platform.python_version_tuple()[:2]), "sklearn": sklearn.__version__}


def fast_companion(model: Any, info: dict) -> bytes | None:
    """The pickled companion of a skops-saved model (see the module docstring), or None."""
    if info.get("format") != SKOPS:
        return None
    return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)


def companion_record(sha256: str) -> dict:
    return {"format": "pickle", "sha256": sha256, **_environment_key()}


def usable_companion(info: dict) -> str | None:
    """The companion's sha256 when this environment may load it, else None."""
    fast = info.get("fast_load")
    if not fast or os.environ.get("MLOPS_SAFE_LOAD", "").lower() in ("1", "true", "yes"):
        return None
    try:
        return fast["sha256"] if _environment_key() == {k: fast.get(k) for k in ("python", "sklearn")} else None
    except ImportError:
        return None


def load_companion(payload: bytes) -> Any:
    return pickle.loads(payload)
