"""Browser tests of the JupyterLab "MLOps" sidebar: a real ``jupyter lab`` (server extension and
this checkout's built lab extension), a workspace in its root folder with two registered models
and a running endpoint, and Debian's Chromium driven by Playwright. Everything started here is
stopped here, by pid."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from .lab import REPO, built, build_labextension, launch_chromium, start_lab

pytest.importorskip("playwright", reason="the browser tests need the dev extra (pip install playwright)")

ARTIFACTS = REPO / "tests" / "ui" / "artifacts"
ENDPOINT = "churn-api"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def labext_built():
    """The lab extension built from labextension/ (built here once if a checkout has not yet)."""
    if not built():
        if not shutil.which("jlpm"):
            pytest.skip("the lab extension is not built and jlpm (JupyterLab) is missing")
        build_labextension()
    return True


@pytest.fixture(scope="session")
def lab_root(numeric_data, clf):
    """The server's root folder: a workspace with churn (versions 1 and 2) and fraud (version 1),
    churn:1 served at endpoint churn-api (stopped by pid at the end)."""
    from sklearn.linear_model import LogisticRegression

    from jupyter_mlops import Workspace

    root = Path(tempfile.mkdtemp(prefix="mlops-ui-root-"))
    X, y = numeric_data
    ws = Workspace(root / ".mlops")
    ws.register(clf, "churn", data=X, target=y, metrics={"auc": 0.81})
    ws.register(LogisticRegression(C=0.1, max_iter=500).fit(X, y), "churn", data=X, target=y, metrics={"auc": 0.83})
    ws.register(clf, "fraud", data=X, target=y, metrics={"auc": 0.9})
    endpoint = ws.deploy("churn:1", ENDPOINT)
    try:
        yield root
    finally:
        _stop_endpoint(ws, ENDPOINT, endpoint.pid)
        shutil.rmtree(root, ignore_errors=True)


def _stop_endpoint(ws, name: str, pid: int | None) -> None:
    import psutil

    try:
        ws.stop(name)
    except Exception:  # already stopped by a test, or the stop failed: the pid is what counts
        pass
    if pid:
        try:
            proc = psutil.Process(pid)
            proc.terminate()
            proc.wait(15)
        except psutil.NoSuchProcess:
            pass
        except psutil.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def lab(labext_built, lab_root):
    server = start_lab(lab_root)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = launch_chromium(p)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser, lab, request):
    """A fresh browser context on JupyterLab; a screenshot under tests/ui/artifacts/ when the test
    fails, and the console's errors kept on ``page.errors``."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}.png"))
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
