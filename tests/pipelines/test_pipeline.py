"""``ws.pipeline``: notebooks run in order, a step's ``output()`` values reaching the later steps that
declare them (a DataFrame as a DataFrame), each step cached by the sha256 of its notebook and its
inputs, the pipeline versioned by the sha256 of its notebooks."""

from __future__ import annotations

import hashlib
import json

import pytest

from jupyter_mlops import InvalidInput, RunFailed

from .notebooks import write_notebook

PREP = """
    import numpy as np
    import pandas as pd
    import jupyter_mlops as mlops

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"tenure": rng.integers(0, 72, rows).astype(float), "monthly": rng.normal(70, 20, rows)})
    frame["churned"] = (frame.tenure < 20).astype(int)
    mlops.output("train", frame)
    mlops.output("n_rows", rows)
    mlops.output("note", "prepared")
"""
TRAIN = """
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    import jupyter_mlops as mlops

    assert isinstance(train, pd.DataFrame) and len(train) == n_rows, (type(train), n_rows)
    X, y = train[["tenure", "monthly"]], train["churned"]
    clf = LogisticRegression(max_iter=500).fit(X, y)
    mlops.Workspace().register(clf, "churn", data=X, target=y, metrics={"accuracy": float(clf.score(X, y))})
    mlops.output("accuracy", float(clf.score(X, y)))
"""


@pytest.fixture
def steps(tmp_path):
    folder = tmp_path / "pipeline"
    return [write_notebook(folder / "prep.ipynb", "rows = 100\nseed = 0", PREP),
            write_notebook(folder / "train.ipynb", "train = None\nn_rows: int = 0", TRAIN)]


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_outputs_reach_the_later_steps_that_declare_them(ws, steps):
    prep, train = steps
    run = ws.pipeline("churn", [str(prep), str(train)], parameters={"rows": 150})
    assert run.status == "succeeded" and run.kind == "pipeline" and [s.status for s in run.steps] == ["succeeded"] * 2
    first, second = run.steps
    assert first.parameters == {"rows": 150}  # a run's parameter goes to the steps that declare it
    assert set(first.outputs) == {"train", "n_rows", "note"}
    assert first.outputs["train"]["type"] == "frame" and first.outputs["train"]["rows"] == 150
    assert first.outputs["train"]["columns"] == ["tenure", "monthly", "churned"]
    # the second step declared train and n_rows (not note): it got them, the DataFrame as a DataFrame
    assert second.parameters == {"n_rows": 150, "train": {"frame": first.outputs["train"]["sha256"]}}
    assert run.versions == ["churn:1"] and second.versions == ["churn:1"] and first.versions == []
    assert run.metrics["accuracy"] == second.outputs["accuracy"]["value"] and run.metrics["n_rows"] == 150
    # the frame handed on is the artifact the first step stored
    import pandas as pd

    frame = pd.read_parquet(ws.artifacts.local_path(first.outputs["train"]["sha256"]))
    assert len(frame) == 150
    assert run.pipeline_version == hashlib.sha256(json.dumps([sha(prep), sha(train)]).encode()).hexdigest()
    assert ws.get("churn:1").lineage["run"]["pipeline_version"] == run.pipeline_version


def test_a_rerun_skips_the_unchanged_steps_and_says_so(ws, steps):
    prep, train = steps
    first = ws.pipeline("churn", [str(prep), str(train)])
    again = ws.pipeline("churn", [str(prep), str(train)])
    assert [s.status for s in again.steps] == ["cached", "cached"] and all(s.cached for s in again.steps)
    assert [s.cached_from for s in again.steps] == [first.id, first.id]
    assert again.versions == first.versions == ["churn:1"] and len(ws.versions("churn")) == 1
    assert again.pipeline_version == first.pipeline_version
    assert "cached (from run %d)" % first.id in again._repr_html_()

    # the second notebook changes: the first step is reused, the second runs, the version changes
    write_notebook(train, "train = None\nn_rows: int = 0", TRAIN, "extra = 1")
    changed = ws.pipeline("churn", [str(prep), str(train)])
    assert [s.status for s in changed.steps] == ["cached", "succeeded"] and changed.steps[0].cached_from == first.id
    assert changed.pipeline_version != first.pipeline_version and changed.versions == ["churn:2"]
    # another input to the first step: it runs, and so does the second, whose input changed with it
    other = ws.pipeline("churn", [str(prep), str(train)], parameters={"seed": 1})
    assert [s.status for s in other.steps] == ["succeeded", "succeeded"]
    # cache=False runs every step
    assert [s.status for s in ws.pipeline("churn", [str(prep), str(train)], cache=False).steps] == ["succeeded"] * 2


def test_a_failing_step_stops_the_pipeline(ws, steps):
    prep, train = steps
    broken = write_notebook(prep.parent / "broken.ipynb", "rows = 1", "1 / 0")
    with pytest.raises(RunFailed, match="step 2, cell 1 failed: ZeroDivisionError") as info:
        ws.pipeline("churn", [str(prep), str(broken), str(train)])
    run = info.value.run
    assert [s.status for s in run.steps] == ["succeeded", "failed", "not run"]
    assert run.failure["step"] == 2 and run.failure["notebook"] == "broken.ipynb" and run.versions == []
    again = pytest.raises(RunFailed, ws.pipeline, "churn", [str(prep), str(broken), str(train)]).value.run
    assert [s.status for s in again.steps] == ["cached", "failed", "not run"]  # a failure is never cached


def test_an_output_of_the_wrong_type_for_a_later_step_fails_that_step_before_it_runs(ws, steps):
    prep, _ = steps
    wants_a_number = write_notebook(prep.parent / "wants.ipynb", "train: int = 0", "print(train)")
    with pytest.raises(RunFailed, match="'train' of wants.ipynb is declared int .* an earlier step output a "
                                        "DataFrame") as info:
        ws.pipeline("churn", [str(prep), str(wants_a_number)])
    assert info.value.run.steps[1].attempts == 0 and info.value.run.steps[1].output_notebook is None


def test_pipeline_parameters_must_be_declared_by_some_step(ws, steps):
    with pytest.raises(InvalidInput, match=r"'row' is not declared in any step's parameters cell, which declares: "
                                           r"rows \(int, default 100\), seed .* Did you mean: rows"):
        ws.pipeline("churn", [str(p) for p in steps], parameters={"row": 10})
    with pytest.raises(InvalidInput, match="steps is a list of notebooks"):
        ws.pipeline("churn", str(steps[0]))
    assert ws.runs().empty


def test_a_workspace_of_the_first_schema_is_migrated_to_the_step_cache(home, clf, numeric_data):
    """A database made before the step cache existed upgrades in place, keeping what it holds."""
    from alembic import command
    from sqlalchemy import inspect

    import jupyter_mlops as mlops
    from jupyter_mlops._core.store import db

    home.mkdir(parents=True)
    store = db.Store(db.default_url(home))
    cfg = db._alembic_config()
    with store.engine.connect() as conn, conn.begin():
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001_initial")
    store.dispose()
    assert store.current_revision() == "0001_initial"

    ws = mlops.Workspace(home)
    assert ws.models().empty and ws.store.current_revision() == db.HEAD_REVISION
    with ws.store.engine.connect() as conn:
        assert "step_cache" in inspect(conn).get_table_names()
    ws.register(clf, "churn", data=numeric_data[0])
    assert ws.get("churn").version == 1
    # and past the step cache, to the reproduction kept on each version (0003_reproduction)
    assert ws.get("churn").reproduction is None and ws.versions("churn").loc[1, "reproduction"] is None
    ws.store.dispose()
