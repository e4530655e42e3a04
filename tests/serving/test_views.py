"""%mlops and the mlops CLI map their options to the serving calls of the Workspace."""

from __future__ import annotations

import httpx
import pytest
from click.testing import CliRunner
from IPython.core.error import UsageError

from jupyter_mlops.cli import main


def test_magic_verbs_deploy_canary_traffic_rollback_stop(shell, sws):
    X, _ = sws._test_data
    shell.user_ns["rows"] = X.head(3)
    m = lambda line: shell.run_line_magic("mlops", line)  # noqa: E731
    ep = m("deploy churn:1 --endpoint churn --capture 100")
    assert ep.status == "running" and ep.capture_percent == 100
    ep = m("deploy churn:2 --endpoint churn --canary 10 --bake 600 --max-error-rate 0.02 "
           "--max-p99-ms 50")
    assert ep.rollout["steps"] == [10.0, 100.0] and ep.rollout["bake"] == 600
    assert ep.rollout["guardrails"] == {"max_error_rate": 0.02, "max_p99_ms": 50}
    assert m("invoke churn --data rows --variant churn-v2").tolist() == \
        sws.load("churn:2").predict(X.head(3)).tolist()
    table = m("endpoints")
    assert table.loc[0, "variants"] == "churn-v1=90, churn-v2=10"
    ep = m("traffic churn churn-v1=50 churn-v2=50")
    assert {v["name"]: v["weight"] for v in ep.variants} == {"churn-v1": 50, "churn-v2": 50}
    ep = m("rollback churn")
    assert {v["name"]: v["weight"] for v in ep.variants} == {"churn-v1": 90, "churn-v2": 10}
    with pytest.raises(UsageError, match="one of"):
        m("deploy churn:2 --endpoint churn --canary 10 --ab 5")
    m("stop churn")
    assert m("endpoints").empty                               # stopped: only with --all
    assert m("endpoints --all").loc[0, "status"] == "stopped"


def test_cli_deploy_endpoints_stop(sws):
    def run(*args):
        result = CliRunner().invoke(main, ["-w", str(sws.home), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    out = run("deploy", "churn:1", "--endpoint", "cli")
    assert "Endpoint cli [running]" in out
    url = sws.endpoint("cli").url
    assert httpx.post(f"{url}/invocations", json={"instances": [[1, 70, 3]]}).status_code == 200
    assert "cli" in run("endpoints")
    run("deploy", "churn:2", "--endpoint", "cli", "--ab", "25")
    assert "churn-v2=25" in run("endpoints")
    run("stop", "cli")
    assert "cli" not in run("endpoints")                      # stopped: only with --all
    assert "stopped" in run("endpoints", "--all")


def test_workspace_offers_the_serving_verbs_of_surface_md():
    import inspect

    from jupyter_mlops import Workspace

    for method in ("deploy", "endpoints", "endpoint", "traffic", "rollback", "stop",
                   "shadow_report", "captured"):
        assert callable(getattr(Workspace, method)), method
    params = inspect.signature(Workspace.deploy).parameters
    assert {"ref", "endpoint", "port", "workers", "capture", "token", "strategy", "percent",
            "bake", "guardrails"} <= set(params)


def test_serving_stays_out_of_the_import_path_of_the_magics():
    import subprocess
    import sys

    code = ("import sys, jupyter_mlops, jupyter_mlops.magics.serving_verbs; "
            "print(sorted(m for m in ('uvicorn', 'sklearn', 'starlette', 'jupyter_mlops._core."
            "serving.endpoint.app') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_batch_from_the_magic_and_the_cli(shell, sws, tmp_path):
    import pandas as pd

    X, _ = sws._test_data
    X.to_csv(tmp_path / "in.csv", index=False)
    job = shell.run_line_magic("mlops", f"batch churn:1 --input {tmp_path / 'in.csv'} "
                                        f"--output {tmp_path / 'a.csv'} --chunk-rows 100")
    assert (job.rows, job.chunks) == (len(X), 3)
    result = CliRunner().invoke(main, ["-w", str(sws.home), "batch", "churn:1", "-i",
                                       str(tmp_path / "in.csv"), "-o", str(tmp_path / "b.parquet")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert pd.read_parquet(tmp_path / "b.parquet")["prediction"].tolist() == \
        pd.read_csv(tmp_path / "a.csv")["prediction"].tolist()
