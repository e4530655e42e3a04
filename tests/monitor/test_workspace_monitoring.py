"""The monitor through the public API: baselines stored with versions, checks over given data and
over a real endpoint's captured traffic, quality joined by inference id, bias and attribution
baselines kept with the baseline, and the CLI / %mlops verbs mapping onto the same calls."""

from __future__ import annotations

import json
import time

import httpx
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sklearn import metrics as skm

import jupyter_mlops as mlops
from jupyter_mlops._core.errors import BaselineNotFound, InsufficientData, InvalidInput


def churn_frame(n: int, seed: int, shift: float = 0.0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "tenure": rng.integers(0, 72, n).astype(float) + 30 * shift,
        "monthly": np.abs(rng.normal(70 + 25 * shift, 20, n)),
        "support_calls": rng.poisson(2 + 3 * shift, n).astype(float),
        "senior": (rng.uniform(size=n) < 0.3).astype(float),
    })
    logit = X.support_calls * 0.8 - X.tenure * 0.05 + 0.5 * X.senior + rng.normal(0, 1, n)
    return X, pd.Series((logit > 0).astype(int), name="churned")


@pytest.fixture
def mws(ws):
    from sklearn.ensemble import RandomForestClassifier

    X, y = churn_frame(2000, 0)
    model = RandomForestClassifier(n_estimators=30, max_depth=6, random_state=0).fit(X, y)
    ws.register(model, "churn", data=X, target=y)
    ws._train = (X, y)
    yield ws
    _stop_endpoints(ws)


def _stop_endpoints(ws) -> None:
    """Stop, by pid, every endpoint a test started in this workspace."""
    from sqlalchemy import select

    from jupyter_mlops._core.serving.control import processes as process
    from jupyter_mlops._core.store import orm

    with ws.store.read() as s:
        rows = [(r.name, r.pid) for r in s.execute(select(orm.Endpoint)).scalars()]
    for name, pid in rows:
        if pid and process.is_endpoint_process(pid):
            server = ws._serving._server_info(name)
            process.stop_pid(pid, timeout=15, extra_pids=server.get("worker_pids") or [])


def test_a_baseline_is_stored_with_the_version_and_its_files_are_artifacts(mws, tmp_path):
    X, y = mws._train
    b = mws.baseline("churn:1", X, target=y)
    assert b.ref == "churn:1" and b.statistics["dataset"]["item_count"] == 2000
    assert b.extra["metrics"]["accuracy"] > 0.8  # the model scored on its baseline data
    stored = mws.baseline("churn:1")
    assert stored.id == b.id and stored.statistics == b.statistics and stored.constraints == b.constraints
    assert json.loads(mws.artifacts.get_bytes(b.extra["statistics_sha256"])) == b.statistics
    assert json.loads(mws.artifacts.get_bytes(b.extra["constraints_sha256"])) == b.constraints
    folder = stored.save(tmp_path / "baseline")
    assert json.loads((folder / "constraints.json").read_text()) == b.constraints
    assert "4 features" in stored.summary() and stored.to_frame().loc["tenure", "num_present"] == 2000
    assert mws.audit("churn").action.tolist()[-1] == "baseline"


def test_register_with_data_baselines_the_version(mws):
    b = mws.baseline("churn:1")
    assert b.statistics["dataset"]["item_count"] == 2000 and "accuracy" in b.extra["metrics"]


def test_checking_without_a_baseline_says_how_to_make_one(mws):
    mws.register(mws.load("churn:1"), "plain")
    with pytest.raises(BaselineNotFound, match=r"plain:1 has no baseline.*ws.baseline\('plain:1', data=X_train\)"):
        mws.check("plain:1", data=mws._train[0])


def test_check_on_given_data_reports_violations_and_drift(mws):
    X, y = mws._train
    mws.baseline("churn:1", X, target=y)
    calm = mws.check("churn:1", data=churn_frame(800, 1)[0])
    assert calm.violations == [] and not calm.drift.dataset_drift and calm.status() == "ok"
    shifted = churn_frame(800, 2, shift=1.0)[0].drop(columns=["senior"])
    rep = mws.check("churn", data=shifted)
    kinds = {(v["feature_name"], v["constraint_check_type"]) for v in rep.violations}
    assert ("senior", "missing_column_check") in kinds and ("monthly", "baseline_drift_check") in kinds
    assert rep.drift.dataset_drift and set(rep.drift.drifted_columns) == {"tenure", "monthly", "support_calls"}
    assert rep.has_violations and rep.status() == "alert"
    assert rep.constraint_violations()["violations"] == rep.violations


def test_per_feature_drift_settings_in_constraints_json_are_used_by_check(mws):
    from jupyter_mlops._core.monitor.monitoring import _drift_settings

    constraints = {"monitoring_config": {"drift_method": "ks", "drift_threshold": {"tenure": 0.5}},
                   "features": [{"name": "monthly", "monitoringConfigOverrides": {"drift_method": "psi",
                                                                                 "drift_threshold": 0.3}}]}
    method, threshold = _drift_settings(constraints, ["tenure", "monthly", "senior"])
    assert method == {"tenure": "ks", "monthly": "psi", "senior": "ks"}
    assert threshold == {"tenure": 0.5, "monthly": 0.3}
    rep = mws.check("churn:1", data=churn_frame(500, 9)[0])
    assert {c.column: c.method for c in rep.drift.columns}["senior"] == "jensenshannon"  # the default: auto


def test_quality_joins_labels_by_position_or_by_index(mws):
    new_X, new_y = churn_frame(400, 8, shift=0.5)
    by_position = mws.quality("churn:1", ground_truth=new_y, data=new_X)
    some = new_y.iloc[100:300]  # labels for rows 100..299 only, keyed by the window's index
    by_index = mws.quality("churn:1", ground_truth=some, data=new_X)
    preds = mws.load("churn:1").predict(new_X.iloc[100:300])
    assert by_position.n == 400 and by_index.n == 200
    assert by_index.metrics["accuracy"] == pytest.approx(skm.accuracy_score(some, preds))


def test_drift_takes_frames_or_a_model_ref_as_reference(mws):
    X, y = mws._train
    mws.baseline("churn:1", X, target=y)
    new = churn_frame(1500, 3, shift=1.0)[0]
    a = mws.drift(X, new).to_frame()
    b = mws.drift("churn:1", new).to_frame()
    pd.testing.assert_frame_equal(a, b)
    assert mws.drift(X, new, method="ks", threshold=0.01)["tenure"].method == "ks"


def test_bias_and_attribution_keep_their_baseline_values_with_the_baseline(mws):
    X, y = mws._train
    mws.baseline("churn:1", X, target=y)
    new_X, new_y = churn_frame(1000, 4, shift=1.0)
    bias = mws.bias("churn:1", new_X, new_y, facet="senior", facet_value=1.0)
    assert set(bias.groups["1.0"]) >= {"CI", "DPL", "DPPL", "DI", "AD", "RD", "DAR", "DCA"}
    assert bias.baseline and "1.0" in bias.baseline  # computed on the baseline sample...
    assert "senior" in mws.baseline("churn:1").extra["bias"]  # ...and kept for the next run
    attr = mws.attribution_drift("churn:1", new_X)
    assert attr.explainer == "tree" and set(attr.current) == set(X.columns)
    assert mws.baseline("churn:1").extra["attributions"] == attr.baseline


def test_every_report_reads_as_text_in_a_terminal(mws):
    X, y = mws._train
    baseline = mws.baseline("churn:1", X, target=y)
    new_X, new_y = churn_frame(1000, 4, shift=1.0)
    reports = {
        "Features": baseline,
        "Metrics per group": mws.bias("churn:1", new_X, new_y, facet="senior", facet_value=1.0),
        "Features (by current rank)": mws.attribution_drift("churn:1", new_X),
        "Features (most severe first)": mws.drift(X, new_X),
        "Metrics": mws.quality("churn:1", ground_truth=new_y, data=new_X),
    }
    for heading, report in reports.items():
        lines = report.to_text().splitlines()
        assert lines[0] == f"{report.title} [{report.status().upper()}]" and lines[1] == report.summary()
        table = lines[lines.index(heading) + 1:]
        assert set(table[1]) == {"-", " "}  # the rule under the header
        assert "nan" not in report.to_text() and "None" not in report.to_text()
    assert any(line.startswith("tenure ") for line in baseline.to_text().splitlines())


def test_an_endpoints_captured_traffic_is_checked_and_joined_to_ground_truth(mws):
    X, y = mws._train
    mws.baseline("churn:1", X, target=y)
    ep = mws.deploy("churn:1", "churn-live", capture=100)
    live_X, live_y = churn_frame(120, 5, shift=1.0)
    with httpx.Client(base_url=ep.url, timeout=30) as client:
        for i, row in enumerate(live_X.itertuples(index=False)):
            r = client.post("/invocations", content=",".join(map(str, row)), headers={
                "content-type": "text/csv", "x-amzn-sagemaker-inference-id": f"req-{i}"})
            assert r.status_code == 200
    deadline = time.time() + 20
    while time.time() < deadline and len(mws.captured("churn-live")) < len(live_X):
        time.sleep(0.2)
    rep = mws.check("churn-live", since="1h")
    assert rep.endpoint == "churn-live" and rep.ref == "churn:1" and rep.n_rows == 120
    assert "tenure" in rep.drift.drifted_columns and rep.status() == "alert"
    assert mws.check("churn-live", since="1h", variant="churn-v1").n_rows == 120
    with pytest.raises(InvalidInput, match="has no variant 'churn-v9'"):
        mws.check("churn-live", variant="churn-v9")
    truth = pd.DataFrame({"inference_id": [f"req-{i}" for i in range(0, 120, 2)], "label": live_y.iloc[::2].to_numpy()})
    q = mws.quality("churn-live", ground_truth=truth)
    preds = mws.load("churn:1").predict(live_X.iloc[::2])
    assert q.n == 60 and q.metrics["accuracy"] == pytest.approx(skm.accuracy_score(live_y.iloc[::2], preds))
    assert q.baseline["accuracy"] == mws.baseline("churn:1").extra["metrics"]["accuracy"]
    est = mws.quality("churn-live")
    assert est.estimated and est.n == 120
    drift_over_time = mws.concept_drift("churn-live", ground_truth=truth)
    assert drift_over_time.n == 60


def test_an_endpoint_without_captured_traffic_is_a_clear_error(mws):
    mws.baseline("churn:1", *mws._train)
    mws.deploy("churn:1", "quiet")
    with pytest.raises(InsufficientData, match="Endpoint 'quiet' captured 0 request row"):
        mws.check("quiet", since="1h")
    with pytest.raises(InvalidInput, match="a model has no captured traffic"):
        mws.check("churn:1")


def test_the_cli_maps_options_onto_the_same_calls(mws, tmp_path):
    from jupyter_mlops.cli import main

    X, y = mws._train
    X.assign(churned=y).to_csv(tmp_path / "train.csv", index=False)
    churn_frame(500, 6, shift=1.0)[0].to_csv(tmp_path / "new.csv", index=False)
    runner = CliRunner()
    r = runner.invoke(main, ["baseline", "churn:1", "--data", str(tmp_path / "train.csv"), "--target", "churned",
                             "--save", str(tmp_path / "files")], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "files" / "statistics.json").read_text())["dataset"]["item_count"] == 2000
    r = runner.invoke(main, ["--json", "check", "churn:1", "--data", str(tmp_path / "new.csv"),
                             "--save", str(tmp_path / "report.html")], catch_exceptions=False)
    assert r.exit_code == 3  # violations found: a non-zero status for cron and CI
    assert json.loads(r.output)["drift"]["dataset_drift"] is True
    assert (tmp_path / "report.constraint_violations.json").exists() and (tmp_path / "report.json").exists()
    r = runner.invoke(main, ["drift", "-r", str(tmp_path / "train.csv"), "-c", str(tmp_path / "new.csv"), "-m", "psi"],
                      catch_exceptions=False)
    assert r.exit_code == 3 and "Dataset drift detected" in r.output


def test_the_report_commands_print_their_table_and_exit_3_on_an_alert(mws, tmp_path):
    from jupyter_mlops.cli import main

    X, y = mws._train
    mws.baseline("churn:1", X, target=y)
    X.to_csv(tmp_path / "train.csv", index=False)
    new_X, new_y = churn_frame(500, 6, shift=1.0)
    new_X.to_csv(tmp_path / "new.csv", index=False)
    new_y.rename("label").to_frame().to_csv(tmp_path / "labels.csv", index=False)

    def cli(*argv):
        return CliRunner().invoke(main, list(argv), catch_exceptions=False)

    same = cli("drift", "-r", str(tmp_path / "train.csv"), "-c", str(tmp_path / "train.csv"))
    assert same.exit_code == 0, same.output
    lines = same.output.splitlines()
    assert lines[0] == "Data drift [OK]" and lines[1].startswith(f"No dataset drift: 0 of {X.shape[1]} features drifted")
    header = lines[lines.index("Features (most severe first)") + 1]
    assert header.split()[:4] == ["column", "kind", "method", "statistic"] and "drifted" in header.split()
    assert len(lines) == lines.index(header) + 2 + X.shape[1]  # the header, a rule, a row per feature

    drifted = cli("drift", "-r", str(tmp_path / "train.csv"), "-c", str(tmp_path / "new.csv"))
    assert drifted.exit_code == 3  # for cron and CI, like a failed gate
    rows = drifted.output.splitlines()
    first_row = rows[rows.index("Features (most severe first)") + 3]
    assert " yes " in first_row

    quality = cli("quality", "churn:1", "-g", str(tmp_path / "labels.csv"), "-d", str(tmp_path / "new.csv"),
                  "--threshold", "accuracy=0.999")
    assert quality.exit_code == 3, quality.output
    assert quality.output.startswith("Model quality · churn:1 [ALERT]")
    assert "Metrics\nmetric" in quality.output and "Confusion matrix" in quality.output
    table = quality.output.split("Metrics\n", 1)[1].splitlines()
    assert table[0].split() == ["metric", "value", "baseline", "limit", "violated"]
    accuracy = next(line for line in table if line.startswith("accuracy "))
    assert accuracy.split()[-2:] == ["0.999", "yes"]  # its limit, violated

    checked = cli("check", "churn:1", "--data", str(tmp_path / "train.csv"))
    assert checked.exit_code == 0 and checked.output.startswith("Monitoring check · churn:1 [OK]")


def test_the_magic_verbs_map_onto_the_same_calls(mws, shell):
    ip = shell
    X, y = mws._train
    new = churn_frame(600, 7, shift=1.0)[0]
    ip.user_ns.update(X_train=X, y_train=y, X_new=new)
    b = ip.run_line_magic("mlops", "baseline churn:1 --data X_train --target y_train")
    assert isinstance(b, type(mws.baseline("churn:1"))) and b.id == mws.baseline("churn:1").id
    rep = ip.run_line_magic("mlops", "drift --reference X_train --current X_new --method wasserstein --threshold 0.2")
    assert rep["tenure"].method == "wasserstein" and rep["tenure"].threshold == 0.2
    rep = ip.run_line_magic("mlops", "check churn:1 --data X_new -o checked")
    assert ip.user_ns["checked"] is rep and rep.drift.dataset_drift
    assert mlops.Workspace().home == mws.home
