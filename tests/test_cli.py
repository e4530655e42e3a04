"""The mlops command: the same verbs as %mlops, each one Workspace call."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner

import jupyter_mlops as mlops
from jupyter_mlops.cli import main


@pytest.fixture
def files(tmp_path, clf, numeric_data):
    import skops.io as sio

    X, y = numeric_data
    sio.dump(clf, tmp_path / "model.skops")
    X.to_csv(tmp_path / "X.csv", index=False)
    y.to_frame().to_csv(tmp_path / "y.csv", index=False)
    return tmp_path


def run(*args, ok=True):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_register_maps_options_to_the_api(home, files):
    run("register", str(files / "model.skops"), "--name", "churn", "--data", str(files / "X.csv"),
        "--target", str(files / "y.csv"), "--metric", "auc=0.91", "--param", "C=1.0", "--tag", "team=growth",
        "--description", "from CI", "--alias", "staging")
    v = mlops.Workspace().get("churn")
    assert (v.version, v.aliases, v.metrics, v.params, v.tags, v.description) == (
        1, ("staging",), {"auc": 0.91}, {"C": 1.0}, {"team": "growth"}, "from CI")
    assert v.lineage["data"]["shape"] == [400, 3] and v.signature["output"]["name"] == "churned"


def test_registry_commands_and_json_output(home, files):
    for _ in range(2):
        run("register", str(files / "model.skops"), "--name", "churn")
    assert json.loads(run("--json", "versions", "churn").output)[1]["version"] == 2
    assert "churn" in run("models").output
    run("approve", "churn:1", "-m", "ok")
    run("promote", "churn:1", "--to", "production")
    shown = json.loads(run("--json", "show", "churn@production").output)
    assert shown["ref"] == "churn:1" and shown["approval"] == "Approved" and shown["aliases"] == ["production"]
    assert "approval" in run("diff", "churn:1", "churn:2").output
    run("load", "churn@production", "-o", str(files / "back.skops"))
    import skops.io as sio

    back = sio.load(files / "back.skops", trusted=sio.get_untrusted_types(file=files / "back.skops"))
    assert type(back).__name__ == "LogisticRegression"
    run("reject", "churn:2")
    run("archive", "churn:2")
    actions = [e["action"] for e in json.loads(run("--json", "audit", "churn").output)]
    assert actions == ["register", "register", "approve", "promote", "reject", "archive"]
    assert "intact" in run("verify-audit").output


def test_policy_and_datasets(home, files):
    assert json.loads(run("--json", "policy", "--require-approval").output)["require_approval"] is True
    run("dataset", "save", str(files / "X.csv"), "--name", "train")
    assert "train" in run("datasets").output
    run("dataset", "load", "train:1", "-o", str(files / "back.parquet"))
    import pandas as pd

    assert pd.read_parquet(files / "back.parquet").shape == (400, 3)


def test_errors_are_one_line_and_exit_1(home, files):
    run("register", str(files / "model.skops"), "--name", "churn")
    result = run("show", "chrun", ok=False)
    assert result.exit_code == 1
    assert result.output.strip() == "ModelNotFound: No model named 'chrun'. Did you mean: churn?"


def test_usage_errors_exit_2(home):
    assert run("promote", "churn:1", ok=False).exit_code == 2


def test_the_installed_command_runs(home):
    out = subprocess.run([sys.executable, "-m", "jupyter_mlops", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "versions" in out.stdout


def test_listings_print_the_formatted_table_and_json_keeps_the_raw_values(home, files):
    run("register", str(files / "model.skops"), "--name", "churn", "--metric", "auc=0.912345678")
    out = run("versions", "churn").output
    assert "0.9123" in out and "0.912345678" not in out
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?![.\d])", out)   # to the second
    assert json.loads(run("--json", "versions", "churn").output)[0]["auc"] == 0.912345678


def test_no_color_turns_the_colours_off(home, files):
    coloured = CliRunner().invoke(main, ["show", "chrun"], color=True)
    assert "\x1b[" in coloured.output
    plain = CliRunner().invoke(main, ["show", "chrun"], color=True, env={"NO_COLOR": "1"})
    assert plain.exit_code == 1 and "\x1b[" not in plain.output and "ModelNotFound" in plain.output
