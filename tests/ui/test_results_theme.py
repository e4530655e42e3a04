"""Results in a real JupyterLab, light and dark: a notebook cell in a real kernel displays a
monitoring check (data quality violations and drift), a drift report with dataset drift, a
quality report (ROC, precision-recall and confusion matrix charts), a model version's card and
a listing. Every piece of text in them, chart text included, must meet
WCAG AA contrast against what is painted under it, computed from the rendered colours; the card's
key cells and the tables' text cells must stay left-aligned whatever JupyterLab's table CSS
says. The same holds for the notebook exported to HTML (nbconvert, light and dark). Screenshots of both themes go to docs/results-light.png and docs/results-dark.png."""

from __future__ import annotations

from .contrast import alignments, required_ratio, text_contrast
from .lab import REPO
from .sidebar import open_lab, set_theme

NOTEBOOK = "results-theme.ipynb"
DOCS = REPO / "docs"

CELL = """\
import numpy as np, pandas as pd
from IPython.display import display
from jupyter_mlops import Workspace

ws = Workspace()
rng = np.random.default_rng(3)
n = 300
reference = pd.DataFrame({"tenure": rng.integers(0, 72, n).astype(float),
                          "monthly": rng.normal(70, 20, n), "support_calls": rng.poisson(2, n).astype(float)})
current = reference.assign(monthly=reference.monthly + 35, tenure=reference.tenure * 0.5 + 40)
current.loc[0:20, "support_calls"] = -3.0
display(ws.get("churn:1"))
display(ws.models())
display(ws.drift(reference, current))
display(ws.check("churn:1", data=current))
display(ws.quality("churn:1", ground_truth=(current.support_calls > 2).astype(int), data=current))
"""

# the outputs the cell displays, in order
OUTPUTS = ".jp-OutputArea-output"


def _run_cell(page, lab) -> None:
    lab.put_notebook(NOTEBOOK, [CELL])
    open_lab(page, lab, f"lab/tree/{NOTEBOOK}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for(timeout=90_000)
    page.locator(".jp-NotebookPanel .jp-Cell").first.click()
    page.keyboard.press("Shift+Enter")
    page.locator(".jp-NotebookPanel .jp-InputPrompt", has_text="[1]:").first.wait_for(timeout=120_000)
    page.locator(f"{OUTPUTS} .mlops-card").first.wait_for(timeout=30_000)


def _low_contrast(page, label: str) -> list[str]:
    """Every text in the cell's outputs below its WCAG AA ratio, as readable lines."""
    failures = []
    outputs = page.locator(OUTPUTS)
    rows = [row for i in range(outputs.count()) for row in text_contrast(outputs.nth(i))]
    # measured: the badges, the tables' cells and the charts' own text among them
    assert any("mlops-badge" in r["path"] for r in rows) and any(r["path"].endswith("> td") for r in rows)
    assert any(r["text"] == "(chart text)" for r in rows)
    lowest = min(rows, key=lambda r: r["ratio"])
    print(f"{label}: lowest contrast {lowest['ratio']:.2f}: {lowest['text']!r} at {lowest['path']}")
    for row in rows:
        need = required_ratio(row)
        if row["ratio"] < need:
            failures.append(f"{row['ratio']:.2f} < {need}: {row['text']!r} at {row['path']}")
    return failures


def _not_left(page, root: str = ".jp-NotebookPanel") -> list[str]:
    """Card key cells and tables' text cells (header cells and non-numeric cells) that are not
    left-aligned."""
    selectors = [".mlops-card table.mlops-kv th", ".mlops-card table.mlops-kv td",
                 ".mlops-report table.mlops-data thead th", ".mlops-report table.mlops-data td:not(.mlops-num)"]
    wrong = []
    for selector in selectors:
        cells = alignments(page.locator(root).first, selector)
        assert cells, f"no {selector} rendered"
        wrong += [f"{c['align']}: {c['text']!r} ({selector})" for c in cells if c["align"] not in ("left", "start")]
    return wrong


def _check_theme(page, theme: str, screenshot: str) -> list[str]:
    set_theme(page, theme)
    problems = [f"[{theme}] contrast {line}" for line in _low_contrast(page, theme)]
    problems += [f"[{theme}] align {line}" for line in _not_left(page)]
    _screenshot(page, DOCS / screenshot)
    return problems


def _screenshot(page, path) -> None:
    """The notebook with its code hidden and the file browser closed, from the card down, kept
    small (a 256-colour PNG) for the README."""
    page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
    page.locator(".jp-NotebookPanel .jp-InputArea").first.evaluate("el => el.style.display = 'none'")
    page.locator(f"{OUTPUTS} .mlops-card").first.scroll_into_view_if_needed()
    page.wait_for_timeout(200)
    path.parent.mkdir(exist_ok=True)
    page.locator(".jp-NotebookPanel").first.screenshot(path=str(path))
    page.locator(".jp-NotebookPanel .jp-InputArea").first.evaluate("el => el.style.display = ''")
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(256)
    small.save(path, optimize=True)


def _exported_problems(page, lab, tmp_path) -> list[str]:
    """The executed notebook saved, exported with nbconvert's lab template in each theme (the
    exported page's <body> says which) and opened from disk: the same contrast and alignment."""
    import subprocess
    import sys

    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !document.querySelector('.jp-NotebookPanel .jp-mod-dirty')", timeout=30_000)
    import os

    # in a venv over another Python (--system-site-packages), nbconvert's templates are under the
    # base Python's share/jupyter, which the venv's Jupyter path does not list
    base_share = os.path.join(sys.base_prefix, "share", "jupyter")
    env = {**os.environ, "JUPYTER_PATH": os.pathsep.join(
        p for p in (os.environ.get("JUPYTER_PATH"), base_share if sys.prefix != sys.base_prefix else None) if p)}
    problems = []
    for theme in ("light", "dark"):
        subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", "--theme", theme,
                        "--output-dir", str(tmp_path), "--output", f"results-{theme}",
                        str(lab.root / NOTEBOOK)], check=True, capture_output=True, timeout=120, env=env)
        page.goto((tmp_path / f"results-{theme}.html").as_uri())
        page.locator(f"{OUTPUTS} .mlops-report").first.wait_for()
        problems += [f"[exported, {theme}] contrast {line}" for line in _low_contrast(page, f"exported {theme}")]
        problems += [f"[exported, {theme}] align {line}" for line in _not_left(page, "body")]
    return problems


def test_results_read_well_in_light_and_dark(page, lab, tmp_path):
    page.set_viewport_size({"width": 1100, "height": 1500})
    _run_cell(page, lab)
    kinds = page.locator(f"{OUTPUTS} .mlops").evaluate_all("els => els.map(e => e.className)")
    assert sum("mlops-report" in k for k in kinds) == 3 and sum("mlops-card" in k for k in kinds) >= 1, kinds
    assert page.locator(f"{OUTPUTS} .mlops-report svg").count() > 0   # the drift charts are drawn
    assert page.locator(f"{OUTPUTS} .mlops-report .mlops-data").count() >= 2   # violations and features
    problems = _check_theme(page, "JupyterLab Light", "results-light.png")
    try:
        problems += _check_theme(page, "JupyterLab Dark", "results-dark.png")
    finally:
        set_theme(page, "JupyterLab Light")
    problems += _exported_problems(page, lab, tmp_path)
    print("\n".join(problems))   # all of them, shown when the test fails
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:60])
    assert not page.errors


def _frame_problems(page, theme: str, tab: str) -> list[str]:
    """Contrast and alignment inside the main-area tab ``tab`` (the sidebar's viewer: the
    server's standalone page in an iframe that takes JupyterLab's theme)."""
    frame = page.frame_locator(".jp-MlopsHtmlPanel:not(.lm-mod-hidden) iframe").first
    body = frame.locator("body")
    body.locator(".mlops").first.wait_for(timeout=30_000)
    problems = []
    for row in text_contrast(body):
        need = required_ratio(row)
        if row["ratio"] < need:
            problems.append(f"[{theme}, {tab}] contrast {row['ratio']:.2f} < {need}: {row['text']!r} at {row['path']}")
    for selector in ("table.mlops-kv th", "table.mlops-data td:not(.mlops-num)"):
        problems += [f"[{theme}, {tab}] align {c['align']}: {c['text']!r} ({selector})"
                     for c in alignments(body, selector) if c["align"] not in ("left", "start")]
    return problems


def test_the_sidebars_card_and_report_tabs_follow_the_theme(page, lab):
    """A card and a monitoring report opened from the sidebar (palette commands) read well in
    light and dark, switched while the tabs are open."""
    from jupyter_mlops import Workspace

    from .conftest import ENDPOINT
    from .sidebar import run_command

    report_id = str(Workspace(lab.root / ".mlops").reports(ENDPOINT).reset_index()["id"].iloc[0])
    open_lab(page, lab)
    problems = []
    try:
        for theme in ("JupyterLab Light", "JupyterLab Dark"):
            set_theme(page, theme)
            run_command(page, "mlops:open-card", {"ref": "churn:1"})
            page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text="Card churn:1").click()
            problems += _frame_problems(page, theme, "card")
            run_command(page, "mlops:open-report", {"id": report_id})
            page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text=f"Report {report_id}").click()
            problems += _frame_problems(page, theme, "report")
    finally:
        set_theme(page, "JupyterLab Light")
    print("\n".join(problems))
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:60])
