"""``ws.sweep``: a notebook run once per parameter set in parallel real kernels, each trial a recorded
run of kind ``sweep-trial``, the sweep a row of kind ``sweep``; a failed trial reported, not
raised; every set checked before anything runs; the best trial's version through the gate."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

import jupyter_mlops as mlops
from jupyter_mlops import InvalidInput
from jupyter_mlops._core.pipelines.gate import parse_gate
from jupyter_mlops._core.pipelines.sweep import best_of, choose_metric, parameter_sets
from jupyter_mlops._core.pipelines.sweep_results import Trial
from jupyter_mlops.cli import main

from .notebooks import write_notebook

PARAMETERS = """
    C: float = 1.0
    rows = 200
"""
#: fits a LogisticRegression (C <= 0 makes scikit-learn raise: a failing trial) and registers it
#: with its accuracy and a "quality" known in advance: 0 at C=1, rows=200, lower elsewhere
TRAIN = """
    import math
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    import jupyter_mlops as mlops

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"tenure": rng.integers(0, 72, rows).astype(float),
                      "support_calls": rng.poisson(2, rows).astype(float)})
    y = ((X.support_calls * 0.8 - X.tenure * 0.05 + rng.normal(0, 1, rows)) > 0).astype(int)
    clf = LogisticRegression(C=C, max_iter=500).fit(X, y)
"""
REGISTER = """
    quality = round(0.0 - abs(math.log10(C)) - abs(rows - 200) / 1000, 6)  # 0.0 - …: never -0.0
    version = mlops.Workspace().register(clf, mlops.context().name, data=X, target=y, params={"C": C, "rows": rows},
                                         metrics={"accuracy": float(clf.score(X, y)), "quality": quality})
"""
#: each trial waits until another has started as well (for two minutes at most): with workers=1 the
#: first trial would fail here, so every trial passing proves that trials ran at the same time
TOGETHER = """
    import os
    import time
    from pathlib import Path

    started = Path("started")
    started.mkdir(exist_ok=True)
    (started / str(mlops.context().run_id)).touch()
    deadline = time.monotonic() + 120
    while len(list(started.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(list(started.iterdir())) >= 2, "no other trial ran while this one did"
    mlops.output("omp_threads", os.environ.get("OMP_NUM_THREADS"))
"""


@pytest.fixture
def train_nb(tmp_path):
    return write_notebook(tmp_path / "nb" / "train.ipynb", PARAMETERS, TRAIN, REGISTER)


def test_a_grid_of_four_with_two_workers_records_each_trial_and_the_best(ws, tmp_path):
    notebook = write_notebook(tmp_path / "nb" / "train.ipynb", PARAMETERS, TRAIN, REGISTER, TOGETHER)
    sweep = ws.sweep("churn", str(notebook), grid={"C": [0.1, 1.0], "rows": [200, 400]}, workers=2,
                     metric="quality")

    assert isinstance(sweep, mlops.Sweep) and sweep.status == "succeeded" and sweep.failed == []
    assert [t.parameters for t in sweep.trials] == [{"C": 0.1, "rows": 200}, {"C": 0.1, "rows": 400},
                                                     {"C": 1.0, "rows": 200}, {"C": 1.0, "rows": 400}]
    assert [t.metrics["quality"] for t in sweep.trials] == [-1.0, -1.2, 0.0, -0.2]
    assert sweep.best.trial == 3 and sweep.best.parameters == {"C": 1.0, "rows": 200} and sweep.metric == "quality"
    listed = ws.runs("churn")
    assert listed.loc[sweep.id, "kind"] == "sweep" and listed.loc[sweep.id, "result"] == sweep.to_dict()
    for trial in sweep.trials:  # each trial is a run of its own, linked to the sweep, with its own version
        run = listed.loc[trial.run, "result"]
        assert listed.loc[trial.run, "kind"] == "sweep-trial" and run["status"] == "succeeded"
        assert run["trigger"]["kind"] == "sweep" and run["trigger"]["sweep"] == sweep.id
        assert run["trigger"]["trial"] == trial.trial and run["parameters"] == trial.parameters
        version = ws.get(trial.version)
        assert version.lineage["run"]["id"] == trial.run and version.lineage["run"]["kind"] == "sweep-trial"
        assert trial.metrics == version.metrics and version.approval == "PendingManualApproval"
    assert len({t.version for t in sweep.trials}) == 4
    # two kernels at once: each is told to use its share of the cores for OpenMP (unless set here)
    share = os.environ.get("OMP_NUM_THREADS") or str(max(1, len(os.sched_getaffinity(0)) // 2))
    assert {listed.loc[t.run, "result"]["steps"][0]["outputs"]["omp_threads"]["value"] for t in sweep.trials} == {
        share}

    frame = sweep.to_frame()
    assert list(frame.index) == [1, 2, 3, 4] and frame["status"].eq("succeeded").all()
    assert {"params.C", "params.rows", "metrics.quality", "metrics.accuracy", "version", "seconds"} <= set(frame)
    assert frame.sort_values("metrics.quality", ascending=False).index[0] == 3
    assert frame.loc[3, "version"] == sweep.best.version
    assert "best trial 3 (C=1.0, rows=200): quality 0.0" in repr(sweep)
    assert ws.audit("churn")["action"].tolist().count("sweep-trial") == 4


def test_a_failing_trial_is_reported_while_the_others_succeed(ws, train_nb, capsys):
    sweep = ws.sweep("churn", str(train_nb), trials=[{"C": 1.0}, {"C": -1.0}, {"C": 0.5}], metric="quality",
                     progress=True)
    err = capsys.readouterr().err  # the bar of trials ended, with the failures counted
    assert "sweep churn" in err and "3/3" in err and "1 failed" in err

    assert sweep.status == "succeeded" and [t.status for t in sweep.trials] == ["succeeded", "failed", "succeeded"]
    failed = sweep.failed[0]
    assert failed.failure["ename"] == "InvalidParameterError" and "'C' parameter" in failed.failure["evalue"]
    assert failed.failure["cell"] == 1 and failed.version is None and failed.metrics == {}
    executed = json.loads(Path(failed.output_notebook).read_text())
    assert [o["ename"] for c in executed["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"] == [
        "InvalidParameterError"]
    assert ws.runs("churn").loc[failed.run, "status"] == "failed"
    assert sweep.best.trial == 1 and sorted(t.version for t in sweep.succeeded) == ["churn:1", "churn:2"]
    assert "3 trials (1 failed)" in repr(sweep) and "InvalidParameterError" in sweep._repr_html_()


def test_bad_parameters_are_refused_before_anything_runs(ws, train_nb):
    with pytest.raises(InvalidInput, match=r"'max_iter' is not declared in train.ipynb's parameters cell, which "
                                           r"declares: C \(float, default 1.0\), rows \(int, default 200\)"):
        ws.sweep("churn", str(train_nb), grid={"C": [0.1, 1.0], "max_iter": [100]})
    with pytest.raises(InvalidInput, match=r"'C' of train.ipynb is declared float \(default 1.0\); got 'high'"):
        ws.sweep("churn", str(train_nb), trials=[{"C": 0.1}, {"C": "high"}])  # the first set is fine: nothing runs
    with pytest.raises(InvalidInput, match=r"grid\['C'\] must be a non-empty list of values, got 1.0"):
        ws.sweep("churn", str(train_nb), grid={"C": 1.0})
    with pytest.raises(InvalidInput, match="Give one of grid= or trials=, not both"):
        ws.sweep("churn", str(train_nb), grid={"C": [1.0]}, trials=[{"C": 1.0}])
    with pytest.raises(InvalidInput, match="workers is how many trials run at once"):
        ws.sweep("churn", str(train_nb), grid={"C": [1.0]}, workers=0)
    with pytest.raises(InvalidInput, match="direction is 'max'"):
        ws.sweep("churn", str(train_nb), grid={"C": [1.0]}, direction="up")
    with pytest.raises(InvalidInput, match="Gate"):
        ws.sweep("churn", str(train_nb), grid={"C": [1.0]}, gate="quality >=")
    assert ws.runs().empty and not ws.registry.names()  # nothing ran, nothing was recorded


def test_the_gate_judges_the_best_trials_version_only(ws, train_nb, clf, numeric_data):
    X, y = numeric_data
    ws.register(clf, "churn", data=X, target=y, metrics={"quality": -0.5}, alias="production")
    sweep = ws.sweep("churn", str(train_nb), grid={"C": [0.1, 1.0]}, gate="quality >= production.quality",
                     promote="production")

    assert sweep.metric == "quality" and sweep.choice == "the gate's first metric"
    best, other = sweep.trials[1], sweep.trials[0]
    assert sweep.status == "succeeded" and sweep.best == best and sweep.gate["passed"] is True
    assert sweep.gate["values"] == {"quality": 0.0, "production.quality": -0.5}
    assert sweep.release == {"approved": best.version, "comment": ws.get(best.version).approval_history[-1]["comment"],
                             "promoted": "production"}
    assert ws.get("churn@production").ref == best.version and ws.get(best.version).approval == "Approved"
    assert ws.get(other.version).approval == "PendingManualApproval" and not ws.get(other.version).aliases

    strict = ws.sweep("churn", str(train_nb), trials=[{"C": 0.1}], gate="quality >= production.quality")
    assert strict.status == "gate_failed" and strict.gate["passed"] is False  # returned, not raised
    assert ws.get(strict.best.version).approval == "Rejected" and ws.get("churn@production").ref == best.version
    assert ws.runs("churn").loc[strict.id, "status"] == "gate_failed"


def test_the_sweep_from_the_magic_shows_its_table_and_chart(shell, ws, train_nb):
    sweep = shell.run_line_magic("mlops", f"""sweep churn --notebook {train_nb} --grid '{{"C": [0.1, 1.0]}}' """
                                          "--metric quality --workers 2")
    assert isinstance(sweep, mlops.Sweep) and sweep.best.trial == 2
    html = sweep._repr_html_()
    assert '<table class="mlops-data">' in html and "<th>C</th>" in html and "<th>quality</th>" in html
    assert html.count('class="mlops-flagged"') == 1  # the best trial's row
    assert html.count("<svg") == 1 and "quality by C" in html and "best (trial 2)" in html
    assert 'href="' in html and "train.ipynb" in html  # each trial's output notebook
    assert len(repr(sweep).splitlines()) == 1


def test_mlops_sweep_in_a_shell_prints_the_sweep_and_exits_3_when_the_gate_fails(ws, train_nb):
    ok = CliRunner().invoke(main, ["--json", "sweep", "churn", "--notebook", str(train_nb), "--trials",
                                   '[{"C": 1.0}, {"C": 0.5}]', "--metric", "quality"])
    assert ok.exit_code == 0, ok.output
    printed = json.loads(ok.output)
    assert printed["status"] == "succeeded" and printed["best_trial"] == 1 and len(printed["trials"]) == 2
    gated = CliRunner().invoke(main, ["sweep", "churn", "--notebook", str(train_nb), "--grid", '{"C": [0.5]}',
                                      "--gate", "quality > 0"])
    assert gated.exit_code == 3 and "the gate failed it: " in gated.output


def test_the_best_metric_is_the_one_asked_then_the_gates_first_then_the_one_all_share():
    trials = [Trial(1, {"C": 1}, "succeeded", metrics={"auc": 0.8, "loss": 0.3}),
              Trial(2, {"C": 2}, "succeeded", metrics={"auc": 0.9, "loss": 0.3, "rows": 5}),
              Trial(3, {"C": 3}, "failed")]
    assert choose_metric(trials, "loss", None) == ("loss", "the metric asked for")
    gate = parse_gate("production.loss > loss - 0.01 and auc > 0.5")
    assert choose_metric(trials, None, gate) == ("loss", "the gate's first metric")
    assert choose_metric(trials, None, None) == (None, "no best: give metric= to choose one (the trials share: "
                                                       "auc, loss)")
    shared = [trials[1], Trial(4, {"C": 4}, "succeeded", metrics={"auc": 0.7})]
    assert choose_metric(shared, None, None) == ("auc", "the one metric every trial reported")
    assert choose_metric(trials[2:], None, None) == (None, "no trial succeeded")
    assert best_of(trials, "auc", "max").trial == 2 and best_of(trials, "auc", "min").trial == 1
    assert best_of(trials, "loss", "min").trial == 1  # equals: the earliest
    assert best_of(trials, "rows", "max").trial == 2 and best_of(trials, "nothing", "max") is None


def test_a_grid_is_every_combination_in_the_order_given():
    import numpy as np

    assert parameter_sets(grid={"C": np.logspace(-1, 1, 3), "max_depth": range(4, 6)}) == [
        {"C": 0.1, "max_depth": 4}, {"C": 0.1, "max_depth": 5}, {"C": 1.0, "max_depth": 4},
        {"C": 1.0, "max_depth": 5}, {"C": 10.0, "max_depth": 4}, {"C": 10.0, "max_depth": 5}]
    assert parameter_sets(trials=({"C": 1}, {"C": 2, "rows": 9})) == [{"C": 1}, {"C": 2, "rows": 9}]
    with pytest.raises(InvalidInput, match=r"trial 2 is 3, not a dict"):
        parameter_sets(trials=[{"C": 1}, 3])
    with pytest.raises(InvalidInput, match="Give one of grid= or trials=."):
        parameter_sets()
