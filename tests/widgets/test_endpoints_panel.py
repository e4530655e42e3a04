"""The Endpoints tab on a real endpoint: weight sliders + Apply change the endpoint's weights
(ws.traffic, audit-logged), live charts fill from its traffic, rollback and stop ask first, a
deploy runs in the background, and a bad action shows one readable line."""

from __future__ import annotations

import time

import pytest

import jupyter_mlops as mlops

from .conftest import audit_actions


@pytest.fixture
def panel(served):
    p = mlops.panel(served, part="endpoints", interval=None)
    yield p
    p.close()


def weights(ws, endpoint="churn") -> dict:
    return {v["name"]: v["weight"] for v in ws.endpoint(endpoint).info().variants}


def test_it_shows_the_endpoint_with_a_slider_per_variant(panel, served):
    tab = panel["endpoints"]
    assert tab.endpoint.value == "churn"
    assert {name: s.value for name, s in tab.sliders.items()} == weights(served) == {"churn-v1": 50, "churn-v2": 50}
    assert "running" in tab.status.value and "churn" in tab.table.value


def test_slider_and_apply_change_the_endpoints_weights_and_write_an_audit_entry(panel, served):
    tab = panel["endpoints"]
    tab.sliders["churn-v1"].value = 80
    tab.sliders["churn-v2"].value = 20
    tab.apply.click()
    panel.wait()
    assert panel.message.kind == "ok", panel.message.text
    assert weights(served) == {"churn-v1": 80, "churn-v2": 20}
    assert audit_actions(served, "churn")[-1] == ("endpoint.traffic", "churn")
    assert served.audit("churn")["details"].iloc[-1] == {"weights": {"churn-v1": 80.0, "churn-v2": 20.0}}


def test_live_charts_of_req_s_p50_p99_and_error_rate_fill_from_traffic(panel, served):
    tab = panel["endpoints"]
    handle = served.endpoint("churn")
    for _ in range(2):
        for _ in range(20):
            handle.predict(served._test_rows)
        panel.refresh()
    charts = tab.charts.value
    assert charts.count('class="mlops-chart mlops-spark"') == 4
    for figure in ("req/s", "p50", "p99", "error rate"):
        assert f'data-figure="{figure}"' in charts
    assert "<polyline" in charts  # two samples or more: a line
    assert len(tab.history["churn"]) >= 2 and tab.history["churn"][-1]["req_per_s"] > 0


def test_rollback_asks_first_then_restores_the_weights_before_the_last_change(panel, served):
    served.traffic("churn", {"churn-v1": 30, "churn-v2": 70})
    panel.refresh()
    tab = panel["endpoints"]
    assert tab.sliders["churn-v1"].value == 30  # weights changed elsewhere reset the sliders
    tab.rollback.click()
    assert panel.confirm.asking.startswith("Roll back endpoint churn?")
    panel.confirm.yes.click()
    panel.wait()
    assert panel.message.kind == "ok", panel.message.text
    assert weights(served) != {"churn-v1": 30, "churn-v2": 70}
    assert audit_actions(served, "churn")[-1] == ("endpoint.rollback", "churn")


def test_a_bad_action_shows_one_readable_line_and_changes_nothing(panel, served):
    before, entries = weights(served), len(served.audit(None))
    tab = panel["endpoints"]
    for slider in tab.sliders.values():
        slider.value = 0
    tab.apply.click()
    panel.wait()
    assert panel.message.kind == "error"
    assert panel.message.text == "InvalidInput: At least one variant needs a positive weight."
    assert weights(served) == before and len(served.audit(None)) == entries


def test_deploy_runs_in_the_background_and_stop_asks_first(panel, served):
    tab = panel["endpoints"]
    tab.deploy_ref.value, tab.deploy_endpoint.value = "churn:2", "churn-b"
    tab.deploy.click()
    assert panel.message.kind == "busy" and panel.message.text.startswith("deploy churn:2 to churn-b")
    panel.wait()
    assert panel.message.kind == "ok", panel.message.text
    assert served.endpoint("churn-b").info().status == "running"
    assert audit_actions(served, "churn-b")[-1] == ("endpoint.deploy", "churn-b")

    panel.refresh()
    tab.endpoint.value = "churn-b"
    tab.stop.click()
    assert panel.confirm.asking.startswith("Stop endpoint churn-b?")
    panel.confirm.no.click()
    assert served.endpoint("churn-b").info().status == "running"
    tab.stop.click()
    panel.confirm.yes.click()
    panel.wait()
    assert served.endpoint("churn-b").info().status == "stopped"
    assert panel.message.kind == "ok", panel.message.text  # the refresh after it shows a stopped endpoint
    assert "stopped" in tab.status.value and tab.rollout_bar.layout.display == "none"
    assert audit_actions(served, "churn-b")[-1] == ("endpoint.stop", "churn-b")


def test_a_deploy_of_an_unknown_version_is_one_line(panel):
    tab = panel["endpoints"]
    tab.deploy_ref.value, tab.deploy_endpoint.value = "chrun:1", "churn-c"
    tab.deploy.click()
    panel.wait()
    assert panel.message.kind == "error"
    assert panel.message.text.startswith("ModelNotFound: No model named 'chrun'.") and "churn" in panel.message.text


def test_a_canary_deployed_from_the_panel_shows_its_progress_and_rollback_aborts_it(rws):
    rws.deploy("churn:1", "churn")
    panel = mlops.panel(rws, part="endpoints", interval=None)
    try:
        tab = panel["endpoints"]
        tab.deploy_ref.value, tab.deploy_endpoint.value = "churn:2", "churn"
        tab.deploy_strategy.value, tab.deploy_percent.value = "canary", 10
        tab.deploy.click()
        panel.wait()
        assert panel.message.kind == "ok", panel.message.text
        panel.refresh()
        assert tab.rollout_bar.layout.display == "flex" and 0 <= tab.rollout_bar.value < 1
        assert "canary of churn-v2: step 1 of 2 (10%), baking" in tab.rollout_text.value
        assert {name: s.value for name, s in tab.sliders.items()} == {"churn-v1": 90, "churn-v2": 10}

        tab.rollback.click()
        panel.confirm.yes.click()
        panel.wait()
        panel.refresh()
        assert panel.message.kind == "ok", panel.message.text
        assert "rolled_back" in tab.rollout_text.value and tab.rollout_bar.bar_style == "danger"
        assert audit_actions(rws, "churn")[-2:] == [("endpoint.deploy", "churn"), ("endpoint.rollback", "churn")]
    finally:
        panel.close()


def test_actions_and_a_fast_refresher_do_not_get_in_each_others_way(served):
    panel = mlops.panel(served, part="endpoints", interval=0.05)
    try:
        tab = panel["endpoints"]
        for v1, v2 in ((60, 40), (25, 75)):
            tab.sliders["churn-v1"].value, tab.sliders["churn-v2"].value = v1, v2
            tab.apply.click()
            panel.wait()
            assert panel.message.kind == "ok", panel.message.text
            assert weights(served) == {"churn-v1": v1, "churn-v2": v2}
        ticks = panel.refresher.ticks
        deadline = time.monotonic() + 30
        while panel.refresher.ticks < ticks + 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert panel.refresher.errors == 0 and panel.refresher.running
        assert {name: s.value for name, s in tab.sliders.items()} == {"churn-v1": 25, "churn-v2": 75}
    finally:
        panel.close()
