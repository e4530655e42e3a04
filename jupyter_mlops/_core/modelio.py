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

A hash in the metadata store proves nothing against whoever can write the metadata store, so the
author signs the version's *manifest* (the artifact's sha256 and the whole format record: the
format, the skops types it may rebuild, the companion's sha256) with their key (``trust.py``).
Only a manifest signed by a trusted key lets this process unpickle anything (the companion, a
cloudpickle model) or rebuild the skops types recorded at register time. Without one, a skops
artifact still loads, with the types of scikit-learn, NumPy and SciPy only; a cloudpickle model is
refused, saying whose key would have to be trusted. ``MLOPS_SAFE_LOAD=1`` means no pickle at all,
whatever the record says.
"""

from __future__ import annotations

import io
import os
import pickle
import platform
from typing import Any

from .errors import ArtifactIntegrityError, UnsupportedModel, UntrustedArtifact

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
        from .skops_import import skops_io

        sio = skops_io()

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


MANIFEST = "artifact-manifest"
#: what an unsigned skops artifact may rebuild: the libraries whose estimators we register
SAFE_TYPE_PREFIXES = ("sklearn.", "numpy.", "scipy.")


def safe_load_only() -> bool:
    return os.environ.get("MLOPS_SAFE_LOAD", "").lower() in ("1", "true", "yes")


def manifest(artifact_sha256: str, info: dict) -> dict:
    """What the author signs: the artifact and every field of its format record."""
    return {"artifact_sha256": artifact_sha256, "format": {k: v for k, v in info.items() if k != "signature"}}


def sign(info: dict, artifact_sha256: str, author: str) -> dict:
    """``info`` with the author's signature over its manifest."""
    from .trust import keyring

    return {**info, "signature": keyring().sign(MANIFEST, manifest(artifact_sha256, info), author)}


def trust_problem(info: dict, artifact_sha256: str) -> str | None:
    """Why this process may not trust the record (None: a trusted author signed it as it is)."""
    from .trust import keyring

    return keyring().check(MANIFEST, manifest(artifact_sha256, info), info.get("signature"))


def load_model(payload: bytes, info: dict, artifact_sha256: str | None = None, what: str = "the model") -> Any:
    """Rebuild a model from verified bytes and its format record (see the module docstring for
    what a signature changes; without ``artifact_sha256`` nothing is taken as signed)."""
    fmt = info.get("format")
    if fmt == SKOPS:
        from .skops_import import skops_io

        sio = skops_io()

        from skops.io.exceptions import UntrustedTypesFoundException

        recorded = list(info.get("trusted_types", []))
        signed = artifact_sha256 is not None and trust_problem(info, artifact_sha256) is None
        allowed = recorded if signed else [t for t in recorded if t.startswith(SAFE_TYPE_PREFIXES)]
        try:  # skops itself refuses any type beyond the ones allowed here
            return sio.loads(payload, trusted=allowed)
        except UntrustedTypesFoundException as exc:
            raise ArtifactIntegrityError(
                f"The skops artifact of {what} holds types that were not recorded when it was registered"
                f"{'' if signed else ' by an author you trust'}: {exc}. It is refused.",
                hint="Types beyond scikit-learn, NumPy and SciPy load only from a version whose author "
                     "you trust (mlops trust).") from None
    if fmt == CLOUDPICKLE:
        if safe_load_only():
            raise UntrustedArtifact(f"{what} is a cloudpickle artifact, and MLOPS_SAFE_LOAD=1 allows no pickle.",
                                    hint="Unset MLOPS_SAFE_LOAD to load pickles signed by trusted authors.")
        from .trust import keyring

        keyring().require(MANIFEST, manifest(artifact_sha256, info), info.get("signature"),
                          f"Unpickling {what} (cloudpickle runs code)")
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


def usable_companion(info: dict, artifact_sha256: str) -> str | None:
    """The companion's sha256 when this process may unpickle it (same Python and scikit-learn,
    no ``MLOPS_SAFE_LOAD``, a manifest signed by a trusted author), else None: the caller then
    loads the skops artifact."""
    fast = info.get("fast_load")
    if not fast or safe_load_only():
        return None
    try:
        if _environment_key() != {k: fast.get(k) for k in ("python", "sklearn")}:
            return None
    except ImportError:
        return None
    return fast["sha256"] if trust_problem(info, artifact_sha256) is None else None


def load_companion(payload: bytes) -> Any:
    return pickle.loads(payload)
