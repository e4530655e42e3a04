"""The MLOps sidebar in a real JupyterLab, read and driven as a user would, the workspace checked
through ``Workspace`` (and its audit log) behind it."""

from __future__ import annotations


from jupyter_mlops import Workspace

from .conftest import ENDPOINT
from .sidebar import SIDEBAR, accept_dialog, dismiss_dialog, open_lab, open_sidebar, set_left_width, set_theme


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


def test_stop_asks_first_then_stops_the_endpoint(page, lab):
    """Last: it stops the endpoint the other tests show."""
    open_lab(page, lab)
    open_sidebar(page)
    endpoint = page.locator(f'{SIDEBAR} li.jp-MlopsEndpoint[data-endpoint="{ENDPOINT}"]')

    endpoint.locator('button[data-command="mlops:stop-endpoint"]').click()
    assert f"Stop {ENDPOINT}" in accept_dialog(page)

    endpoint.locator(".jp-MlopsBadge.jp-mod-stopped").wait_for(timeout=60_000)
    status = _ws(lab).endpoints().set_index("name").loc[ENDPOINT, "status"]
    assert status == "stopped"
    assert _audited(lab, "endpoint.stop", ENDPOINT)
