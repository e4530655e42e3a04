"""Incremental retraining (notebooks/retrain_incremental.ipynb run as a job): the run loads the
version in production and continues its training with ``partial_fit`` on the new batch, rather than
training a new model from scratch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "retrain_incremental.ipynb"


def test_a_run_updates_the_production_model_with_partial_fit(ws):
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"tenure": rng.uniform(0, 72, 800), "monthly": rng.normal(70, 20, 800),
                      "support_calls": rng.poisson(2, 800).astype(float)})
    y = (X.support_calls - 2 - 0.06 * (X.tenure - 36) > 0).astype(int)
    scaler = StandardScaler().fit(X)
    first = SGDClassifier(loss="log_loss", random_state=0).partial_fit(scaler.transform(X), y, classes=[0, 1])
    ws.register(make_pipeline(scaler, first), "churn", data=X, target=y, alias="production")

    run = ws.retrain("churn", str(NOTEBOOK), parameters={"batch": 1, "rows": 1500})
    assert run.status == "succeeded" and run.versions == ["churn:2"]
    updated, production = ws.load("churn:2"), ws.load("churn@production")
    assert ws.get("churn:2").params == {"batch": 1, "started_from": "churn:1"}
    # SGD's update count goes on from the production model's: 5 passes over the 1,000 rows fitted
    assert updated.steps[-1][1].t_ == production.steps[-1][1].t_ + 5 * 1000
    assert (updated.steps[0][1].mean_ == production.steps[0][1].mean_).all()  # the scaler is kept
    assert {"accuracy", "accuracy_before_update"} <= set(run.metrics)
