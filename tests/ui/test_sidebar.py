"""The MLOps sidebar in a real JupyterLab, read and driven as a user would, the workspace checked
through ``Workspace`` (and its audit log) behind it."""

from __future__ import annotations


from jupyter_mlops import Workspace

from .conftest import ENDPOINT, SCHEDULE
from .sidebar import (SIDEBAR, accept_dialog, dismiss_dialog, open_lab, open_sidebar, run_command, set_left_width,
                      set_theme)


def _ws(lab) -> Workspace:
    return Workspace(lab.root / ".mlops")


def _audited(lab, action: str, target: str) -> bool:
    log = _ws(lab).audit()
    return bool(((log["action"] == action) & (log["target"] == target)).any())


def _version(page, ref: str):
    return page.locator(f'{SIDEBAR} li.jp-MlopsVersion[data-ref="{ref}"]')


def _open_model(page, name: str) -> None:
    toggle = page.locator(f'{SIDEBAR} [data-toggle-model="{name}"]')
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    page.locator(f'{SIDEBAR} li.jp-MlopsModel[data-model="{name}"] li.jp-MlopsVersion').first.wait_for()


def test_the_sidebar_lists_both_models_and_the_running_endpoint(page, lab, artifacts):
    open_lab(page, lab)
    open_sidebar(page)

    models = page.locator(f"{SIDEBAR} li.jp-MlopsModel")
    assert sorted(models.evaluate_all("els => els.map(e => e.dataset.model)")) == ["churn", "fraud"]
    endpoint = page.locator(f'{SIDEBAR} li.jp-MlopsEndpoint[data-endpoint="{ENDPOINT}"]')
    assert "running" in endpoint.locator(".jp-MlopsBadge").inner_text()
    assert "churn-1=100" in endpoint.locator(".jp-MlopsVariants").inner_text().replace(" ", "") or \
        "100" in endpoint.locator(".jp-MlopsVariants").inner_text()
    for section in ("registry", "endpoints", "monitoring", "jobs"):
        assert page.locator(f'{SIDEBAR} details[data-section="{section}"]').is_visible()
    # the workspace shown is the one of the server's root folder
    assert str(lab.root) in page.locator(f"{SIDEBAR} .jp-MlopsWorkspace").inner_text()

    _open_model(page, "churn")
    assert page.locator(f"{SIDEBAR} li.jp-MlopsVersion").count() == 2
    page.locator(SIDEBAR).screenshot(path=str(artifacts / "sidebar-light.png"))
    page.screenshot(path=str(artifacts / "lab-sidebar-light.png"))
    assert not page.errors


def test_approve_changes_the_workspace_and_is_audited(page, lab):
    open_lab(page, lab)
    open_sidebar(page)
    _open_model(page, "churn")
    assert _ws(lab).get("churn:2").approval == "PendingManualApproval"

    _version(page, "churn:2").locator('button[data-command="mlops:approve"]').click()

    _version(page, "churn:2").locator(".jp-MlopsBadge.jp-mod-approved").wait_for()
    assert _ws(lab).get("churn:2").approval == "Approved"
    assert _audited(lab, "approve", "churn:2")


def test_reject_asks_first_and_does_nothing_when_cancelled(page, lab):
    open_lab(page, lab)
    open_sidebar(page)
    _open_model(page, "churn")
    reject = _version(page, "churn:1").locator('button[data-command="mlops:reject"]')

    reject.click()
    assert "Reject churn:1" in dismiss_dialog(page)
    assert _ws(lab).get("churn:1").approval == "PendingManualApproval"

    reject.click()
    assert "Reject churn:1" in accept_dialog(page)
    _version(page, "churn:1").locator(".jp-MlopsBadge.jp-mod-rejected").wait_for()
    assert _ws(lab).get("churn:1").approval == "Rejected"
    assert _audited(lab, "reject", "churn:1")


def test_promote_from_the_palette_command_asks_for_the_alias(page, lab):
    open_lab(page, lab)
    open_sidebar(page)
    _open_model(page, "fraud")

    _version(page, "fraud:1").locator('button[data-command="mlops:promote"]').click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input").fill("staging")
    dialog.locator("button.jp-mod-accept").click()

    _version(page, "fraud:1").locator(".jp-MlopsAlias", has_text="staging").wait_for()
    assert "staging" in _ws(lab).get("fraud:1").aliases
    assert _audited(lab, "promote", "fraud:1")


def test_a_refused_action_shows_the_servers_one_line_and_changes_nothing(page, lab):
    open_lab(page, lab)
    open_sidebar(page)
    _open_model(page, "fraud")
    aliases_before = _ws(lab).get("fraud:1").aliases

    _version(page, "fraud:1").locator('button[data-command="mlops:promote"]').click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input").fill("not/an alias")
    dialog.locator("button.jp-mod-accept").click()

    error = page.locator(f"{SIDEBAR} .jp-MlopsSidebar-error")
    error.wait_for()
    text = error.inner_text()
    assert "alias" in text.lower() and "Traceback" not in text and "\n" not in text.strip()
    assert _ws(lab).get("fraud:1").aliases == aliases_before


def test_a_versions_card_opens_in_a_main_area_tab(page, lab):
    open_lab(page, lab)
    open_sidebar(page)
    _open_model(page, "churn")

    _version(page, "churn:2").locator('button[data-command="mlops:open-card"]').click()

    tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text="Card churn:2")
    tab.wait_for()
    frame = page.frame_locator(".jp-MlopsHtmlPanel iframe")
    frame.locator("body", has_text="churn").first.wait_for()
    assert "churn" in frame.locator("body").inner_text()


def test_a_monitoring_report_opens_in_a_main_area_tab(page, lab):
    report_id = _ws(lab).reports(ENDPOINT).reset_index()["id"].iloc[0]
    open_lab(page, lab)
    open_sidebar(page)
    item = page.locator(f'{SIDEBAR} li.jp-MlopsReport[data-report="{report_id}"]')
    assert ENDPOINT in item.inner_text()

    item.locator('button[data-command="mlops:open-report"]').click()

    page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text=f"Report {report_id}").wait_for()
    frame = page.frame_locator(".jp-MlopsHtmlPanel iframe").first
    frame.locator("body", has_text=ENDPOINT).first.wait_for()


def test_run_now_starts_a_run_of_the_schedule(page, lab):
    runs_before = len(_ws(lab).runs(SCHEDULE))
    open_lab(page, lab)
    open_sidebar(page)
    schedule = page.locator(f'{SIDEBAR} li.jp-MlopsSchedule[data-schedule="{SCHEDULE}"]')

    schedule.locator('button[data-command="mlops:run-schedule"]').click()

    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length > n",
        arg=[f"{SIDEBAR} li.jp-MlopsRun", runs_before], timeout=60_000)
    assert len(_ws(lab).runs(SCHEDULE)) == runs_before + 1


def test_the_commands_are_in_the_palette_under_mlops(page, lab):
    open_lab(page, lab)
    page.keyboard.press("Control+Shift+C")
    palette = page.locator("#command-palette")
    palette.locator("input").fill("MLOps")
    items = palette.locator(".lm-CommandPalette-item")
    items.first.wait_for()
    labels = items.all_inner_texts()
    assert any("Approve a Model Version" in t for t in labels)
    assert any("Stop an Endpoint" in t for t in labels)
    assert palette.locator(".lm-CommandPalette-header", has_text="MLOps").count() >= 1


def test_the_sidebar_follows_the_dark_theme_and_fits_a_narrow_width(page, lab, artifacts):
    open_lab(page, lab)
    open_sidebar(page)
    _open_model(page, "churn")
    light = page.locator(SIDEBAR).evaluate("n => getComputedStyle(n).backgroundColor")

    set_theme(page, "JupyterLab Dark")
    try:
        dark = page.locator(SIDEBAR).evaluate("n => getComputedStyle(n).backgroundColor")
        assert dark != light
        page.locator(SIDEBAR).screenshot(path=str(artifacts / "sidebar-dark.png"))
        page.screenshot(path=str(artifacts / "lab-sidebar-dark.png"))

        set_left_width(page, 220)
        width = page.locator(SIDEBAR).bounding_box()["width"]
        assert width <= 225
        # nothing spills sideways: every action button is inside the sidebar
        overflow = page.locator(SIDEBAR).evaluate("n => n.scrollWidth - n.clientWidth")
        assert overflow <= 1
        page.locator(SIDEBAR).screenshot(path=str(artifacts / "sidebar-dark-narrow.png"))
    finally:
        set_theme(page, "JupyterLab Light")


def test_traffic_weights_typed_in_the_dialog_reach_the_endpoint(page, lab):
    variants = _ws(lab).endpoints().set_index("name").loc[ENDPOINT, "variants"]   # "churn-v1=100"
    variant = variants.split("=")[0].strip()
    open_lab(page, lab)
    open_sidebar(page)
    endpoint = page.locator(f'{SIDEBAR} li.jp-MlopsEndpoint[data-endpoint="{ENDPOINT}"]')

    endpoint.locator('button[data-command="mlops:set-traffic"]').click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input").fill(f"{variant}=100")
    dialog.locator("button.jp-mod-accept").click()

    page.wait_for_function("() => !document.querySelector('.jp-Dialog')")
    page.locator(".jp-Notification-Toast-success, .Toastify__toast--success").first.wait_for(timeout=30_000)
    assert _audited(lab, "endpoint.traffic", ENDPOINT)


def test_a_runs_output_notebook_opens_in_the_notebook_editor(page, lab):
    """What a run's notebook button runs (a retraining run's output_notebook, relative to the root)."""
    (lab.root / "runs").mkdir(exist_ok=True)
    lab.put_notebook("runs/output.ipynb", ["print('trained')"])
    open_lab(page, lab)

    run_command(page, "mlops:open-run-notebook", {"path": "runs/output.ipynb"})

    page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text="output.ipynb").wait_for()
    page.locator(".jp-NotebookPanel .jp-Cell", has_text="trained").first.wait_for()


def test_stop_asks_first_then_stops_the_endpoint(page, lab):
    """Last: it stops the endpoint the other tests show."""
    open_lab(page, lab)
    open_sidebar(page)
    endpoint = page.locator(f'{SIDEBAR} li.jp-MlopsEndpoint[data-endpoint="{ENDPOINT}"]')

    endpoint.locator('button[data-command="mlops:stop-endpoint"]').click()
    assert f"Stop {ENDPOINT}" in accept_dialog(page)

    endpoint.locator(".jp-MlopsBadge.jp-mod-stopped").wait_for(timeout=60_000)
    status = _ws(lab).endpoints(all=True).set_index("name").loc[ENDPOINT, "status"]
    assert status == "stopped"
    assert _audited(lab, "endpoint.stop", ENDPOINT)
