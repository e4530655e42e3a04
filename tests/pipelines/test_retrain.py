"""``ws.retrain``: a parameterised notebook run by papermill in a real ``python3`` kernel, recorded as a
``Run`` in ``job_runs``, its version linked to the run through its lineage. Every run here starts
a real kernel, which papermill shuts down when the notebook ends."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import jupyter_mlops as mlops
from jupyter_mlops import InvalidInput, RunFailed

from .notebooks import TRAIN, TRAIN_PARAMETERS, write_notebook


@pytest.fixture
def train_nb(tmp_path):
    return write_notebook(tmp_path / "notebooks" / "train.ipynb", TRAIN_PARAMETERS, TRAIN)


def test_a_retrain_runs_the_notebook_and_records_the_run(ws, train_nb):
    run = ws.retrain("churn", str(train_nb), parameters={"C": 0.5, "rows": 200})

    assert isinstance(run, mlops.Run) and run.status == "succeeded" and run.kind == "retrain"
    assert run.trigger["kind"] == "manual" and run.failure is None and run.finished_at >= run.started_at
    assert run.notebook == str(train_nb) and run.sha256 == hashlib.sha256(train_nb.read_bytes()).hexdigest()
    assert run.parameters == {"C": 0.5, "rows": 200} and run.versions == ["churn:1"]
    step = run.steps[0]
    assert step.status == "succeeded" and step.attempts == 1 and not step.cached
    # what the kernel saw: the run's id and trigger, its folder, the notebook's folder as cwd
    seen = step.outputs["seen"]["value"]
    assert seen == {"run_id": run.id, "kind": "retrain", "trigger": "manual", "step": 1,
                    "run_dir": str(ws.home / "runs" / str(run.id) / "01-train")}
    assert step.outputs["cwd"]["value"] == str(train_nb.parent)
    assert run.metrics["rows"] == 200 and 0.5 < run.metrics["accuracy"] <= 1  # outputs and the version's

    # the output notebook: kept as an artifact (hash-verified) and as a file under the run's folder
    executed = json.loads(ws.artifacts.get_bytes(step.output_notebook))
    assert Path(step.output_path).read_bytes() == ws.artifacts.get_bytes(step.output_notebook)
    injected = [c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert "C = 0.5" in "".join(injected[0]["source"]) and "rows = 200" in "".join(injected[0]["source"])

    # the version is linked to the run with nothing written in the notebook
    link = ws.get("churn:1").lineage["run"]
    assert link["id"] == run.id and link["kind"] == "retrain" and link["step"] == 1
    assert link["notebook_sha256"] == run.sha256 and link["parameters"] == {"C": 0.5, "rows": 200}
    assert ws.get("churn:1").lineage["notebook"] == {"path": str(train_nb), "sha256": run.sha256}

    # ws.runs lists it with the monitoring runs, its result the Run's JSON
    listed = ws.runs("churn")
    assert list(listed.index) == [run.id] and listed.loc[run.id, "kind"] == "retrain"
    assert listed.loc[run.id, "status"] == "succeeded" and listed.loc[run.id, "result"] == run.to_dict()
    assert ws.audit("churn")["action"].tolist()[-1] == "retrain"


def test_an_undeclared_parameter_is_refused_before_anything_runs(ws, train_nb):
    with pytest.raises(InvalidInput, match=r"'max_dept' is not declared in train.ipynb's parameters cell, which "
                                           r"declares: C \(float, default 1.0\), rows \(int, default 300\), seed"):
        ws.retrain("churn", str(train_nb), parameters={"max_dept": 8})
    with pytest.raises(InvalidInput, match=r"'rows' of train.ipynb is declared int \(default 300\); got 'many'"):
        ws.retrain("churn", str(train_nb), parameters={"rows": "many"})
    with pytest.raises(InvalidInput, match=r"'C' of train.ipynb is declared float .* got True, a bool"):
        ws.retrain("churn", str(train_nb), parameters={"C": True})
    bare = write_notebook(train_nb.parent / "bare.ipynb", None, "x = 1")
    with pytest.raises(InvalidInput, match="bare.ipynb has no cell tagged 'parameters'.*Cell Tags"):
        ws.retrain("churn", str(bare), parameters={"x": 2})
    with pytest.raises(InvalidInput, match="There is no notebook 'missing.ipynb'"):
        ws.retrain("churn", "missing.ipynb")
    with pytest.raises(InvalidInput, match="timeout is the seconds"):
        ws.retrain("churn", str(train_nb), timeout=0)
    with pytest.raises(InvalidInput, match="unknown rollout 'canory'"):
        ws.retrain("churn", str(train_nb), deploy="canory:10")
    with pytest.raises(InvalidInput, match="a canary rollout needs the share of traffic"):
        ws.retrain("churn", str(train_nb), deploy="canary")
    assert ws.runs().empty  # nothing ran, nothing was recorded


def test_a_failing_notebook_raises_run_failed_keeps_its_output_and_promotes_nothing(ws, train_nb, clf, numeric_data):
    ws.register(clf, "churn", data=numeric_data[0], alias="production")
    failing = write_notebook(train_nb.parent / "failing.ipynb", TRAIN_PARAMETERS, TRAIN,
                             "raise ValueError('the holdout AUC is too low: 0.51')", "print('never runs')")
    with pytest.raises(RunFailed, match=r"step 1, cell 2 failed: ValueError: the holdout AUC is too low") as info:
        ws.retrain("churn", str(failing), promote="production", deploy="replace")
    run = info.value.run
    assert run.status == "failed" and run.failure["cell"] == 2 and run.failure["ename"] == "ValueError"
    assert run.failure["evalue"] == "the holdout AUC is too low: 0.51" and run.failure["execution_count"] == 3
    assert run.versions == ["churn:2"]  # registered before the failing cell: recorded, never promoted
    assert ws.get("churn@production").version == 1 and ws.get("churn:2").approval == "PendingManualApproval"
    assert run.deployed is None and ws.endpoints().empty
    executed = json.loads(ws.artifacts.get_bytes(run.steps[0].output_notebook))
    errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors[0]["ename"] == "ValueError"
    listed = ws.runs("churn").loc[run.id]
    assert listed["status"] == "failed" and "ValueError: the holdout AUC is too low" in listed["error"]


def test_retries_run_a_failed_notebook_again_in_a_fresh_kernel(ws, train_nb):
    flaky = write_notebook(train_nb.parent / "flaky.ipynb", "fail_times = 1", """
        import os
        from pathlib import Path
        counter = Path(os.environ["MLOPS_RUN_DIR"]) / "attempts"
        attempt = int(counter.read_text()) + 1 if counter.exists() else 1
        counter.write_text(str(attempt))
        assert attempt > fail_times, f"attempt {attempt} fails on purpose"
    """)
    run = ws.retrain("churn", str(flaky), retries=1)
    assert run.status == "succeeded" and run.steps[0].attempts == 2
    with pytest.raises(RunFailed, match="attempt 2 fails on purpose") as info:
        ws.retrain("churn", str(flaky), parameters={"fail_times": 5}, retries=1)
    assert info.value.run.failure["attempts"] == 2


def test_the_timeout_bounds_the_whole_notebook(ws, train_nb):
    slow = write_notebook(train_nb.parent / "slow.ipynb", "pause = 60", "import time", "time.sleep(pause)",
                          "print('done')")
    with pytest.raises(RunFailed, match="cell 2 failed: Timeout: the notebook ran longer than its timeout of 5 s"):
        ws.retrain("churn", str(slow), timeout=5)


def test_context_and_output_outside_a_run(monkeypatch):
    for var in ("MLOPS_RUN_ID", "MLOPS_RUN_DIR"):
        monkeypatch.delenv(var, raising=False)
    ctx = mlops.context()
    assert not ctx.in_run and ctx.kind == "manual" and ctx.trigger["kind"] == "manual" and ctx.run_id is None
    assert "outside a run" in repr(ctx)
    assert mlops.output("auc", 0.91) == 0.91 and mlops.context().outputs["auc"] == 0.91
    with pytest.raises(InvalidInput, match="output key 'train-rows' is not a Python identifier"):
        mlops.output("train-rows", 3)
    with pytest.raises(InvalidInput, match="holds NaN or infinity"):
        mlops.output("loss", float("nan"))
    with pytest.raises(InvalidInput, match="a object is neither JSON nor a DataFrame"):
        mlops.output("model", object())
