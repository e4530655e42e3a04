"""JupyterLab sidebar benchmark: the "MLOps" sidebar's first full render in a real browser.

    python benchmarks/ui.py [--models 50] [--versions 200] [--endpoints 10] [--repeat 5]

A workspace with 50 models, 200 versions (4 each) and 10 running endpoints (real endpoint
processes) in the root folder of a real ``jupyter lab`` (the server extension and this checkout's
built lab extension, as in tests/ui); Debian's Chromium through Playwright. For each repetition a
fresh page with a reset layout is loaded; once JupyterLab is ready (its shell restored) the sidebar
is activated and the time to its painted first full render is taken, split into the ``GET
summary`` round trip (``jupyter-mlops:fetch``) and building the DOM (``jupyter-mlops:render``);
then every model is opened (200 versions on screen). Goal: under 300 ms after the page is ready.

It then runs benchmarks/ui_rest.py (REST route latency) and benchmarks/ui_panel.py (the panel's
refresh cost in the kernel) when they exist.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

FIRST_RENDER = """async () => {
    await window.jupyterapp.restored;
    const node = document.getElementById('jupyter-mlops-sidebar');
    performance.clearMeasures();
    const started = performance.now();
    window.jupyterapp.shell.activateById('jupyter-mlops-sidebar');
    await new Promise((resolve, reject) => {
        setTimeout(() => reject(new Error(`no render after 60 s: state ${node.dataset.state}`)), 60000);
        if (node.dataset.state === 'loaded') { resolve(); return; }
        new MutationObserver((_, observer) => {
            if (node.dataset.state === 'loaded') { observer.disconnect(); resolve(); }
        }).observe(node, { attributes: true });
    });
    await new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve)));   // painted
    const measure = name => (performance.getEntriesByName(name).pop() || { duration: NaN }).duration;
    return { total: performance.now() - started, fetch: measure('jupyter-mlops:fetch'),
             render: measure('jupyter-mlops:render'),
             rows: node.querySelectorAll('li.jp-MlopsModel, li.jp-MlopsEndpoint').length };
}"""

OPEN_ALL = """async () => {
    const node = document.getElementById('jupyter-mlops-sidebar');
    const started = performance.now();
    const names = [...node.querySelectorAll('[data-toggle-model]')].map(t => t.dataset.toggleModel);
    for (const name of names) {   // each click re-renders: find the current toggle every time
        node.querySelector(`[data-toggle-model="${CSS.escape(name)}"]`).click();
    }
    await new Promise((resolve, reject) => {
        setTimeout(() => reject(new Error('versions not all shown after 60 s')), 60000);
        const done = () => node.querySelectorAll('li.jp-MlopsVersion').length >= %d;
        if (done()) { resolve(); return; }
        new MutationObserver((_, observer) => { if (done()) { observer.disconnect(); resolve(); } })
            .observe(node, { childList: true, subtree: true });
    });
    await new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve)));
    return { total: performance.now() - started, versions: node.querySelectorAll('li.jp-MlopsVersion').length };
}"""


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def make_workspace(root: Path, models: int, versions: int, endpoints: int):
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    from jupyter_mlops import Workspace

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    y = (X.a + rng.normal(size=200) > 0).astype(int)
    clf = LogisticRegression().fit(X, y)
    ws = Workspace(root / ".mlops")
    per_model = max(1, versions // models)
    for m in range(models):
        for v in range(per_model):
            ws.register(clf, f"model-{m:02d}", metrics={"auc": round(0.7 + 0.05 * v, 3)})
    pids = []
    for e in range(endpoints):
        pids.append(ws.deploy(f"model-{e:02d}:1", f"endpoint-{e:02d}").pid)
    return ws, pids


def stop_endpoints(ws, endpoints: int) -> None:
    for e in range(endpoints):
        try:
            ws.stop(f"endpoint-{e:02d}")
        except Exception as error:  # keep stopping the others
            print(f"stopping endpoint-{e:02d}: {error}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--versions", type=int, default=200)
    parser.add_argument("--endpoints", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-others", action="store_true", help="do not run ui_rest.py and ui_panel.py")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright
    from ui.lab import build_labextension, built, launch_chromium, start_lab

    if not built():
        build_labextension()
    root = Path(tempfile.mkdtemp(prefix="mlops-bench-ui-"))
    print(f"load average before: {load()}")
    t0 = time.perf_counter()
    ws, pids = make_workspace(root, args.models, args.versions, args.endpoints)
    print(flush=True)
    print(f"workspace: {args.models} models, {args.versions} versions, {args.endpoints} running endpoints "
          f"({time.perf_counter() - t0:.1f} s to make)")
    lab = None
    try:
        lab = start_lab(root)
        firsts, opens = [], []
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                for i in range(args.repeat + 1):  # the first is a warm-up (browser and server caches)
                    page = browser.new_page(viewport={"width": 1280, "height": 900})
                    page.goto(lab.url("lab?reset"))
                    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.commands.hasCommand('mlops:open-sidebar')",
                                           timeout=90_000)
                    first = page.evaluate(FIRST_RENDER)
                    opened = page.evaluate(OPEN_ALL % args.versions)
                    page.close()
                    if i:
                        firsts.append(first)
                        opens.append(opened)
            finally:
                browser.close()
        med = lambda key, rows: statistics.median(r[key] for r in rows)  # noqa: E731
        print(f"sidebar first full render (activate -> painted), median of {args.repeat}: "
              f"{med('total', firsts):.0f} ms (GET summary {med('fetch', firsts):.0f} ms, DOM {med('render', firsts):.1f} ms; "
              f"{firsts[0]['rows']} rows); goal < 300 ms")
        runs = ", ".join(f"{r['total']:.0f}" for r in firsts)
        print(f"  every run: {runs} ms")
        print(f"opening all {args.models} models ({opens[0]['versions']} versions, one GET each): "
              f"median {med('total', opens):.0f} ms")
    finally:
        if lab:
            lab.stop()
        stop_endpoints(ws, args.endpoints)
        shutil.rmtree(root, ignore_errors=True)
    print(f"load average after: {load()}")

    if not args.skip_others:
        for other in ("ui_rest.py", "ui_panel.py"):
            script = Path(__file__).with_name(other)
            if script.exists():
                print(f"\n== benchmarks/{other}", flush=True)
                subprocess.run([sys.executable, str(script)], check=False)
            else:
                print(f"\n(benchmarks/{other} is not there yet: skipped)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
