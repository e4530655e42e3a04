"""%mlops: each verb is the Workspace call of the same name; errors are one line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from IPython.core.error import UsageError

import jupyter_mlops as mlops

ROOT = Path(__file__).resolve().parents[1]


def shown(capsys) -> str:
    """What the cell printed, without the ANSI colours."""
    return re.sub(r"\x1b\[[0-9;]*m", "", "".join(capsys.readouterr()))


@pytest.fixture
def ip(shell, home, clf, numeric_data):
    X, y = numeric_data
    shell.user_ns.update(clf=clf, X_train=X, y_train=y)
    return shell


def mlops_(ip, line):
    return ip.run_line_magic("mlops", line)


def test_register_maps_every_option_to_the_api(ip, numeric_data):
    v = mlops_(ip, "register clf --name churn --data X_train --target y_train --metric auc=0.91 f1=0.5 "
                   "--param C=1.0 --param solver=lbfgs --tag team=growth --description first --alias staging")
    assert isinstance(v, mlops.ModelVersion)
    assert (v.name, v.version, v.aliases) == ("churn", 1, ("staging",))
    assert v.metrics == {"auc": 0.91, "f1": 0.5} and v.params == {"C": 1.0, "solver": "lbfgs"}
    assert v.tags == {"team": "growth"} and v.description == "first"
    assert v.lineage["data"] == mlops.Workspace().get("churn:1").lineage["data"]
    assert v.lineage["data"]["shape"] == list(numeric_data[0].shape)


def test_the_cell_body_of_register_is_the_description(ip):
    v = ip.run_cell_magic("mlops", "register clf --name churn", "Trained on Q3 data.\nOwner: growth.")
    assert v.description == "Trained on Q3 data.\nOwner: growth."


def test_the_registry_verbs(ip, numeric_data):
    mlops_(ip, "register clf --name churn --data X_train --target y_train --metric auc=0.91")
    mlops_(ip, "register clf --name churn --metric auc=0.93")
    assert list(mlops_(ip, "versions churn").index) == [1, 2]
    assert list(mlops_(ip, "models")["name"]) == ["churn"]
    assert mlops_(ip, "approve churn:1 --comment offline eval ok").approval == "Approved"
    assert mlops_(ip, "approve churn:1 --comment offline eval ok").approval_history[0]["comment"] == "offline eval ok"
    assert mlops_(ip, "promote churn:1 --to production").aliases == ("production",)
    model = mlops_(ip, "load churn@production")
    assert (model.predict(numeric_data[0]) == ip.user_ns["clf"].predict(numeric_data[0])).all()
    assert mlops_(ip, "show churn@production").version == 1
    assert mlops_(ip, "diff churn:1 churn:2").loc["metric.auc", "changed"]
    assert mlops_(ip, "reject churn:2 -m no").approval == "Rejected"
    assert mlops_(ip, "archive churn:2").status == "archived"
    assert list(mlops_(ip, "audit churn")["action"])[:3] == ["register", "baseline", "register"]
    assert mlops_(ip, "audit --verify").ok and mlops_(ip, "verify-audit").ok


def test_dataset_verbs(ip):
    dv = mlops_(ip, "dataset save X_train --name train")
    assert dv.ref == "train:1"
    ip.run_cell("X_back = %mlops dataset load train:1")
    pd.testing.assert_frame_equal(ip.user_ns["X_back"], ip.user_ns["X_train"])
    assert list(mlops_(ip, "datasets")["name"]) == ["train"]


def test_out_stores_the_result_as_assignment_does(ip):
    mlops_(ip, "register clf --name churn -o mv")
    assert ip.user_ns["mv"].ref == "churn:1"
    ip.run_cell("shown = %mlops show churn:1")
    assert ip.user_ns["shown"].ref == "churn:1"


def test_policy_verb(ip):
    assert mlops_(ip, "policy --require-approval --min-approvers 2").require_approval is True
    assert mlops_(ip, "policy").min_approvers == 2


def test_bare_mlops_shows_the_status(ip, home):
    status = mlops_(ip, "")
    assert status.home == str(home) and status.models == 0


def test_help_is_the_real_argparse_help(ip, capsys):
    mlops_(ip, "register -h")
    out = capsys.readouterr().out
    assert out.startswith("usage: %mlops register --name NAME")  # not IPython's reST "::"
    assert "--metric" in out and "--data" in out and "%mlops register" in out
    mlops_(ip, "help")
    assert "promote" in capsys.readouterr().out


@pytest.mark.parametrize("line, message", [
    ("regster clf", "Did you mean: register"),
    ("register clf", "--name"),
    ("register nothing_here --name churn", "no variable named 'nothing_here'"),
    ("register clf --name churn --metric auc", "KEY=VALUE"),
    ("promote churn:1", "--to"),
    ("models -o 1x", "not a valid Python variable name"),
    ("models --out", "needs the name of a variable"),
])
def test_bad_arguments_are_usage_errors(ip, line, message):
    with pytest.raises(UsageError, match=message):
        mlops_(ip, line)


def test_our_errors_show_as_one_line_without_traceback(ip, capsys):
    result = ip.run_cell("%mlops show chrun")
    assert isinstance(result.error_in_exec, mlops.ModelNotFound)
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "ModelNotFound" in text and "No model named 'chrun'" in text
    assert "Traceback" not in text and "File " not in text


def test_errors_raised_from_python_code_in_a_cell_are_one_line_too(ip, capsys):
    ip.run_cell("import jupyter_mlops\njupyter_mlops.Workspace().get('chrun')")
    text = shown(capsys)
    assert "ModelNotFound: No model named 'chrun'" in text and "Traceback" not in text


def test_one_line_errors_apply_without_load_ext(home):
    # A fresh IPython that never loaded the extension, as in a kernel where the user only imports
    # the package: the cell's error is still the one line with its hint.
    cell = ("import jupyter_mlops\n"
            "from sklearn.dummy import DummyClassifier\n"
            "ws = jupyter_mlops.Workspace()\n"
            "ws.register(DummyClassifier().fit([[0], [1]], [0, 1]), 'churn')\n"
            "ws.get('chrun')\n")
    out = subprocess.run([sys.executable, "-m", "IPython", "--no-banner", "--colors=NoColor", "-c", cell],
                         capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 1
    assert re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr).strip().splitlines()[-1] == \
        "ModelNotFound: No model named 'chrun'. Did you mean: churn?"
    assert "Traceback" not in out.stdout + out.stderr


def test_loading_the_extension_keeps_another_extensions_exception_handler(ip, capsys):
    seen = []

    def other_handler(shell, etype, value, tb, tb_offset=None):
        seen.append(etype)

    ip.set_custom_exc((ZeroDivisionError,), other_handler)
    try:
        ip.run_line_magic("reload_ext", "jupyter_mlops")
        assert ip.custom_exceptions == (ZeroDivisionError,)
        ip.run_cell("1 / 0")
        assert seen == [ZeroDivisionError]
        ip.run_cell("%mlops show chrun")
        text = shown(capsys)
        assert "ModelNotFound: No model named 'chrun'" in text and "Traceback" not in text
    finally:
        ip.set_custom_exc((), None)


def test_our_errors_render_as_one_line_without_ipython(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    error = mlops.ModelNotFound("No model named 'chrun'.", wanted="chrun", candidates=["churn"])
    assert error._render_traceback_() == ["\x1b[0;31mModelNotFound\x1b[0m: No model named 'chrun'. Did you mean: churn?"]


def test_no_color_leaves_the_error_line_plain(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    error = mlops.ModelNotFound("No model named 'chrun'.", wanted="chrun", candidates=["churn"])
    assert error._render_traceback_() == ["ModelNotFound: No model named 'chrun'. Did you mean: churn?"]


def test_errors_stay_catchable_in_python(ip):
    ip.user_ns["mlops_error"] = mlops.ModelNotFound
    ip.run_cell("try:\n    get_ipython().run_line_magic('mlops', 'show nope')\nexcept mlops_error:\n    caught = True")
    assert ip.user_ns.get("caught") is True


def test_verb_question_mark_is_the_verbs_help(ip, capsys):
    ip.run_cell("%mlops promote?")
    out = capsys.readouterr().out
    assert "%mlops promote" in out and "--to" in out
