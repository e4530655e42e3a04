"""The background refresh: it runs in its own thread, survives a failing refresh (shown as one
line, gone once a refresh works again), and stops when the panel is closed. Waits below poll a
condition with a generous deadline; nothing asserts how long anything took."""

from __future__ import annotations

import threading
import time

import pytest

import jupyter_mlops as mlops
from jupyter_mlops import Workspace
from jupyter_mlops.widgets.refresher import Refresher


def eventually(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_the_refresher_keeps_ticking_after_a_tick_fails_and_stops_when_told():
    seen, errors = [], []

    def tick():
        seen.append(threading.current_thread().name)
        if len(seen) == 1:
            raise RuntimeError("the first tick fails")

    refresher = Refresher(tick, interval=0.01, on_error=errors.append).start()
    try:
        assert eventually(lambda: len(seen) >= 3)
    finally:
        refresher.stop()
    assert not refresher.running
    assert [str(e) for e in errors] == ["the first tick fails"] and refresher.errors == 1
    assert set(seen) == {"mlops-panel-refresher"}  # never the caller's thread
    after = len(seen)
    time.sleep(0.1)
    assert len(seen) == after


def test_closing_the_panel_stops_its_refresher_thread(rws):
    panel = mlops.panel(rws, interval=0.05)
    assert panel.refresher.running
    assert eventually(lambda: panel.refresher.ticks >= 2)
    panel.close()
    assert not panel.refresher.running and panel.refresher._thread not in threading.enumerate()


def test_a_failing_refresh_is_one_line_and_the_panel_recovers_on_its_own(tmp_path):
    # a real failure: the database's folder does not exist yet; the refresher keeps trying
    ws = Workspace(tmp_path / ".mlops", db=f"sqlite:///{tmp_path}/later/mlops.db")
    panel = mlops.panel(ws, interval=0.05)
    try:
        assert panel.message.kind == "error" and panel.message.text.startswith("StoreError: Cannot open")
        assert "\n" not in panel.message.text
        ticks = panel.refresher.ticks
        assert eventually(lambda: panel.refresher.ticks > ticks + 1) and panel.refresher.running
        (tmp_path / "later").mkdir()
        assert eventually(lambda: panel.message.kind == "")  # the next refresh worked: the line is gone
        assert "No models yet" in panel["registry"].models.value
    finally:
        panel.close()
        ws.store.dispose()


def test_an_unknown_part_is_one_readable_error(rws):
    with pytest.raises(mlops.InvalidInput, match=r"No panel part named 'dashboards'\. Parts: registry, endpoints"):
        mlops.panel(rws, part="dashboards")


def test_percent_mlops_panel_endpoints_shows_the_endpoints_tab_only(shell, served, monkeypatch):
    monkeypatch.setenv("MLOPS_HOME", str(served.home))
    panel = shell.run_line_magic("mlops", "panel endpoints --interval 60")
    try:
        assert isinstance(panel, mlops.widgets.Panel)
        assert [t.part for t in panel.tabs] == ["endpoints"] and panel.body is panel.tabs[0].widget
        assert {"mlops-panel", "mlops-panel-endpoints"} <= set(panel._dom_classes)
        assert panel["endpoints"].endpoint.value == "churn"
        assert panel.ws.home == served.home
    finally:
        panel.close()


def test_percent_mlops_panel_shows_the_four_tabs(shell, rws):
    panel = shell.run_line_magic("mlops", "panel")
    try:
        assert panel.body.titles == ("Registry", "Endpoints", "Monitoring", "Jobs")
        assert "mlops-panel" in panel._dom_classes
    finally:
        panel.close()


@pytest.mark.parametrize("interval", [0, -1, "3", True])
def test_an_interval_that_is_not_a_positive_number_is_one_readable_error(rws, interval):
    with pytest.raises(mlops.InvalidInput, match=r"^interval must be a number of seconds above 0"):
        mlops.panel(rws, interval=interval)


def test_close_all_ends_every_panel_of_the_kernel(rws):
    from jupyter_mlops.widgets import close_all

    panels = [mlops.panel(rws, interval=60), mlops.panel(rws, part="jobs", interval=60)]
    assert close_all() >= 2
    assert not any(p.refresher.running for p in panels) and close_all() == 0


def test_without_a_widget_front_end_the_panel_reads_as_one_line(rws):
    panel = mlops.panel(rws, part="registry", interval=60)
    try:
        assert repr(panel) == f"<jupyter_mlops panel of {rws.home}: Registry; refreshing every 60 s>"
        assert panel._repr_mimebundle_()["text/plain"].startswith("<jupyter_mlops panel of ")  # cut at 110 chars
    finally:
        panel.close()
    assert repr(panel).endswith("; not refreshing>")
