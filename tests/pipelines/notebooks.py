"""Notebooks the retraining tests run: written with nbformat into the test's folder, each a
``parameters`` cell and a few code cells, small enough that the kernel's start is most of a run."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_notebook(path: Path, parameters: str | None, *cells: str) -> Path:
    """An .ipynb at ``path``: a cell tagged ``parameters`` holding ``parameters`` (none if None),
    then ``cells``."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    code = [nbformat.v4.new_code_cell(textwrap.dedent(c).strip()) for c in cells]
    if parameters is not None:
        tagged = nbformat.v4.new_code_cell(textwrap.dedent(parameters).strip())
        tagged.metadata["tags"] = ["parameters"]
        code.insert(0, tagged)
    nb.cells = code
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


#: fits a LogisticRegression on generated rows and registers it as MLOPS_RUN_NAME (or "churn")
TRAIN = """
    import os
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    import jupyter_mlops as mlops

    ctx = mlops.context()
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"tenure": rng.integers(0, 72, rows).astype(float), "monthly": rng.normal(70, 20, rows),
                      "support_calls": rng.poisson(2, rows).astype(float)})
    y = ((X.support_calls * 0.8 - X.tenure * 0.05 + rng.normal(0, 1, rows)) > 0).astype(int)
    clf = LogisticRegression(C=C, max_iter=500).fit(X, y)
    version = mlops.Workspace().register(clf, ctx.name or "churn", data=X, target=y,
                                         metrics={"accuracy": float(clf.score(X, y))}, params={"C": C})
    mlops.output("rows", rows)
    mlops.output("cwd", os.getcwd())
    mlops.output("seen", {"run_id": ctx.run_id, "kind": ctx.kind, "trigger": ctx.trigger["kind"],
                          "step": ctx.step, "run_dir": ctx.run_dir})
"""
TRAIN_PARAMETERS = """
    C: float = 1.0
    rows = 300
    seed = 0
"""
