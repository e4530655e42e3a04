"""A variant loaded in the endpoint: verified artifact, model, schema and the fastest input path
that gives the same predictions as the DataFrame the model was fitted on.

The fast path: when every input is numeric, the variant is asked once, at load, to predict the
smoke sample both from a DataFrame in the signature's column order and from a float ndarray. If
both succeed and agree, requests use the ndarray (no DataFrame per request); otherwise every
request builds a DataFrame. sklearn's "X does not have valid feature names" warning, which the
ndarray path would raise on every call, is silenced process-wide in the endpoint process only.

A scikit-learn tree model on the ndarray path may predict through its compiled form
(``compiled_trees.py``), proven at load on the kept sample, the version's baseline sample and rows
at its split thresholds; ``compiled`` says which engine, or ``no (why)``. ``Variant.compiled``
(``deploy(compiled=False)``) turns it off.

Missing values: whether the model takes NaN is decided once, at load, from the model itself:
scikit-learn's estimator tag ``allow_nan`` (``sklearn.utils.get_tags(model).input_tags.allow_nan``
from scikit-learn 1.6, ``model._get_tags()["allow_nan"]`` before), or, when the tag does not say
so (a Pipeline starting with an imputer, a model that is not a scikit-learn estimator), by
predicting a probe built from the smoke-test sample with one value missing per row. Every table is
checked against that before the model runs (``Schema.check``), so a client sending NaN to a model
that cannot take it gets a 4xx naming the row and column, not a model error that a rollout's
guardrail would count against the model.
"""

from __future__ import annotations

import hashlib
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ArtifactIntegrityError, DeployError, ModelError, PayloadError, UntrustedArtifact
from ..contract import Variant
from .schema import Schema, Table


def sha256_file(path: Path | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class LoadedVariant:
    def __init__(self, spec: Variant | dict[str, Any]):
        self.spec = spec if isinstance(spec, Variant) else Variant.from_dict(spec)
        self.name: str = self.spec.name
        self.model_name: str = self.spec.model or self.name
        self.version = self.spec.version
        self.signature = self.spec.signature or {}
        self.schema = Schema(self.signature)
        self.model = None
        self.use_array = False
        self.fast = None  # a validated linear predictor (fastpath.py), when proven identical
        # a tree model's compiled form (compiled_trees.py): its engine, or "no (reason)"
        self.compiled: str = "no (not a tree model)"
        self.ewma_seconds = 0.0

    # -- loading -----------------------------------------------------------------------------
    def _verified_bytes(self, path: Path, expected: str | None) -> bytes:
        if not path.exists():
            raise DeployError(f"Variant {self.name!r}: the artifact {path} does not exist.")
        payload = path.read_bytes()
        actual = hashlib.sha256(payload).hexdigest()
        if expected and actual != expected:
            raise ArtifactIntegrityError(
                f"Variant {self.name!r}: the artifact {path} has sha256 {actual[:12]}…, the "
                f"registry recorded {expected[:12]}…. The changed file is refused.")
        return payload

    def load(self) -> "LoadedVariant":
        from ...modelio import load_companion, load_model, usable_companion

        payload = self._verified_bytes(Path(self.spec.artifact_path), self.spec.sha256)
        fmt = self.spec.format or {"format": "skops"}
        try:
            # The registry's pickled companion (same Python and scikit-learn only) spares the
            # endpoint the import of skops, which imports every scikit-learn estimator.
            companion = usable_companion(fmt, self.spec.sha256) if self.spec.companion_path else None
            if companion is not None:
                self.model = load_companion(self._verified_bytes(Path(self.spec.companion_path), companion))
            else:
                self.model = load_model(payload, fmt, self.spec.sha256, f"variant {self.name!r}")
        except (ArtifactIntegrityError, UntrustedArtifact):
            raise
        except Exception as exc:
            raise DeployError(f"Variant {self.name!r} failed to load: "
                              f"{type(exc).__name__}: {exc}") from exc
        self.schema.allow_missing = declares_allow_nan(self.model)
        self._choose_path_and_smoke_test()
        return self

    def _choose_path_and_smoke_test(self) -> None:
        sample = self.spec.sample
        if not sample or not sample.get("data"):
            if self.schema.all_numeric and self.signature.get("input_type") == "ndarray":
                self.use_array = True
                self._compile_trees(None)
            return
        try:
            table = self.schema.from_rows(sample["data"], "sample row")
        except PayloadError as exc:
            raise DeployError(f"Variant {self.name!r}: its smoke-test sample does not fit its "
                              f"signature: {exc}") from exc
        try:
            frame_out = np.asarray(self.model.predict(self.schema.frame(table)))
        except Exception as exc:
            raise DeployError(f"Variant {self.name!r} failed its smoke test on "
                              f"{table.n_rows} sample row(s): {type(exc).__name__}: {exc}") from exc
        if not self.schema.allow_missing:
            self.schema.allow_missing = self._predicts_with_missing_values(sample["data"][0])
        if table.array is not None and self.schema.all_numeric:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    array_out = np.asarray(self.model.predict(table.array))
                self.use_array = array_out.shape == frame_out.shape and bool(
                    np.array_equal(array_out, frame_out)
                    if array_out.dtype.kind not in "fc"
                    else np.allclose(array_out, frame_out, rtol=0, atol=0, equal_nan=True))
            except Exception:
                self.use_array = False
            if self.use_array:
                from .fastpath import linear_predictor, verified

                fast = linear_predictor(self.model)
                if fast is not None and verified(self.model, fast, table.array):
                    self.fast = fast
                else:
                    self._compile_trees(table.array)
            elif self.spec.compiled:
                self.compiled = "no (it predicts a float array differently from its DataFrame)"
        elif self.spec.compiled:
            self.compiled = "no (the inputs are not all numeric: predicted from a DataFrame)"
        # how long one row takes decides whether requests run on the event loop or in a thread
        # (where the request timeout applies): measure it now, not on the first request
        one = self.schema.from_rows(sample["data"][:1], "sample row")
        t0 = time.perf_counter()
        try:
            self.predict(one)
        except (ModelError, PayloadError) as exc:
            raise DeployError(f"Variant {self.name!r} failed its smoke test on one row: {exc}") \
                from exc
        self.ewma_seconds = time.perf_counter() - t0

    def _compile_trees(self, sample: np.ndarray) -> None:
        """Use the compiled form of a tree model once it is proven equal (compiled_trees.py);
        the outcome is printed to the endpoint log and reported as ``compiled``."""
        if not self.spec.compiled:
            self.compiled = "no (turned off: compiled=False)"
            return
        from .compiled_trees import compile_model
        from .tree_tables import is_tree_model

        if not is_tree_model(self.model):
            self.compiled = f"no ({type(self.model).__name__} is not a scikit-learn tree model)"
            return
        baseline = self._baseline_rows()
        if baseline is not None:
            sample = baseline if sample is None else np.vstack([sample, baseline])
        predictor, self.compiled, details = compile_model(
            self.model, sample, self.spec.sha256, self.spec.artifact_path)
        if predictor is not None:
            self.fast = predictor
        if details.get("tree_model"):
            print(f"variant {self.name}: compiled: {self.compiled} "
                  f"{' '.join(f'{k}={v}' for k, v in details.items() if k != 'tree_model')}".rstrip(), flush=True)

    def _baseline_rows(self) -> np.ndarray | None:
        """The version's baseline sample (hash-checked) in the signature's column order, as the
        float rows requests become; None when there is none or it does not fit."""
        ref = self.spec.baseline_sample or {}
        if not ref.get("path"):
            return None
        try:
            import io

            import pandas as pd

            frame = pd.read_parquet(io.BytesIO(self._verified_bytes(Path(ref["path"]), ref.get("sha256"))))
            frame = frame.drop(columns=["__label__"], errors="ignore")  # monitor's label column
            if self.schema.known:
                frame = frame[self.schema.names]
            table = self.schema.from_rows(frame.to_numpy().tolist(), "baseline row")
            return table.array
        except Exception:  # a missing or changed file, other columns: the kept sample only
            return None

    def _predicts_with_missing_values(self, row: list) -> bool:
        """The probe: one row per column with that column missing (booleans kept: a missing
        boolean is always refused), predicted through the DataFrame path."""
        rows = []
        for j, kind in enumerate(self.schema.kinds if self.schema.known else ["numeric"] * len(row)):
            if kind != "boolean":
                rows.append([None if k == j else v for k, v in enumerate(row)])
        if not rows:
            return False
        try:
            probe = self.schema.from_rows(rows, "probe row")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.model.predict(self.schema.frame(probe))
        except Exception:
            return False
        return True

    # -- predicting ----------------------------------------------------------------------------
    def predict(self, table: Table) -> np.ndarray:
        t0 = time.perf_counter()
        finite = self.schema.check(table)  # PayloadError: the client's input, not the model
        if self.use_array and table.array is not None:
            x: Any = table.array
            if self.fast is not None and finite:
                try:
                    out = self.fast(x)
                except Exception as exc:  # a compiled pipeline's own steps may refuse a row
                    raise ModelError(f"{type(exc).__name__}: {exc}") from exc
                self.ewma_seconds = 0.9 * self.ewma_seconds + 0.1 * (time.perf_counter() - t0)
                return out
        else:
            x = self.schema.frame(table)
        try:
            out = self.model.predict(x)
        except Exception as exc:
            raise ModelError(f"{type(exc).__name__}: {exc}") from exc
        out = np.asarray(out)
        self.ewma_seconds = 0.9 * self.ewma_seconds + 0.1 * (time.perf_counter() - t0)
        return out


def declares_allow_nan(model: Any) -> bool:
    """scikit-learn's ``allow_nan`` estimator tag; False when the model does not declare it."""
    try:
        from sklearn.utils import get_tags  # scikit-learn >= 1.6
    except ImportError:
        get_tags = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 1.6/1.7 warn about objects without tags
            if get_tags is not None:
                return bool(get_tags(model).input_tags.allow_nan)
            return bool(model._get_tags().get("allow_nan", False))
    except Exception:  # not a scikit-learn estimator
        return False


def silence_feature_name_warning() -> None:
    warnings.filterwarnings("ignore", message="X does not have valid feature names")
