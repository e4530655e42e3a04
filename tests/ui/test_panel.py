"""``%mlops panel`` in a notebook of the same JupyterLab: the ipywidgets control panel renders
with its tabs, and its endpoint chart is live (redrawn while requests come in)."""

from __future__ import annotations

import importlib.util

import httpx
import pytest

from .conftest import ENDPOINT
from .sidebar import open_lab, set_theme

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("jupyter_mlops.widgets") is None,
    reason="needs the widgets branch (jupyter_mlops.widgets, %mlops panel) merged",
)

NOTEBOOK = "panel.ipynb"
TABS = ["Registry", "Endpoints", "Monitoring", "Jobs"]


def _send_traffic(lab, numeric_data, n: int = 20) -> None:
    from jupyter_mlops import Workspace

    url = Workspace(lab.root / ".mlops").endpoint(ENDPOINT).url
    X, _ = numeric_data
    rows = X.head(5).to_numpy().tolist()
    with httpx.Client(timeout=10) as client:
        for _ in range(n):
            client.post(f"{url}/invocations", json={"instances": rows}).raise_for_status()


def _run_all(page) -> None:
    page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for(timeout=90_000)
    page.locator("#jp-menu-panel .lm-MenuBar-item", has_text="Run").first.click()
    page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()


def test_the_panel_renders_its_tabs_and_a_live_chart(page, lab, artifacts, numeric_data):
    lab.put_notebook(NOTEBOOK, ["%load_ext jupyter_mlops", "%mlops panel"])
    open_lab(page, lab, f"lab/tree/{NOTEBOOK}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    _run_all(page)

    panel = page.locator(".jp-OutputArea-output .mlops-panel").first
    panel.wait_for(timeout=90_000)
    tab_titles = panel.locator(".lm-TabBar-tab").all_inner_texts()
    for title in TABS:
        assert any(title in t for t in tab_titles), tab_titles
    assert "churn" in panel.inner_text()
    page.screenshot(path=str(artifacts / "panel-light.png"))

    panel.locator(".lm-TabBar-tab", has_text="Endpoints").click()
    chart = panel.locator(".mlops-chart").first
    chart.wait_for(timeout=30_000)
    before = chart.inner_html()
    _send_traffic(lab, numeric_data)
    page.wait_for_function(
        "([el, before]) => el.innerHTML !== before",
        arg=[chart.element_handle(), before],
        timeout=60_000,
    )
    panel.screenshot(path=str(artifacts / "panel-endpoints-light.png"))

    set_theme(page, "JupyterLab Dark")
    try:
        panel.screenshot(path=str(artifacts / "panel-endpoints-dark.png"))
        page.screenshot(path=str(artifacts / "panel-dark.png"))
    finally:
        set_theme(page, "JupyterLab Light")
    assert not page.errors
