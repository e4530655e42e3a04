"""Drift across scheduled checks: every check of a ``monitor`` schedule keeps each feature's
statistic, ``ws.drift_history(endpoint)`` lays them out over time (a frame and a chart per
feature with its threshold), and each report names the check before it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from jupyter_mlops import InvalidInput

from .conftest import kill_by_pid, wait_for


@pytest.fixture
def endpoint(ws, numeric_data, clf):
    X, y = numeric_data
    ws.register(clf, "churn", data=X, target=y)
    ep = ws.deploy("churn:1", "churn", capture=100)
    yield ep
    try:
        ws.stop("churn")
    finally:
        kill_by_pid(ep.pid)


def _send(ep, ws, frame, expected_total):
    httpx.post(f"{ep.url}/invocations", json={"instances": frame.to_numpy().tolist()}, timeout=30).raise_for_status()
    assert wait_for(lambda: len(ws.captured("churn")) >= expected_total, 30)


@pytest.fixture
def three_checks(ws, endpoint, numeric_data):
    """Three manual runs of one schedule: unchanged traffic, then the first feature shifted a
    little, then far."""
    X, _ = numeric_data
    feature = X.columns[0]
    ws.monitor("churn", every="1d", since="1h")
    runs, sent = [], 0
    for shift in (0.0, 0.5, 5.0):
        window = X.iloc[:200].copy()
        window[feature] = window[feature] + shift * window[feature].std()
        sent += len(window)
        _send(endpoint, ws, window, sent)
        runs.append(ws.run_now("monitor-churn", wait=True))
    assert [r.status for r in runs][:1] == ["succeeded"] and all(r.status != "failed" for r in runs)
    return runs, feature, list(X.columns)


def test_the_frame_has_one_row_per_check_and_feature_in_time_order(ws, three_checks):
    runs, feature, columns = three_checks
    history = ws.drift_history("churn")
    frame = history.to_frame()
    assert list(frame.columns) == ["time", "report_id", "feature", "method", "statistic", "p_value", "score",
                                   "threshold", "drifted"]
    assert len(frame) == 3 * len(columns)
    assert list(frame["report_id"].unique()) == [r.id for r in runs]
    assert set(frame["feature"]) == set(columns) and frame["time"].is_monotonic_increasing
    shifted = frame[frame["feature"] == feature].set_index("report_id")
    # the same figures as each check's own report
    for run in runs:
        column = ws.report(run.id).drift[feature]
        assert shifted.loc[run.id, "statistic"] == pytest.approx(column.statistic)
        assert shifted.loc[run.id, "threshold"] == column.threshold
        assert bool(shifted.loc[run.id, "drifted"]) == bool(column.drifted)
    assert not shifted.loc[runs[0].id, "drifted"] and shifted.loc[runs[2].id, "drifted"]
    assert shifted["statistic"].is_monotonic_increasing  # the feature moves further each check
    # the drifted feature comes first, charted with its threshold
    latest = history.latest()
    assert latest.iloc[0]["feature"] == feature and latest.iloc[0]["checks_drifted"] >= 1
    page = history._repr_html_()
    assert page.count("<svg") == len(columns) and "threshold" in page
    assert ("<details>" in page) == (len(columns) > history.top)
    assert feature in history.to_text() and "Latest check" in history.to_text()
    assert json.loads(json.dumps(history.to_dict(), allow_nan=False))["endpoint"] == "churn"


def test_each_report_links_the_check_before_it(ws, three_checks):
    runs, _, _ = three_checks
    reports = [ws.report(r.id) for r in runs]
    assert [r.report_id for r in reports] == [r.id for r in runs]
    assert [r.previous_report for r in reports] == [None, runs[0].id, runs[1].id]
    results = ws.runs("monitor-churn").loc[[r.id for r in runs], "result"]
    assert [res["previous_report"] for res in results] == [None, runs[0].id, runs[1].id]
    # in the saved page: a link to the previous page, beside it in the schedule's folder
    third = Path(ws.runs("monitor-churn").loc[runs[2].id, "result"]["report"]["html"])
    second = Path(ws.runs("monitor-churn").loc[runs[1].id, "result"]["report"]["html"])
    page = third.read_text()
    assert f'href="{second.name}"' in page and (third.parent / second.name).exists()
    assert f"previous: #{runs[1].id}" in reports[2].meta() and "first of its schedule" in reports[0].meta()


def test_last_limits_the_checks_and_an_endpoint_without_checks_is_empty(ws, three_checks):
    assert ws.drift_history("churn", last="1h").to_frame()["report_id"].nunique() == 3
    empty = ws.drift_history("other")
    assert empty.to_frame().empty and "No scheduled checks" in empty.summary() and "<svg" not in empty._repr_html_()
    with pytest.raises(InvalidInput):
        ws.drift_history("churn", last="soon")
