"""The Drift and Jobs tabs on a real monitored endpoint: "Run now" starts a monitoring run in the
background (ws.run_now, audit-logged), the Jobs tab lists the schedule and its runs, and the Drift
tab shows the latest report per endpoint with its drifted features' charts; "Check now" is a long
action that shows its report."""

from __future__ import annotations

import time

import pytest

import jupyter_mlops as mlops
from jupyter_mlops.widgets.jobs_tab import notebook_link, output_notebooks

from .conftest import audit_actions, make_workspace, stop_endpoints


def eventually(condition, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture(scope="module")
def monitored(tmp_path_factory):
    """Endpoint ``churn`` capturing every request, 200 rows like the training data served, and a
    monitoring schedule that has run once (its report: ok)."""
    home = tmp_path_factory.mktemp("monitored") / ".mlops"
    ws = make_workspace(home)
    ws.deploy("churn:1", "churn", capture=100)
    X = ws._test_data
    ws.endpoint("churn").predict(X)
    assert eventually(lambda: len(ws.captured("churn")) >= len(X))
    ws.monitor("churn", every="1d", since="1h")
    ws.run_now("monitor-churn")
    yield ws
    stop_endpoints(ws)
    ws.store.dispose()


@pytest.fixture
def panel(monitored):
    p = mlops.panel(monitored, interval=None)
    yield p
    p.close()


def show(panel, part: str):
    panel.body.selected_index = [t.part for t in panel.tabs].index(part)
    panel.refresh()
    return panel[part]


def test_jobs_lists_the_schedule_and_its_runs(panel):
    tab = show(panel, "jobs")
    assert tab.schedule.value == "monitor-churn"
    assert "monitor-churn" in tab.schedules.value and "every 1d" in tab.schedules.value
    assert "succeeded" in tab.runs.value


def test_run_now_starts_a_run_in_the_background_and_it_shows_in_the_tabs(panel, monitored):
    X = monitored._test_data.copy()
    X["tenure"] = X["tenure"] * 5 + 100  # far from the baseline: this window drifts
    monitored.endpoint("churn").predict(X)
    assert eventually(lambda: len(monitored.captured("churn")) >= 2 * len(X))
    runs_before = len(monitored.runs("monitor-churn"))

    tab = show(panel, "jobs")
    tab.run_now.click()
    panel.wait()
    assert panel.message.kind == "ok", panel.message.text
    assert audit_actions(monitored)[-1][0] == "run_now"
    assert eventually(lambda: len(monitored.runs("monitor-churn")) == runs_before + 1 and
                      monitored.runs("monitor-churn").iloc[0]["status"] != "running")

    drift = show(panel, "drift")
    newest = monitored.reports("churn", limit=1).iloc[0]
    assert "tenure" in newest["drifted_features"]
    assert drift.report.value == int(monitored.reports("churn", limit=1).index[0])
    assert "latest report per endpoint" in drift.latest.value and "tenure" in drift.latest.value
    assert "<svg" in drift.detail.value and "tenure" in drift.detail.value  # the distribution charts
    assert drift.endpoint.value == "churn"


def test_check_now_is_a_long_action_that_shows_its_report(panel):
    tab = show(panel, "drift")
    tab.since.value = "1d"
    tab.check.click()
    assert panel.message.kind == "busy" and panel.message.text.startswith("check churn over 1d")
    panel.wait()
    assert panel.message.kind == "ok", panel.message.text
    assert "Monitoring check · endpoint churn" in tab.detail.value and "since 1d" in tab.detail.value


def test_a_bad_window_is_one_line(panel):
    tab = show(panel, "drift")
    tab.since.value = "soon"
    tab.check.click()
    panel.wait()
    assert panel.message.kind == "error" and panel.message.text.startswith("InvalidInput: ")
    assert "\n" not in panel.message.text


def test_a_retraining_runs_output_notebooks_are_linked_relative_to_the_kernels_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    inside, outside = str(tmp_path / "runs" / "7" / "train.ipynb"), "/elsewhere/train.ipynb"
    result = {"id": 7, "steps": [{"index": 1, "output_path": inside}, {"index": 2, "output_path": None}]}
    assert output_notebooks(result) == [inside] and output_notebooks(None) == []
    assert notebook_link(inside) == (f'<a href="runs/7/train.ipynb" target="_blank" title="{inside}">'
                                     "train.ipynb</a>")
    assert "<a " not in notebook_link(outside) and "train.ipynb" in notebook_link(outside)


@pytest.mark.slow
def test_run_now_of_a_retraining_schedule_links_its_output_notebook(rws, tmp_path, monkeypatch):
    from pipelines.notebooks import TRAIN, TRAIN_PARAMETERS, write_notebook

    monkeypatch.chdir(tmp_path)  # the kernel's folder: links are relative to it
    notebook = write_notebook(tmp_path / "train.ipynb", TRAIN_PARAMETERS, TRAIN)
    schedule = rws.schedule("churn", str(notebook), every="1d")
    panel = mlops.panel(rws, part="jobs", interval=None)
    try:
        tab = panel["jobs"]
        assert tab.schedule.value == schedule.id
        tab.run_now.click()
        panel.wait()
        assert panel.message.kind == "ok", panel.message.text
        assert eventually(lambda: not rws.runs(schedule.id).empty and
                          rws.runs(schedule.id).iloc[0]["status"] not in ("running",), timeout=300)
        assert rws.runs(schedule.id).iloc[0]["status"] == "succeeded", rws.runs(schedule.id).iloc[0]["error"]
        panel.refresh()
        paths = output_notebooks(rws.runs(schedule.id).iloc[0]["result"])
        assert paths and all(p.endswith(".ipynb") for p in paths)
        assert notebook_link(paths[0]) in tab.runs.value and "succeeded" in tab.runs.value
        assert '<a href=".mlops/runs/' in tab.runs.value  # the workspace lies under the kernel's folder
    finally:
        panel.close()
