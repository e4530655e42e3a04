"""Lineage recorded automatically: git, notebook, papermill parameters, kernel hygiene."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import nbformat
import pytest

from jupyter_mlops._core import lineage


def git(*args, cwd):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_git_commit_branch_and_dirty_flag(ws, clf, tmp_path):
    git("init", "-q", "-b", "main", cwd=tmp_path)
    git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q", "--allow-empty", "-m", "x", cwd=tmp_path)
    (tmp_path / "train.py").write_text("print(1)\n")
    git("add", "train.py", cwd=tmp_path)
    git("-c", "user.email=a@b", "-c", "user.name=a", "commit", "-q", "-m", "train", cwd=tmp_path)
    clean = ws.register(clf, "churn").lineage["git"]
    (tmp_path / "train.py").write_text("print(2)\n")
    dirty = ws.register(clf, "churn").lineage["git"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
    assert clean == {"root": str(tmp_path), "commit": head, "branch": "main", "dirty": False}
    assert dirty["dirty"] is True


def test_outside_git_there_is_no_git_lineage(ws, clf):
    assert ws.register(clf, "churn").lineage["git"] is None


def test_papermill_parameters_are_read_from_the_injected_cell():
    history = ["import x", "# Parameters\nC = 0.5\nname = 'churn'\ngrid = [1, 2]\n", "fit()"]
    assert lineage.papermill_parameters(history) == {"C": 0.5, "name": "churn", "grid": [1, 2]}
    assert lineage.papermill_parameters(["a = 1"]) is None


def _notebook(path, sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)


CELLS = [
    "import numpy as np\nfrom sklearn.linear_model import LinearRegression\nimport jupyter_mlops as mlops",
    "X = np.arange(20.0).reshape(-1, 1)\ny = X[:, 0] * C",
    "model = LinearRegression().fit(X, y)",
    "v = mlops.Workspace().register(model, 'lin', data=X, target=y)\nprint(v.version)",
]


@pytest.mark.slow
def test_a_papermill_run_records_notebook_parameters_and_in_order_kernel(ws, tmp_path, monkeypatch):
    import papermill as pm

    nb = tmp_path / "train.ipynb"
    _notebook(nb, ["C = 2.0"] + CELLS)
    nbj = json.loads(nb.read_text())
    nbj["cells"][0]["metadata"]["tags"] = ["parameters"]
    nb.write_text(json.dumps(nbj))
    monkeypatch.setenv("MLOPS_NOTEBOOK", str(nb))
    pm.execute_notebook(str(nb), str(tmp_path / "out.ipynb"), parameters={"C": 3.0}, kernel_name="python3",
                        progress_bar=False, cwd=str(tmp_path))
    lin = ws.get("lin").lineage
    import hashlib

    assert lin["notebook"] == {"path": str(nb), "sha256": hashlib.sha256(nb.read_bytes()).hexdigest()}
    assert lin["papermill_parameters"] == {"C": 3.0}
    assert lin["kernel"]["in_order"] is True and lin["kernel"]["basis"] == "notebook"


@pytest.mark.slow
def test_cells_run_out_of_order_are_flagged(ws, tmp_path, monkeypatch):
    from jupyter_client.manager import start_new_kernel

    nb = tmp_path / "train.ipynb"
    _notebook(nb, ["C = 2.0"] + CELLS)
    monkeypatch.setenv("MLOPS_NOTEBOOK", str(nb))
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        # the user ran the fit cell, then went back and changed the data, then registered
        for source in ["C = 2.0", CELLS[0], CELLS[1], CELLS[2], "C = 2.0", CELLS[1], CELLS[3]]:
            reply = kc.execute_interactive(source, timeout=120)
            assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    kernel = ws.get("lin").lineage["kernel"]
    assert kernel["in_order"] is False
    assert kernel["reexecuted_cells"] == [0, 2]


def test_hygiene_from_history_alone_sees_repeats():
    assert lineage.kernel_hygiene(["a = 1", "b = 2"], None)["in_order"] is True
    assert lineage.kernel_hygiene(["a = 1", "b = 2", "a = 1"], None)["in_order"] is False
    assert lineage.kernel_hygiene([], None)["in_order"] is None


def test_lineage_in_a_plain_script_has_no_notebook(ws, clf):
    lin = ws.register(clf, "churn").lineage
    assert lin["notebook"] is None and lin["kernel"]["in_order"] is None
    assert lin["python"] == ".".join(map(str, sys.version_info[:3]))


def test_installed_packages_reads_the_same_names_and_versions_as_the_metadata_parser():
    """The quick read of the Name and Version headers lists what importlib.metadata's full parse lists."""
    from importlib import metadata

    from jupyter_mlops._core.lineage import installed_packages

    seen = {}
    for dist in metadata.distributions():
        name = dist.metadata.get("Name")
        if name and name.lower() not in seen:
            seen[name.lower()] = f"{name}=={dist.version}"
    assert installed_packages() == tuple(sorted(seen.values(), key=str.lower))


def test_a_package_installed_after_the_first_look_is_listed(tmp_path, monkeypatch):
    """``pip install`` in a running kernel adds a ``.dist-info`` to a folder on sys.path: the next
    lineage lists it (the list is cached only while no such folder changes)."""
    from jupyter_mlops._core.lineage import installed_packages

    monkeypatch.syspath_prepend(str(tmp_path))
    before = installed_packages()
    info = tmp_path / "late_package-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: late-package\nVersion: 1.2.3\n\n")
    os.utime(tmp_path, ns=(time.time_ns() + 10**9,) * 2)  # a coarse clock must still see the change
    assert "late-package==1.2.3" not in before
    assert "late-package==1.2.3" in installed_packages()
