"""scikit-learn tree models as flat tables: every tree's splits, every leaf's contribution, the
starting value and how scikit-learn turns the summed contributions into its answer.

The split walk (the expensive part) is compiled (``compiled_trees.py`` runs it in ONNX Runtime and
gets each row's leaf in every tree); the arithmetic after it is done here, in numpy, in the very
order scikit-learn does it, so the compiled answer is not "close to" scikit-learn's but the same
numbers:

* forests and decision trees cast X to float32 before comparing it with the (float64) thresholds;
  histogram gradient boosting compares the float64 X;
* a forest adds its trees' leaf values one after another starting from zero and divides by the
  number of trees; gradient boosting starts from its init prediction and adds
  ``learning_rate * leaf value`` stage after stage; histogram gradient boosting starts from its
  baseline and adds each iteration's leaf value. ``np.cumsum`` is a strictly sequential scan, so
  its last column is that same sum, added in the same order;
* classes come from the same argmax (or sign test) scikit-learn uses, probabilities and inverse
  links from the model's own loss object.

Supported: RandomForest*, ExtraTrees*, DecisionTree*, ExtraTree*, GradientBoosting*,
HistGradientBoosting* (classifier and regressor, one output), also as the last step of a Pipeline.
Anything else is ``Unsupported`` with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


class Unsupported(Exception):
    """This model has no compiled form; the message says why (shown as ``compiled: no (...)``)."""


@dataclass
class Tree:
    left: np.ndarray       # child index, -1 at a leaf
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray  # float64; x <= threshold goes left
    leaf_nodes: np.ndarray  # node ids of the leaves, in leaf-index order
    column: int            # the output column this tree adds to (boosting), -1: all (forests)


@dataclass
class TreeTables:
    """What ``CompiledTrees`` needs besides the leaf index of every row in every tree."""

    name: str
    trees: list[Tree]
    contributions: np.ndarray          # (n_trees, max_leaves, n_columns)
    start: np.ndarray                  # (n_columns,) the sum's first term
    n_features: int
    cast32: bool                        # scikit-learn casts X to float32 before the walk
    finish: Callable[[np.ndarray], np.ndarray]            # summed raw -> predict()
    finish_proba: Callable[[np.ndarray], np.ndarray] | None = None
    is_classifier: bool = False
    extra: dict = field(default_factory=dict)

    def raw(self, leaves: np.ndarray) -> np.ndarray:
        """The summed contributions for leaf indices ``leaves`` (n_rows, n_trees)."""
        n, t = leaves.shape
        k = self.contributions.shape[2]
        out = np.empty((n, k))
        step = max(1, 4_000_000 // max(1, t * k))  # bounded memory on big batches
        idx = np.arange(t)
        for lo in range(0, n, step):
            part = self.contributions[idx, leaves[lo:lo + step]]            # (m, t, k)
            seq = np.concatenate([np.broadcast_to(self.start, (part.shape[0], 1, k)), part], axis=1)
            out[lo:lo + step] = np.cumsum(seq, axis=1)[:, -1]
        return out


def _sk_tree(tree_, column: int) -> Tree:
    left = np.asarray(tree_.children_left, dtype=np.int64)
    return Tree(left=left, right=np.asarray(tree_.children_right, dtype=np.int64),
                feature=np.asarray(tree_.feature, dtype=np.int64),
                threshold=np.asarray(tree_.threshold, dtype=np.float64),
                leaf_nodes=np.flatnonzero(left == -1), column=column)


def _stack(trees: list[Tree], per_leaf: list[np.ndarray]) -> np.ndarray:
    width = max(len(t.leaf_nodes) for t in trees)
    k = per_leaf[0].shape[1]
    table = np.zeros((len(trees), width, k))
    for i, values in enumerate(per_leaf):
        table[i, :len(values)] = values
    return table


def _one_output(model) -> None:
    if int(getattr(model, "n_outputs_", 1)) != 1:
        raise Unsupported(f"{type(model).__name__} has {model.n_outputs_} outputs; only one is compiled")


def _tree_proba(values: np.ndarray) -> np.ndarray:
    """DecisionTreeClassifier.predict_proba's normalisation of a leaf's class values."""
    normalizer = values.sum(axis=1)[:, np.newaxis]
    normalizer[normalizer == 0.0] = 1.0
    return values / normalizer


def is_tree_model(model: Any) -> bool:
    """A model (or a Pipeline ending in one) of the families above, before any compiling."""
    steps = getattr(model, "steps", None)
    final = steps[-1][1] if type(model).__module__.startswith("sklearn.pipeline") and steps else model
    if not type(final).__module__.startswith(("sklearn.ensemble", "sklearn.tree")):
        return False  # decided without importing sklearn.ensemble (36 ms) into a linear model's endpoint
    from sklearn import ensemble, tree

    return isinstance(final, (tree.BaseDecisionTree, ensemble.RandomForestClassifier,
                              ensemble.RandomForestRegressor, ensemble.ExtraTreesClassifier,
                              ensemble.ExtraTreesRegressor, ensemble.GradientBoostingClassifier,
                              ensemble.GradientBoostingRegressor, ensemble.HistGradientBoostingClassifier,
                              ensemble.HistGradientBoostingRegressor))


def tables_for(model: Any) -> TreeTables:
    from sklearn import ensemble, tree

    kind = type(model).__name__
    if isinstance(model, (tree.DecisionTreeClassifier, tree.DecisionTreeRegressor)):
        return _decision_tree(model, kind)
    if isinstance(model, (ensemble.RandomForestClassifier, ensemble.ExtraTreesClassifier,
                          ensemble.RandomForestRegressor, ensemble.ExtraTreesRegressor)):
        return _forest(model, kind)
    if isinstance(model, (ensemble.GradientBoostingClassifier, ensemble.GradientBoostingRegressor)):
        return _gradient_boosting(model, kind)
    if isinstance(model, (ensemble.HistGradientBoostingClassifier,
                          ensemble.HistGradientBoostingRegressor)):
        return _hist_gradient_boosting(model, kind)
    raise Unsupported(f"{kind} is not a scikit-learn tree model")


def _decision_tree(model, kind: str) -> TreeTables:
    _one_output(model)
    t = _sk_tree(model.tree_, -1)
    values = np.asarray(model.tree_.value)[t.leaf_nodes, 0, :]
    classifier = hasattr(model, "classes_")
    if classifier:
        classes = model.classes_
        n_classes = int(model.n_classes_)
        return TreeTables(kind, [t], _stack([t], [values]), np.zeros(values.shape[1]),
                          int(model.n_features_in_), True,
                          finish=lambda raw: classes.take(np.argmax(raw, axis=1), axis=0),
                          finish_proba=lambda raw: _tree_proba(raw[:, :n_classes]),
                          is_classifier=True)
    return TreeTables(kind, [t], _stack([t], [values[:, :1]]), np.zeros(1),
                      int(model.n_features_in_), True, finish=lambda raw: raw[:, 0])


def _forest(model, kind: str) -> TreeTables:
    _one_output(model)
    trees = [_sk_tree(e.tree_, -1) for e in model.estimators_]
    n = len(model.estimators_)
    if hasattr(model, "classes_"):
        per_leaf = [_tree_proba(np.asarray(e.tree_.value)[t.leaf_nodes, 0, :])
                    for e, t in zip(model.estimators_, trees)]
        classes = model.classes_

        def proba(raw):
            return raw / n  # ForestClassifier.predict_proba: the sum, then /= n_estimators

        return TreeTables(kind, trees, _stack(trees, per_leaf), np.zeros(per_leaf[0].shape[1]),
                          int(model.n_features_in_), True,
                          finish=lambda raw: classes.take(np.argmax(proba(raw), axis=1), axis=0),
                          finish_proba=proba, is_classifier=True)
    per_leaf = [np.asarray(e.tree_.value)[t.leaf_nodes, 0, :1] for e, t in zip(model.estimators_, trees)]
    return TreeTables(kind, trees, _stack(trees, per_leaf), np.zeros(1), int(model.n_features_in_),
                      True, finish=lambda raw: raw[:, 0] / n)


def _gradient_boosting(model, kind: str) -> TreeTables:
    from sklearn.dummy import DummyClassifier, DummyRegressor

    init = model.init_
    if not (isinstance(init, str) and init == "zero") and \
            type(init) not in (DummyClassifier, DummyRegressor):
        raise Unsupported(f"{kind} starts from a {type(init).__name__} init estimator, whose "
                          "prediction depends on the row")
    n_features = int(model.n_features_in_)
    # the Dummy init predicts one constant: its raw prediction for any row is the sum's start
    start = np.asarray(model._raw_predict_init(np.zeros((1, n_features), dtype=np.float32)),
                       dtype=np.float64)[0]
    k = start.shape[0]
    trees, per_leaf = [], []
    scale = model.learning_rate
    for stage in model.estimators_:           # predict_stages: stage after stage, class by class
        for column, est in enumerate(stage):
            t = _sk_tree(est.tree_, column)
            contribution = np.zeros((len(t.leaf_nodes), k))
            contribution[:, column] = scale * np.asarray(est.tree_.value)[t.leaf_nodes, 0, 0]
            trees.append(t)
            per_leaf.append(contribution)
    if hasattr(model, "classes_"):
        classes = model.classes_

        def decision(raw):  # GradientBoostingClassifier.decision_function's shape
            return raw.ravel() if raw.shape[1] == 1 else raw

        def predict(raw):
            d = decision(raw)
            return classes[(d >= 0).astype(int)] if d.ndim == 1 else classes[np.argmax(d, axis=1)]

        return TreeTables(kind, trees, _stack(trees, per_leaf), start, n_features, True,
                          finish=predict, finish_proba=lambda raw: model._loss.predict_proba(decision(raw)),
                          is_classifier=True)
    return TreeTables(kind, trees, _stack(trees, per_leaf), start, n_features, True,
                      finish=lambda raw: raw.ravel())


def _hist_tree(predictor, column: int) -> Tree:
    nodes = predictor.nodes
    if np.any(nodes["is_categorical"]):
        raise Unsupported("a HistGradientBoosting model with categorical splits is not compiled")
    is_leaf = nodes["is_leaf"].astype(bool)
    left = np.where(is_leaf, -1, nodes["left"].astype(np.int64))  # the fields are uint32
    return Tree(left=left, right=np.where(is_leaf, -1, nodes["right"].astype(np.int64)),
                feature=nodes["feature_idx"].astype(np.int64),
                threshold=nodes["num_threshold"].astype(np.float64),
                leaf_nodes=np.flatnonzero(is_leaf), column=column)


def _hist_gradient_boosting(model, kind: str) -> TreeTables:
    if getattr(model, "_preprocessor", None) is not None or \
            np.any(getattr(model, "is_categorical_", None) or False):
        raise Unsupported(f"{kind} with categorical features is not compiled")
    start = np.asarray(model._baseline_prediction, dtype=np.float64).reshape(-1)
    k = start.shape[0]
    trees, per_leaf = [], []
    for iteration in model._predictors:
        for column, predictor in enumerate(iteration):
            t = _hist_tree(predictor, column)
            contribution = np.zeros((len(t.leaf_nodes), k))
            contribution[:, column] = predictor.nodes["value"][t.leaf_nodes]
            trees.append(t)
            per_leaf.append(contribution)
    if not trees:
        raise Unsupported(f"{kind} has no trees")
    n_features = int(model.n_features_in_)
    if hasattr(model, "classes_"):
        classes = model.classes_

        def predict(raw):
            if raw.shape[1] == 1:  # "> 0", not ">= 0", as HistGradientBoostingClassifier.predict
                return classes[(raw.ravel() > 0).astype(int)]
            return classes[np.argmax(raw, axis=1)]

        return TreeTables(kind, trees, _stack(trees, per_leaf), start, n_features, False,
                          finish=predict, finish_proba=lambda raw: model._loss.predict_proba(raw),
                          is_classifier=True)
    return TreeTables(kind, trees, _stack(trees, per_leaf), start, n_features, False,
                      finish=lambda raw: model._loss.link.inverse(raw.ravel()))


def thresholds_by_feature(tables: TreeTables) -> list[np.ndarray]:
    """Each feature's distinct split thresholds over every tree."""
    found: list[list[np.ndarray]] = [[] for _ in range(tables.n_features)]
    for t in tables.trees:
        inner = t.left != -1
        for f in np.unique(t.feature[inner]):
            found[int(f)].append(t.threshold[inner & (t.feature == f)])
    return [np.unique(np.concatenate(v)) if v else np.empty(0) for v in found]
