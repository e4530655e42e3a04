"""Prediction without scikit-learn's per-call input validation, for linear models only, and only
where it is proven to give identical predictions.

For a 1-row request, sklearn's ``validate_data`` (dataframe-library detection, dtype checks,
finiteness, feature-name checks) costs more than the arithmetic of a linear model. The endpoint
already holds a validated float64 array in the fitted column order, so for estimators whose
``predict`` is sklearn's own linear one (``LinearClassifierMixin`` / ``LinearModel``, not
overridden) it computes ``X @ coef_.T + intercept_`` the same way sklearn does. The variant uses it
only if it returns exactly sklearn's predictions on the smoke-test sample and on a perturbed batch;
a request with NaN or inf goes through ``model.predict`` so the model's own error is returned.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


def linear_predictor(model: Any) -> Callable[[np.ndarray], np.ndarray] | None:
    try:
        from sklearn.linear_model._base import LinearClassifierMixin, LinearModel
    except ImportError:  # pragma: no cover
        return None
    cls = type(model)
    coef = getattr(model, "coef_", None)
    intercept = getattr(model, "intercept_", None)
    if coef is None or intercept is None or not isinstance(coef, np.ndarray) \
            or coef.dtype != np.float64:
        return None
    if isinstance(model, LinearClassifierMixin):
        if cls.predict is not LinearClassifierMixin.predict or \
                cls.decision_function is not LinearClassifierMixin.decision_function:
            return None
        classes = np.asarray(model.classes_)

        def predict_classes(x: np.ndarray) -> np.ndarray:
            scores = x @ coef.T + intercept  # the very expression sklearn evaluates
            if scores.ndim > 1 and scores.shape[1] == 1:
                return classes[(scores.reshape(-1) > 0).astype(int)]
            return classes[scores.argmax(axis=1)]

        return predict_classes
    if isinstance(model, LinearModel):
        if cls.predict is not LinearModel.predict or \
                cls._decision_function is not LinearModel._decision_function:
            return None

        def predict_values(x: np.ndarray) -> np.ndarray:
            return x @ coef + intercept if coef.ndim == 1 else x @ coef.T + intercept

        return predict_values
    return None


def verified(model: Any, fast: Callable, sample: np.ndarray) -> bool:
    """True when ``fast`` gives exactly ``model.predict`` on the sample and a perturbed batch."""
    import warnings

    rng = np.random.default_rng(0)
    scale = np.nanstd(sample, axis=0) + 1.0
    batch = np.vstack([sample, sample[:1], sample + rng.normal(0, 1, sample.shape) * scale,
                       rng.normal(0, 1, (64, sample.shape[1])) * scale + np.nanmean(sample, axis=0)])
    if not np.isfinite(batch).all():
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for rows in (batch[:1], batch):
                expected = np.asarray(model.predict(rows))
                got = fast(rows)
                if expected.shape != got.shape or expected.dtype != got.dtype or \
                        not np.array_equal(expected, got):
                    return False
    except Exception:
        return False
    return True
