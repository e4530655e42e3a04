"""Tab after %mlops completes what the verb expects there, and nothing else.

Driven through IPython's own completer (``ip.Completer.completions``), with the extension loaded
and a real workspace: churn (versions 1, 2; aliases production -> 1, staging -> 2), chess (1), a
deployed endpoint "scoring" and a monitoring schedule on it.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd
import pytest
from IPython.core.completer import provisionalcompleter

from jupyter_mlops import Workspace


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, clf, numeric_data):
    root = tmp_path_factory.mktemp("completion")
    (root / "train.ipynb").write_text("{}")
    (root / "pipelines").mkdir()
    (root / "pipelines" / "features.ipynb").write_text("{}")
    (root / "notes.txt").write_text("not a notebook")
    X, y = numeric_data
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLOPS_HOME", str(root / ".mlops"))
        for var in ("MLOPS_DB_URL", "MLOPS_ARTIFACTS"):
            mp.delenv(var, raising=False)
        mp.chdir(root)
        ws = Workspace(root / ".mlops")
        ws.register(clf, "churn", data=X, target=y, alias="production")
        ws.register(clf, "churn", alias="staging")
        ws.register(clf, "chess")
        ws.save_dataset(X, "train")
        ws.deploy("churn:1", "scoring", capture=100)
        try:
            ws.endpoint("scoring").predict(X.head(20))
            deadline = time.monotonic() + 30  # capture is written off the request path
            while len(ws.captured("scoring")) < 20 and time.monotonic() < deadline:
                time.sleep(0.1)
            schedule = ws.monitor("scoring", every="1h")
            ws.run_now(schedule.id, wait=True)
            yield ws, schedule.id
        finally:
            ws.stop("scoring")  # stops the endpoint's processes by their pids
            ws.store.dispose()


@pytest.fixture
def ip(shell, workspace):
    names = {"cmp_frame": pd.DataFrame({"a": [1, 2]}), "cmp_series": pd.Series([0, 1]),
             "cmp_array": np.zeros(3), "cmp_number": 3, "cmp_text": "churn", "cmp_model": object(),
             "cmp_function": len, "cmp_module": os}
    shell.user_ns.update(names)
    yield shell
    for name in names:
        shell.user_ns.pop(name, None)


def tab(ip, text):
    """What Tab offers at the end of ``text`` (the texts IPython would insert)."""
    with provisionalcompleter():
        return [c.text for c in ip.Completer.completions(text, len(text))]


def test_verbs_after_mlops(ip):
    assert tab(ip, "%mlops ver") == ["verify-audit", "versions"]
    assert tab(ip, "%mlops sche") == ["schedule", "scheduler", "schedules"]
    offered = tab(ip, "%mlops ")
    assert "register" in offered and "help" in offered and "and" not in offered and "abs" not in offered
    assert tab(ip, "%mlops help prom") == ["promote"]


def test_the_same_line_assigned_or_as_a_cell_magic(ip):
    assert tab(ip, "v = %mlops sh") == ["shadow-report", "show"]
    assert tab(ip, "%%mlops regis") == ["register"]


def test_options_come_from_each_verbs_parser_and_no_builtins_follow_dashes(ip):
    assert tab(ip, "%mlops drift --") == ["--current", "--drift-share", "--method", "--reference", "--threshold"]
    assert tab(ip, "%mlops promote churn:1 -") == ["--to"]
    assert tab(ip, "%mlops register cmp_model --me") == ["--metric"]
    assert tab(ip, "%mlops approve churn:1 -") == ["--comment", "-m"]


def test_choices(ip):
    assert tab(ip, "%mlops drift --reference cmp_frame --method ") == [
        "auto", "chi2", "jensenshannon", "ks", "psi", "wasserstein"]
    assert tab(ip, "%mlops monitor scoring --on-violation ") == ["alert", "retrain"]
    assert tab(ip, "%mlops promote churn:1 --to ") == ["production", "staging"]
    assert tab(ip, "%mlops promote churn:1 --to prod") == ["production"]
    assert tab(ip, "%mlops sweep churn --notebook train.ipynb --direction ") == ["max", "min"]
    assert tab(ip, "%mlops scheduler ") == ["log", "start", "status", "stop"]
    assert tab(ip, "%mlops dataset ") == ["load", "save"]


def test_model_names_for_a_reference(ip):
    assert tab(ip, "%mlops show ") == ["chess", "churn"]
    assert tab(ip, "%mlops show chu") == ["churn"]
    assert tab(ip, "%mlops diff churn:1 ch") == ["chess", "churn"]
    assert tab(ip, "%mlops versions ") == ["chess", "churn"]
    assert tab(ip, "%mlops register cmp_model --name ") == ["chess", "churn"]


def test_name_at_completes_the_models_aliases_and_name_colon_its_versions(ip):
    assert tab(ip, "%mlops show churn@") == ["production", "staging"]
    assert tab(ip, "%mlops deploy churn@st") == ["staging"]
    assert tab(ip, "%mlops load churn:") == ["1", "2"]
    assert tab(ip, "%mlops approve chess:") == ["1"]


def test_endpoint_names_where_an_endpoint_is_expected(ip):
    assert tab(ip, "%mlops logs ") == ["scoring"]
    assert tab(ip, "%mlops deploy churn:2 --endpoint ") == ["scoring"]
    assert tab(ip, "%mlops replay churn:2 -e ") == ["scoring"]
    # check and quality take an endpoint, or a model with --data
    assert tab(ip, "%mlops check ") == ["chess", "churn", "scoring"]


def test_schedule_ids_for_run_now_and_unschedule(ip, workspace):
    _, schedule_id = workspace
    assert tab(ip, "%mlops run-now ") == [schedule_id]
    assert tab(ip, "%mlops unschedule ") == [schedule_id]


def test_notebook_paths_after_notebook(ip):
    assert tab(ip, "%mlops retrain churn --notebook ") == ["pipelines/", "train.ipynb"]
    assert tab(ip, "%mlops retrain churn --notebook pipelines/") == ["pipelines/features.ipynb"]
    assert tab(ip, "%mlops pipeline churn --steps train.ipynb pip") == ["pipelines/"]


def test_data_arguments_complete_to_dataframes_and_arrays(ip):
    assert tab(ip, "%mlops drift --reference cmp_") == ["cmp_array", "cmp_frame", "cmp_series"]
    assert tab(ip, "%mlops ground-truth scoring --labels cmp_") == ["cmp_array", "cmp_frame", "cmp_series"]
    assert tab(ip, "%mlops invoke scoring --data cmp_f") == ["cmp_frame"]
    data = tab(ip, "%mlops invoke scoring --data ")
    assert data and all(isinstance(ip.user_ns[name], (pd.DataFrame, pd.Series, np.ndarray)) for name in data)
    # the model register takes is any variable, but not a module or a function
    assert tab(ip, "%mlops register cmp_") == ["cmp_array", "cmp_frame", "cmp_model", "cmp_number",
                                               "cmp_series", "cmp_text"]


def test_nothing_else_where_nothing_fits(ip):
    # a number, an unknown verb, a model that does not exist: Tab changes nothing (the typed word)
    assert tab(ip, "%mlops drift --threshold ") == [""]
    assert tab(ip, "%mlops nosuchverb ") == [""]
    assert tab(ip, "%mlops show nosuch@") == [""]
    assert tab(ip, "%mlops show zz") == ["zz"]


def test_other_lines_keep_ipythons_completion(ip):
    assert "cmp_frame" in tab(ip, "cmp_f")
    assert "abs" in tab(ip, "ab")


def test_a_missing_workspace_completes_verbs_and_options_and_is_not_created(ip, tmp_path, monkeypatch):
    home = tmp_path / "nowhere" / ".mlops"
    monkeypatch.setenv("MLOPS_HOME", str(home))
    assert tab(ip, "%mlops ver") == ["verify-audit", "versions"]
    assert tab(ip, "%mlops promote --") == ["--to"]
    assert tab(ip, "%mlops show ") == [""]
    assert not home.exists()


def test_a_broken_workspace_completes_verbs_and_options_without_raising(ip, tmp_path, monkeypatch, capsys):
    home = tmp_path / ".mlops"
    home.mkdir()
    (home / "mlops.db").write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("MLOPS_HOME", str(home))
    assert tab(ip, "%mlops show ") == [""]
    assert tab(ip, "%mlops logs ") == [""]
    assert tab(ip, "%mlops drift --") == ["--current", "--drift-share", "--method", "--reference", "--threshold"]
    assert "Traceback" not in capsys.readouterr().err


def test_unloading_the_extension_removes_the_matcher(shell):
    from jupyter_mlops.magics import completion

    shell.run_line_magic("unload_ext", "jupyter_mlops")
    try:
        assert not [m for m in shell.Completer.custom_matchers if m.matcher_identifier == completion.IDENTIFIER]
    finally:
        shell.run_line_magic("load_ext", "jupyter_mlops")
    assert len([m for m in shell.Completer.custom_matchers
                if getattr(m, "matcher_identifier", None) == completion.IDENTIFIER]) == 1


def test_an_option_already_given_is_not_offered_again_unless_it_collects(ip):
    assert tab(ip, "%mlops promote churn:1 --to production -") == ["-"]  # nothing left: the typed word
    assert tab(ip, "%mlops register cmp_model --name x --metric auc=0.9 --m") == ["--metric"]


def test_dollar_completes_the_variables_holding_a_version(ip, workspace):
    ws, _ = workspace
    ip.user_ns["cmp_version"] = ws.get("churn:2")
    try:
        assert tab(ip, "%mlops approve $cmp_") == ["$cmp_version"]
    finally:
        ip.user_ns.pop("cmp_version")


def test_without_the_percent_when_automagic_is_on(ip):
    automagic = ip.automagic
    ip.automagic = True
    try:
        assert tab(ip, "mlops sh") == ["shadow-report", "show"]
    finally:
        ip.automagic = automagic
    assert "shadow-report" not in tab(ip, "mlops = sh") and "shadow-report" not in tab(ip, "mlops  = sh")


def test_traffic_completes_the_endpoints_variants_not_yet_weighted(ip):
    assert tab(ip, "%mlops traffic scoring ch") == ["churn-v1="]
    assert tab(ip, "%mlops traffic scoring churn-v1=80 ") == [""]  # every variant has its weight
    assert tab(ip, "%mlops invoke scoring --variant ") == ["churn-v1"]


def test_report_ids_after_report(ip, workspace):
    ws, _ = workspace
    ids = [str(i) for i in ws.reports().index]
    assert ids and tab(ip, "%mlops report ") == sorted(ids)


def test_dataset_load_completes_dataset_names_and_versions(ip):
    assert tab(ip, "%mlops dataset load tr") == ["train", "train:1"]
