"""What the tests do in the page: open JupyterLab, the MLOps sidebar, switch the theme."""

from __future__ import annotations

SIDEBAR = "#jupyter-mlops-sidebar"
TAB = '.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="jupyter-mlops-sidebar"]'


def open_lab(page, lab, path: str = "lab") -> None:
    page.goto(lab.url(path))
    page.wait_for_selector("#jp-main-dock-panel", timeout=60_000)
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand('mlops:open-sidebar')",
                           timeout=60_000)


def open_sidebar(page) -> None:
    """Activate the sidebar and wait for its first full render."""
    tab = page.locator(TAB)
    tab.wait_for()
    if "lm-mod-current" not in (tab.get_attribute("class") or ""):  # the layout may restore it open
        tab.click()
    page.locator(f'{SIDEBAR}[data-state="loaded"]').wait_for(timeout=30_000)


def run_command(page, command: str, args: dict | None = None):
    return page.evaluate("([c, a]) => window.jupyterapp.commands.execute(c, a)", [command, args or {}])


def set_theme(page, theme: str) -> None:
    """'JupyterLab Light' or 'JupyterLab Dark', applied and painted."""
    run_command(page, "apputils:change-theme", {"theme": theme})
    light = "true" if theme == "JupyterLab Light" else "false"
    page.wait_for_function(f"() => document.body.dataset.jpThemeLight === '{light}'", timeout=30_000)
    page.wait_for_timeout(300)  # the theme's stylesheet settles


def set_left_width(page, width: int) -> None:
    """Drag the left area's split handle so that the sidebar is ``width`` pixels wide (below
    JupyterLab's own 250 px minimum, which a user's CSS or a small screen can lower)."""
    page.evaluate("""() => {
        document.documentElement.style.setProperty('--jp-sidebar-min-width', '180px');
        const shell = window.jupyterapp.shell;   // a collapse and expand re-reads the minimum
        shell.collapseLeft();
        shell.activateById('jupyter-mlops-sidebar');
    }""")
    page.wait_for_timeout(200)
    box = page.locator(SIDEBAR).bounding_box()
    handle = page.locator("#jp-main-split-panel > .lm-SplitPanel-handle:not(.lm-mod-hidden)").first
    hb = handle.bounding_box()
    page.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + width, hb["y"] + hb["height"] / 2, steps=5)
    page.mouse.up()


def accept_dialog(page) -> str:
    """Accept the open confirmation dialog; returns its title."""
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for()
    title = dialog.locator(".jp-Dialog-header").inner_text()
    dialog.locator("button.jp-mod-accept").click()
    dialog.wait_for(state="detached")
    return title


def dismiss_dialog(page) -> str:
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for()
    title = dialog.locator(".jp-Dialog-header").inner_text()
    dialog.locator("button.jp-mod-reject").click()
    dialog.wait_for(state="detached")
    return title
