"""The linear fast path is used only where it gives exactly scikit-learn's predictions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import (LinearRegression, LogisticRegression, Ridge, RidgeClassifier,
                                  SGDClassifier)

from jupyter_mlops._core.modelio import dump_model
from jupyter_mlops._core.errors import PayloadError
from jupyter_mlops._core.serving.inference.fastpath import linear_predictor, verified
from jupyter_mlops._core.serving.inference.schema import Table
from jupyter_mlops._core.serving.inference.variant import LoadedVariant
from jupyter_mlops._core.signature import infer_signature


def _frame(X):
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])


@pytest.mark.parametrize("make,model", [
    (lambda: make_classification(300, 8, random_state=0), LogisticRegression(max_iter=500)),
    (lambda: make_classification(300, 8, n_informative=5, n_classes=3, random_state=0),
     LogisticRegression(max_iter=500)),
    (lambda: make_classification(300, 8, random_state=2), SGDClassifier(random_state=0)),
])
def test_fast_linear_predictions_equal_sklearn(make, model):
    X, y = make()
    df = _frame(X)
    model.fit(df, y)
    fast = linear_predictor(model)
    assert fast is not None and verified(model, fast, X[:5])
    rng = np.random.default_rng(9)
    probe = rng.normal(0, 3, (500, X.shape[1]))
    expected = model.predict(_frame(probe))
    got = fast(probe)
    assert got.dtype == expected.dtype and np.array_equal(got, expected)


def test_estimators_with_their_own_predict_are_not_fast_pathed():
    class Shifted(LogisticRegression):
        def predict(self, X):
            return super().predict(X) * 0

    X, y = make_classification(100, 3, n_informative=2, n_redundant=0, random_state=0)
    assert linear_predictor(Shifted().fit(X, y)) is None
    assert linear_predictor(RidgeClassifier().fit(X, y)) is None  # its own predict in sklearn 1.9
    Xr, yr = make_regression(100, 3, random_state=0)
    for model in (LinearRegression(), Ridge()):
        fast = linear_predictor(model.fit(Xr, yr))
        assert fast is None or verified(model, fast, Xr[:5])


def test_a_variant_uses_the_fast_path_and_refuses_nan_before_its_model(tmp_path):
    X, y = make_classification(200, 4, random_state=0)
    df = _frame(X)
    model = LogisticRegression().fit(df, y)
    payload, fmt = dump_model(model)
    path = tmp_path / "m.bin"
    path.write_bytes(payload)
    v = LoadedVariant({"name": "m-v1", "artifact_path": str(path), "format": fmt,
                       "signature": infer_signature(df, pd.Series(y), model),
                       "sample": {"data": X[:5].tolist()}}).load()
    assert v.use_array and v.fast is not None
    assert v.predict(Table(array=X[:50].copy())).tolist() == model.predict(df.head(50)).tolist()
    # LogisticRegression does not take NaN: the client's error, never the model's
    with pytest.raises(PayloadError, match="Row 1, column 'x0' is missing"):
        v.predict(Table(array=np.array([[np.nan, 1.0, 2.0, 3.0]])))
