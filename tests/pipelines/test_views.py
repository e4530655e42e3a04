"""The retraining verbs from a notebook cell (``%mlops retrain``) and from a shell (``mlops retrain``),
against a real workspace and real kernels: what each prints and returns, and the exit status CI
reads."""

from __future__ import annotations

import json

from click.testing import CliRunner

import jupyter_mlops as mlops
from jupyter_mlops.cli import main

from .notebooks import TRAIN, TRAIN_PARAMETERS, write_notebook


def test_the_retrain_magic_returns_the_run_and_runs_lists_it(shell, ws, tmp_path):
    notebook = write_notebook(tmp_path / "train.ipynb", TRAIN_PARAMETERS, TRAIN)
    run = shell.run_line_magic("mlops", f"retrain churn --notebook {notebook} -p rows 150 -p C 0.5")
    assert isinstance(run, mlops.Run) and run.status == "succeeded" and run.parameters == {"rows": 150, "C": 0.5}
    html = run._repr_html_()
    assert "succeeded" in html and "train.ipynb" in html and 'href="' in html
    listed = shell.run_line_magic("mlops", "runs churn")
    assert list(listed.index) == [run.id] and listed.iloc[0]["kind"] == "retrain"


def test_mlops_retrain_in_a_shell_prints_the_run_and_fails_with_the_notebook(ws, tmp_path):
    notebook = write_notebook(tmp_path / "train.ipynb", TRAIN_PARAMETERS, TRAIN)
    ok = CliRunner().invoke(main, ["--json", "retrain", "churn", "--notebook", str(notebook), "-p", "rows", "120"])
    assert ok.exit_code == 0, ok.output
    printed = json.loads(ok.output)
    assert printed["status"] == "succeeded" and printed["versions"] == ["churn:1"]

    failing = write_notebook(tmp_path / "failing.ipynb", "rows = 1", "raise RuntimeError('no data today')")
    failed = CliRunner().invoke(main, ["retrain", "churn", "--notebook", str(failing)])
    assert failed.exit_code == 1
    assert "RunFailed: step 1, cell 1 failed: RuntimeError: no data today" in failed.output

    typo = CliRunner().invoke(main, ["retrain", "churn", "--notebook", str(notebook), "-p", "row", "5"])
    assert typo.exit_code == 1 and "InvalidInput: Parameter 'row' is not declared" in typo.output
