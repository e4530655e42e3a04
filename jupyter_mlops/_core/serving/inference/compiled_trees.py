"""Compiled tree ensembles: a variant whose model is a scikit-learn tree model may predict through
ONNX Runtime, used only once it is proven to give ``model.predict``'s answers.

Why ONNX Runtime, and why this graph: measured on this machine (README "Compiled tree
ensembles"), one row through a 50-tree forest takes about 3 ms in scikit-learn (mostly joblib and
validation), 7 µs in ONNX Runtime, 21 µs in tl2cgen's compiled library (which also needs a C
compiler and about 15 s per model, and is native code loaded from the workspace) and 1.5 ms in
treelite's interpreter. skl2onnx's double-precision conversion emits ``TreeEnsembleRegressor``
with double outputs, which ONNX Runtime refuses, and its classifiers sum probabilities in float32
(5e-8 off). So the graph is one ``ai.onnx.ml`` opset-5 ``TreeEnsemble`` node with float64 splits
whose output is, per tree, the index of the leaf the row reaches; ``tree_tables.py`` then adds the
leaves' values in scikit-learn's own order and precision.

The proof, at every load: the registered sample rows, plus rows at, just below and just above every
split threshold of every feature (float64 and float32 neighbours, ± a relative 1e-9), plus random
rows over the thresholds' range. Classes must be equal, values and probabilities within 1e-9.
Rows with NaN or inf are never compiled: ``model.predict`` answers (or refuses) them.

The ONNX bytes are cached next to the model artifact, named by the model's sha256, with a record
of their own sha256 signed by this user's key (``trust.py``); a cached file whose record is
missing, unsigned by a trusted key or does not match is ignored and compiled again (always safe:
it is derived data), and a cached graph passes the same proof as a fresh one.
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .tree_tables import TreeTables, Unsupported, tables_for, thresholds_by_feature

ENGINE = "onnxruntime"
FORMAT = "jupyter_mlops.tree-leaves/1"
PURPOSE = "compiled-tree-cache"
TOLERANCE = 1e-9
MAX_PROOF_ROWS = 60_000


# -- the graph ---------------------------------------------------------------------------------
def leaf_graph(tables: TreeTables) -> bytes:
    """One TreeEnsemble: target i is tree i, its leaves weigh their own index (exact in float64)."""
    from onnx import TensorProto, helper, numpy_helper

    if max(len(t.leaf_nodes) for t in tables.trees) > 2 ** 24:  # leaf numbers exact even in float32
        raise Unsupported("a tree has more than 2**24 leaves")
    feat, split, t_ids, t_leaf, f_ids, f_leaf, roots, leaf_target, leaf_weight = ([] for _ in range(9))
    for i, t in enumerate(tables.trees):
        inner = np.flatnonzero(t.left != -1)
        node_index = np.full(len(t.left), -1, dtype=np.int64)
        node_index[inner] = np.arange(len(inner)) + len(feat)
        leaf_index = np.full(len(t.left), -1, dtype=np.int64)
        leaf_index[t.leaf_nodes] = np.arange(len(t.leaf_nodes)) + len(leaf_target)
        leaf_target.extend([i] * len(t.leaf_nodes))
        leaf_weight.extend(range(len(t.leaf_nodes)))
        if len(inner) == 0:  # a one-leaf tree: a split whose both branches reach that leaf
            roots.append(len(feat))
            feat.append(0), split.append(0.0)
            t_ids.append(int(leaf_index[0])), t_leaf.append(1)
            f_ids.append(int(leaf_index[0])), f_leaf.append(1)
            continue
        roots.append(int(node_index[0]))
        for n in inner:
            feat.append(int(t.feature[n]))
            split.append(float(t.threshold[n]))
            for child, ids, flags in ((t.left[n], t_ids, t_leaf), (t.right[n], f_ids, f_leaf)):
                is_leaf = t.left[child] == -1
                ids.append(int(leaf_index[child] if is_leaf else node_index[child]))
                flags.append(int(is_leaf))
    node = helper.make_node(
        "TreeEnsemble", ["X"], ["Y"], domain="ai.onnx.ml", aggregate_function=1, post_transform=0,
        n_targets=len(tables.trees), tree_roots=roots, nodes_featureids=feat,
        nodes_splits=numpy_helper.from_array(np.asarray(split, dtype=np.float64)),
        nodes_modes=numpy_helper.from_array(np.zeros(len(feat), dtype=np.uint8)),  # BRANCH_LEQ
        nodes_truenodeids=t_ids, nodes_trueleafs=t_leaf, nodes_falsenodeids=f_ids,
        nodes_falseleafs=f_leaf, leaf_targetids=leaf_target,
        leaf_weights=numpy_helper.from_array(np.asarray(leaf_weight, dtype=np.float64)))
    graph = helper.make_graph(
        [node], "leaves", [helper.make_tensor_value_info("X", TensorProto.DOUBLE, [None, tables.n_features])],
        [helper.make_tensor_value_info("Y", TensorProto.DOUBLE, [None, len(tables.trees)])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21),
                                                    helper.make_opsetid("ai.onnx.ml", 5)])
    model.ir_version = 10
    return model.SerializeToString()


class CompiledTrees:
    """``predict(x)`` for finite float64 rows, as the model's ``predict`` would answer."""

    engine = ENGINE

    def __init__(self, model: Any, tables: TreeTables, onnx_bytes: bytes):
        import onnxruntime as ort

        self.model = model
        self.tables = tables
        self.pre = model[:-1] if _is_pipeline(model) and len(model.steps) > 1 else None
        options = ort.SessionOptions()
        # one request is one row: threads cost more than they give; the endpoint's concurrency
        # comes from its requests, not from inside one
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
        self._idx = np.arange(len(tables.trees))

    def tree_input(self, x: np.ndarray) -> np.ndarray | None:
        """The rows the trees compare, or None when scikit-learn must answer them itself."""
        if self.pre is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                x = np.asarray(self.pre.transform(x))
            if x.dtype.kind not in "fiub":
                return None
        x = np.asarray(x, dtype=np.float64)
        if self.tables.cast32:
            with np.errstate(over="ignore", invalid="ignore"):
                x = x.astype(np.float32).astype(np.float64)
        if x.ndim != 2 or x.shape[1] != self.tables.n_features or not np.isfinite(x).all():
            return None
        return np.ascontiguousarray(x)

    def raw(self, xt: np.ndarray) -> np.ndarray:
        leaves = self.session.run(None, {"X": xt})[0].astype(np.intp)
        return self.tables.raw(leaves)

    def predict(self, x: np.ndarray) -> np.ndarray:
        xt = self.tree_input(x)
        if xt is None:
            return np.asarray(self.model.predict(x))
        return self.tables.finish(self.raw(xt))

    __call__ = predict

    def predict_proba(self, x: np.ndarray) -> np.ndarray | None:
        xt = self.tree_input(x)
        if xt is None or self.tables.finish_proba is None:
            return None
        return np.asarray(self.tables.finish_proba(self.raw(xt)))


def _is_pipeline(model: Any) -> bool:
    from sklearn.pipeline import Pipeline

    return isinstance(model, Pipeline)


def final_estimator(model: Any) -> Any:
    return model.steps[-1][1] if _is_pipeline(model) else model


# -- the proof ---------------------------------------------------------------------------------
def threshold_rows(tables: TreeTables, base: np.ndarray, limit: int = MAX_PROOF_ROWS,
                   seed: int = 0) -> np.ndarray:
    """Rows in the trees' input space: each a base row with one feature at, or a hair's breadth
    from, one of that feature's thresholds; then rows mixing near-threshold values of every
    feature."""
    rng = np.random.default_rng(seed)
    per_feature = []
    for t in thresholds_by_feature(tables):
        if len(t) == 0:
            per_feature.append(np.empty(0))
            continue
        t32 = t.astype(np.float32)
        near = [t, np.nextafter(t, -np.inf), np.nextafter(t, np.inf),
                t - 1e-9 * np.maximum(1.0, np.abs(t)), t + 1e-9 * np.maximum(1.0, np.abs(t)),
                t32.astype(np.float64), np.nextafter(t32, np.float32(-np.inf)).astype(np.float64),
                np.nextafter(t32, np.float32(np.inf)).astype(np.float64)]
        per_feature.append(np.unique(np.concatenate(near)))
    targeted_budget = int(limit * 0.8)
    total = sum(len(v) for v in per_feature)
    keep = min(1.0, targeted_budget / max(1, total))
    rows = []
    base = np.asarray(base, dtype=np.float64)
    for j, values in enumerate(per_feature):
        if len(values) == 0:
            continue
        if keep < 1.0:
            values = values[rng.random(len(values)) < keep]
        block = base[rng.integers(0, len(base), len(values))].copy()
        block[:, j] = values
        rows.append(block)
    mixed = np.empty((limit - targeted_budget, tables.n_features))
    for j, values in enumerate(per_feature):
        mixed[:, j] = rng.choice(values, len(mixed)) if len(values) else \
            base[rng.integers(0, len(base), len(mixed)), j]
    rows.append(mixed)
    out = np.vstack(rows)
    return out[np.isfinite(out).all(axis=1)]


def disagreement(model: Any, compiled: CompiledTrees, x: np.ndarray, what: str) -> str | None:
    """Why ``compiled`` does not answer ``x`` as ``model`` does, or None when it does."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = np.asarray(model.predict(x))
        xt = compiled.tree_input(x)
        if xt is None:
            return (f"the pipeline's other steps turn the {what} rows into values the trees cannot "
                    "take (not numeric or not finite)")
        got = np.asarray(compiled.tables.finish(compiled.raw(xt)))
        if expected.shape != got.shape:
            return f"on the {what} rows it gives shape {got.shape}, scikit-learn {expected.shape}"
        if compiled.tables.is_classifier or expected.dtype.kind not in "fc":
            bad = np.flatnonzero(expected != got)
            if len(bad):
                return (f"{len(bad)} of {len(x)} {what} rows get another class "
                        f"(e.g. {got[bad[0]]!r} for {expected[bad[0]]!r})")
            if hasattr(model, "predict_proba") and compiled.tables.finish_proba is not None:
                final = final_estimator(model)
                p_expected = np.asarray(final.predict_proba(xt))
                p_got = np.asarray(compiled.tables.finish_proba(compiled.raw(xt)))
                gap = float(np.max(np.abs(p_expected - p_got))) if p_got.size else 0.0
                if p_expected.shape != p_got.shape or not gap <= TOLERANCE:
                    return f"probabilities on the {what} rows differ by {gap:.1e} (> {TOLERANCE:g})"
            return None
        gap = float(np.max(np.abs(expected.astype(np.float64) - got))) if got.size else 0.0
        if not gap <= TOLERANCE:
            return f"values on the {what} rows differ by {gap:.1e} (> {TOLERANCE:g})"
    return None


def prove(model: Any, compiled: CompiledTrees, sample: np.ndarray | None) -> tuple[str | None, int]:
    """(why not, rows checked): end to end on the sample, then the trees alone (their input is
    what the pipeline's other steps, run by scikit-learn itself, make) on the threshold rows."""
    checked = 0
    final = final_estimator(model)
    base = None
    if sample is not None:  # rows with NaN or inf are always answered by scikit-learn itself
        sample = np.asarray(sample, dtype=np.float64)
        sample = sample[np.isfinite(sample).all(axis=1)]
    if sample is not None and len(sample):
        reason = disagreement(model, compiled, sample, "registered sample")
        if reason:
            return reason, len(sample)
        checked += len(sample)
        base = compiled.tree_input(sample)
    if base is None or not len(base):
        base = np.zeros((1, compiled.tables.n_features))
    rows = threshold_rows(compiled.tables, base)
    tree_only = CompiledTrees.__new__(CompiledTrees)
    tree_only.__dict__.update(compiled.__dict__, model=final, pre=None)
    reason = disagreement(final, tree_only, rows, "near-threshold")
    return reason, checked + len(rows)


# -- the cache ---------------------------------------------------------------------------------
def cache_paths(artifact_path: str | Path, sha256: str) -> tuple[Path, Path]:
    folder = Path(artifact_path).parent
    graph = folder / f"{sha256}.{ENGINE}.onnx"
    return graph, graph.with_name(graph.name + ".json")


def _versions() -> dict:
    import onnx
    import onnxruntime
    import sklearn

    return {"format": FORMAT, "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__,
            "sklearn": sklearn.__version__}


def read_cache(artifact_path: str | Path, sha256: str) -> bytes | None:
    from ...trust import keyring

    graph, record_path = cache_paths(artifact_path, sha256)
    try:
        record = json.loads(record_path.read_text())
        payload = graph.read_bytes()
    except (OSError, ValueError):
        return None
    document = record.get("document") or {}
    if document.get("model_sha256") != sha256 or {k: document.get(k) for k in _versions()} != _versions():
        return None
    if hashlib.sha256(payload).hexdigest() != document.get("onnx_sha256"):
        return None
    if keyring().check(PURPOSE, document, record.get("signature")) is not None:
        return None
    return payload


def write_cache(artifact_path: str | Path, sha256: str, payload: bytes) -> None:
    from ...trust import keyring, write_private

    graph, record_path = cache_paths(artifact_path, sha256)
    document = {"model_sha256": sha256, "onnx_sha256": hashlib.sha256(payload).hexdigest(), **_versions()}
    write_private(graph, payload)
    write_private(record_path, json.dumps(
        {"document": document, "signature": keyring().sign(PURPOSE, document, "compiled trees")}).encode())


# -- the whole step ----------------------------------------------------------------------------
def compile_model(model: Any, sample: np.ndarray | None, sha256: str | None = None,
                  artifact_path: str | Path | None = None) -> tuple[CompiledTrees | None, str, dict]:
    """(predictor or None, status, details): status is ``onnxruntime`` or ``no (reason)``."""
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # GradientBoosting's init on an unnamed probe row
            tables = tables_for(final_estimator(model))
    except Unsupported as exc:
        return None, f"no ({exc})", {}
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        return None, (f"no (onnxruntime or onnx is not installed: {exc.name}; "
                      "pip install 'jupyter_mlops[compiled]')"), {"tree_model": True}
    cached = read_cache(artifact_path, sha256) if artifact_path and sha256 else None
    try:
        payload = cached or leaf_graph(tables)
        compiled = CompiledTrees(model, tables, payload)
        reason, rows = prove(model, compiled, sample)
    except Unsupported as exc:
        return None, f"no ({exc})", {"tree_model": True}
    except Exception as exc:  # a converter or runtime failure is a refusal, never a failed load
        return None, f"no ({type(exc).__name__}: {exc})", {"tree_model": True}
    details = {"tree_model": True, "proof_rows": rows, "cached": cached is not None, "trees": len(tables.trees),
               "seconds": round(time.perf_counter() - t0, 3)}
    if reason:
        return None, f"no ({reason})", details
    if cached is None and artifact_path and sha256:
        try:
            write_cache(artifact_path, sha256, payload)
        except OSError:  # a read-only artifact folder: compiled again at the next load
            pass
    return compiled, ENGINE, details
