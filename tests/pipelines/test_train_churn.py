"""notebooks/train_churn.ipynb, the retraining notebook the README and the issue run, as a run runs
it: parameters injected, a version registered with its metrics and linked to the run, and the
drift report of a drift-triggered run read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "train_churn.ipynb"
SMALL = {"rows": 1200, "max_depth": 4, "n_estimators": 40}


def test_train_churn_registers_a_version_with_its_metrics(ws):
    run = ws.retrain("churn", str(NOTEBOOK), parameters=SMALL)
    assert run.status == "succeeded" and run.version == "churn:1" and run.versions == ["churn:1"]
    version = ws.get("churn:1")
    assert set(version.metrics) == {"auc", "accuracy", "f1"} and version.metrics["auc"] > 0.8
    assert version.params["max_depth"] == 4 and version.params["n_estimators"] == 40
    assert version.lineage["run"]["id"] == run.id and version.lineage["run"]["parameters"] == SMALL
    assert run.metrics["auc"] == version.metrics["auc"] and run.metrics["train_rows"] == 900
    assert ws.baseline("churn:1").statistics  # registered with its data: monitoring has a baseline


def test_train_churn_reads_the_drift_report_of_a_drift_triggered_run(ws, tmp_path):
    ws.retrain("churn", str(NOTEBOOK), parameters=SMALL)
    rng = np.random.default_rng(3)
    moved = pd.DataFrame({"tenure": rng.integers(0, 72, 300).astype(float) + 30,
                          "monthly": np.abs(rng.normal(95, 20, 300)),
                          "support_calls": rng.poisson(5, 300).astype(float),
                          "senior": (rng.uniform(size=300) < 0.5).astype(float)})
    report = ws.check("churn:1", data=moved)
    report_json = Path(report.save(tmp_path / "drift.html")).with_suffix(".json")
    drifted = [c["column"] for c in json.loads(report_json.read_text())["drift"]["columns"] if c["drifted"]]
    assert drifted

    run = ws.retrain("churn", str(NOTEBOOK), parameters={
        **SMALL, "shift": 1.0, "seed": 1, "drift_report": str(report_json),
        "window_start": "2026-11-27T03:00:00+00:00", "window_end": "2026-11-28T03:00:00+00:00"})
    import nbformat

    executed = nbformat.read(run.output_notebook, as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert f"retraining after drift in {', '.join(drifted)}" in printed
    assert "from 2026-11-27T03:00:00+00:00 to 2026-11-28T03:00:00+00:00" in printed
    assert ws.get(run.version).params["shift"] == 1.0
