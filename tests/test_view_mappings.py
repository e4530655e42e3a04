"""Every %mlops verb and every mlops command is one Workspace call: the tables below are the spec.

Each row is what a user types -> the Workspace call it makes, checked with the Workspace class
patched (autospec, so a call the real signature would refuse fails too), as papermill's CLI tests
patch ``execute_notebook`` and ``assert_called_once_with``. What the result then looks like on
screen is not checked here (tests/test_cli.py, tests/test_magics.py run the real thing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from unittest.mock import ANY, call, patch

import click
import pytest
from click.testing import CliRunner
from IPython.core.error import UsageError

from jupyter_mlops._core.errors import InvalidInput
from jupyter_mlops.cli import main
from jupyter_mlops.magics._verbs import VERBS


#: the report commands and the Workspace call each makes; each exits 3 on an "alert" report
REPORT_COMMANDS = {"check": "check", "drift": "drift", "quality": "quality", "bias": "bias",
                   "attribution": "attribution_drift", "concept-drift": "concept_drift"}


@pytest.fixture
def ws():
    """The Workspace every view constructs, patched; the one instance they all get."""
    with patch("jupyter_mlops._core.workspace.Workspace", autospec=True) as cls:
        instance = cls.return_value
        instance.home = object()  # the magics keep their Workspace while its home stays the same
        for report in REPORT_COMMANDS.values():  # else the report command exits 3
            getattr(instance, report).return_value.status.return_value = "ok"
        instance.verify_audit.return_value.ok = True  # else mlops verify-audit exits 1
        instance.reproduce.return_value.status = "PASS"  # else mlops reproduce exits 3
        instance.watch.return_value.failed = False  # else mlops watch exits 3
        yield instance


def assert_workspace_calls(ws, expected: list) -> None:
    """``expected``: the one Workspace call (and, for ``ws.endpoint(name)``, the handle's call)."""
    assert [c[0] for c in ws.method_calls] == [c[0] for c in expected if "()" not in c[0]]
    for name, args, kwargs in expected:
        target = ws
        *handles, method = name.split(".")
        for handle in handles:
            target = getattr(target, handle.removesuffix("()")).return_value
        getattr(target, method).assert_called_once_with(*args, **kwargs)


# -- %mlops ------------------------------------------------------------------------------------

class Var:
    """A notebook variable; ``columns`` for the DataFrames whose columns --target may name."""

    def __init__(self, name: str, columns: tuple = ()):
        self.name, self.columns = name, columns

    def __repr__(self) -> str:
        return self.name


NS = {v.name: v for v in (Var("clf"), Var("train", columns=("tenure", "plan", "churned")), Var("y_train"),
                          Var("X_new"), Var("labels"), Var("rows"), Var("errors"), Var("stats"))}
clf, train, y_train, X_new, labels, rows, errors, stats = NS.values()

DEPLOY_DEFAULTS = dict(port=None, workers=1, capture=0, token=None, strategy=None, percent=None, bake=None,
                       guardrails=None, variant=None, compiled=True)
RETRAIN_DEFAULTS = dict(parameters=None, gate=None, deploy=None, timeout=None, retries=0, promote=None, endpoint=None)
SWEEP_DEFAULTS = dict(grid=None, trials=None, workers=2, gate=None, deploy=None, promote=None, endpoint=None,
                      timeout=None, metric=None, direction="max")
REGISTER_DEFAULTS = dict(data=None, target=None, metrics={}, params={}, tags={}, description=None, alias=None)

MAGICS = [
    ("", [call.status()]),
    # registry
    ("register clf --name churn", [call.register(clf, "churn", **REGISTER_DEFAULTS)]),
    ("register clf -n churn --data train --target y_train --metric auc=0.91 f1=0.5 --param C=1.0 "
     "--param solver=lbfgs --tag team=growth --description first --alias staging",
     [call.register(clf, "churn", data=train, target=y_train, metrics={"auc": 0.91, "f1": 0.5},
                    params={"C": 1.0, "solver": "lbfgs"}, tags={"team": "growth"}, description="first",
                    alias="staging")]),
    ("models", [call.models()]),
    ("versions churn", [call.versions("churn")]),
    ("versions", [call.versions(None)]),
    ("show churn@production", [call.get("churn@production")]),
    ("load churn:3", [call.load("churn:3")]),
    ("promote churn:3 --to production", [call.promote("churn:3", "production")]),
    ("approve churn:3 --comment offline eval ok", [call.approve("churn:3", comment="offline eval ok")]),
    ("approve churn:3", [call.approve("churn:3", comment=None)]),
    ("reject churn:2 -m worse", [call.reject("churn:2", comment="worse")]),
    ("diff churn:1 churn:2", [call.diff("churn:1", "churn:2")]),
    ("archive churn:2", [call.archive("churn:2")]),
    ("audit", [call.audit(None)]),
    ("audit churn", [call.audit("churn")]),
    ("audit --verify", [call.verify_audit()]),
    ("verify-audit", [call.verify_audit()]),
    ("audit-anchor", [call.audit_anchor()]),
    ("trust", [call.trusted_keys()]),
    ("trust list", [call.trusted_keys()]),
    ("trust key", [call.signing_key()]),
    ("trust add s1MxLG6PIvKOAFGIHlMRFhmFL906mqUsLgyH2TEVPLA= --name alice",
     [call.trust("s1MxLG6PIvKOAFGIHlMRFhmFL906mqUsLgyH2TEVPLA=", "alice")]),
    ("trust remove d6842457e024d78c", [call.untrust("d6842457e024d78c")]),
    ("policy", [call.policy(require_approval=None, require_reproduction=None, min_approvers=None)]),
    ("policy --require-approval --require-reproduction --min-approvers 2",
     [call.policy(require_approval=True, require_reproduction=True, min_approvers=2)]),
    ("policy --no-require-approval",
     [call.policy(require_approval=False, require_reproduction=None, min_approvers=None)]),
    ("dataset save train --name train", [call.save_dataset(train, "train")]),
    ("dataset load train:3", [call.dataset("train:3")]),
    ("datasets", [call.datasets()]),
    # serving
    ("deploy churn:1 --endpoint churn", [call.deploy("churn:1", "churn", **DEPLOY_DEFAULTS)]),
    ("deploy churn:1", [call.deploy("churn:1", None, **DEPLOY_DEFAULTS)]),  # the core names it after the model
    ("deploy churn:2 -e churn --port 8080 --workers 2 --capture 10 --token s3cret --variant v2 --canary 10 "
     "--bake 600 --max-error-rate 0.02 --max-p99-ms 50",
     [call.deploy("churn:2", "churn", port=8080, workers=2, capture=10.0, token="s3cret", strategy="canary",
                  percent=10.0, bake=600.0, guardrails={"max_error_rate": 0.02, "max_p99_ms": 50.0}, variant="v2",
                  compiled=True)]),
    ("deploy churn:1 --no-compiled", [call.deploy("churn:1", None, **{**DEPLOY_DEFAULTS, "compiled": False})]),
    ("deploy churn:1 --async-concurrency 2 --async-output s3://b/out --async-notify-error http://h/e",
     [call.deploy("churn:1", None, **{**DEPLOY_DEFAULTS, "async_concurrency": 2, "async_output": "s3://b/out",
                                      "async_notify": {"error": "http://h/e"}})]),
    ("deploy churn:1 --serverless --idle 2 --max-concurrency 3 --provisioned 1",
     [call.deploy("churn:1", None, **{**DEPLOY_DEFAULTS, "serverless": True, "idle": 2.0,
                                      "max_concurrency": 3, "provisioned": 1})]),
    ("deploy churn:1 --serverless", [call.deploy("churn:1", None, **{**DEPLOY_DEFAULTS, "serverless": True})]),
    ("deploy churn:2 -e churn --linear 25", [call.deploy("churn:2", "churn", **{
        **DEPLOY_DEFAULTS, "strategy": "linear", "percent": 25.0})]),
    ("deploy churn:2 -e churn --blue-green --max-p99-ms 80", [call.deploy("churn:2", "churn", **{
        **DEPLOY_DEFAULTS, "strategy": "blue_green", "guardrails": {"max_p99_ms": 80.0}})]),
    ("deploy churn:2 -e churn --shadow 5", [call.deploy("churn:2", "churn", **{
        **DEPLOY_DEFAULTS, "strategy": "shadow", "percent": 5.0})]),
    ("deploy churn:2 -e churn --ab 50", [call.deploy("churn:2", "churn", **{
        **DEPLOY_DEFAULTS, "strategy": "ab", "percent": 50.0})]),
    ("deploy churn:2 -e churn --canary 10 --bake 2 --wait", [call.deploy("churn:2", "churn", **{
        **DEPLOY_DEFAULTS, "strategy": "canary", "percent": 10.0, "bake": 2.0, "wait": True, "on_update": ANY})]),
    ("deploy churn:1 churn:2 churn:3 -e many --multi-model --max-models 2 --max-memory-mb 64",
     [call.deploy(["churn:1", "churn:2", "churn:3"], "many", **{
         **DEPLOY_DEFAULTS, "multi_model": True, "max_models": 2, "max_memory_mb": 64.0})]),
    ("deploy churn:1 churn:2 --multi-model", [call.deploy(["churn:1", "churn:2"], None, **{
        **DEPLOY_DEFAULTS, "multi_model": True})]),
    ("watch churn", [call.watch("churn", timeout=None, on_update=ANY)]),
    ("watch churn --timeout 30", [call.watch("churn", timeout=30.0, on_update=ANY)]),
    ("endpoints", [call.endpoints(all=False)]),
    ("endpoints --all", [call.endpoints(all=True)]),
    ("traffic churn churn-v1=50 churn-v2=12.5", [call.traffic("churn", {"churn-v1": 50.0, "churn-v2": 12.5})]),
    ("rollback churn", [call.rollback("churn")]),
    ("invoke churn --data rows", [call.endpoint("churn"), call.endpoint().predict(rows, variant=None)]),
    ("invoke churn -d rows --variant churn-v2",
     [call.endpoint("churn"), call.endpoint().predict(rows, variant="churn-v2")]),
    ("invoke many -d rows --model tiny:3",
     [call.endpoint("many"), call.endpoint().predict(rows, variant=None, model="tiny:3")]),
    ("logs churn", [call.endpoint("churn"), call.endpoint().logs()]),
    ("stop churn", [call.stop("churn")]),
    ("shadow-report churn", [call.shadow_report("churn")]),
    ("history churn", [call.endpoint_history("churn", last=None)]),
    ("history churn --last 15min", [call.endpoint_history("churn", last="15min")]),
    ("captured churn", [call.captured("churn", since=None, with_ground_truth=False)]),
    ("captured churn --since 1h --with-ground-truth", [call.captured("churn", since="1h", with_ground_truth=True)]),
    ("batch churn:1 --input in.csv --output out.parquet",
     [call.batch("churn:1", "in.csv", "out.parquet", chunk_rows=10_000, workers=1, dask=None, join_input=True, split="Line", assemble="Line", errors="raise", job_id=None, resume=False)]),
    ("batch churn:1 -i in/ --output out/ --no-join-input --split None --assemble none --errors file "
     "--job-id nightly --resume",
     [call.batch("churn:1", "in/", "out/", chunk_rows=10_000, workers=1, dask=None, join_input=False,
                 split=None, assemble=None, errors="file", job_id="nightly", resume=True)]),
    ("batch-jobs", [call.batch_jobs()]),
    # (-o is %mlops's own "keep the result as": batch's -o short form cannot be typed here)
    ("batch churn:1 -i s3://b/in.csv --output out.csv --chunk-rows 100 --workers 2 --dask tcp://127.0.0.1:8786",
     [call.batch("churn:1", "s3://b/in.csv", "out.csv", chunk_rows=100, workers=2, dask="tcp://127.0.0.1:8786",
                 join_input=True, split="Line", assemble="Line", errors="raise", job_id=None, resume=False)]),
    # replay and ground truth
    ("replay churn:4 --endpoint churn", [call.replay("churn:4", "churn", since=None)]),
    ("replay churn:4 -e churn --since 1d", [call.replay("churn:4", "churn", since="1d")]),
    ("ground-truth churn --labels labels", [call.ground_truth("churn", labels)]),
    ("ground-truth churn -l labels", [call.ground_truth("churn", labels)]),
    # monitoring
    ("baseline churn:1", [call.baseline("churn:1", None, target=None)]),
    ("baseline churn:1 --data train", [call.baseline("churn:1", train, target=None)]),
    ("baseline churn:1 --data train --target churned", [call.baseline("churn:1", train, target="churned")]),
    ("baseline churn:1 -d train -t y_train", [call.baseline("churn:1", train, target=y_train)]),
    ("import-baseline churn:1 --statistics stats.json --constraints cons.json",
     [call.import_baseline("churn:1", "stats.json", "cons.json")]),
    ("import-baseline churn:1 -s stats -c cons.json", [call.import_baseline("churn:1", stats, "cons.json")]),
    ("check churn", [call.check("churn", data=None, since=None, variant=None)]),
    ("check churn --since 1h --variant churn-v2", [call.check("churn", data=None, since="1h", variant="churn-v2")]),
    ("check churn:1 --data X_new", [call.check("churn:1", data=X_new, since=None, variant=None)]),
    ("drift --reference train --current X_new",
     [call.drift(train, X_new, method="auto", threshold=None, drift_share=0.5)]),
    ("drift -r train -c X_new --method psi --threshold 0.2 --drift-share 0.3",
     [call.drift(train, X_new, method="psi", threshold=0.2, drift_share=0.3)]),
    ("drift -r churn:1 -c X_new", [call.drift("churn:1", X_new, method="auto", threshold=None, drift_share=0.5)]),
    ("drift -r churn@production -c X_new",
     [call.drift("churn@production", X_new, method="auto", threshold=None, drift_share=0.5)]),
    ("quality churn", [call.quality("churn", None, data=None, since=None, thresholds=None)]),
    ("quality churn -g labels --since 1h --threshold accuracy=0.8 mae=3",
     [call.quality("churn", labels, data=None, since="1h", thresholds={"accuracy": 0.8, "mae": 3})]),
    ("quality churn:1 --data X_new --ground-truth y_train",
     [call.quality("churn:1", y_train, data=X_new, since=None, thresholds=None)]),
    ("bias churn:1 --data train --target churned --facet plan",
     [call.bias("churn:1", train, "churned", "plan", facet_value=None, label_value=None)]),
    ("bias churn:1 -d train -t y_train -f plan --facet-value 1 --label-value yes",
     [call.bias("churn:1", train, y_train, "plan", facet_value=1.0, label_value="yes")]),
    ("attribution churn:1 --data X_new", [call.attribution_drift("churn:1", X_new)]),
    ("concept-drift churn", [call.concept_drift("churn", None, data=None, since=None, stream=None)]),
    ("concept-drift churn -g labels --since 1h",
     [call.concept_drift("churn", labels, data=None, since="1h", stream=None)]),
    ("concept-drift churn:1 --data X_new --stream errors",
     [call.concept_drift("churn:1", None, data=X_new, since=None, stream=errors)]),
    # scheduler
    ("monitor churn", [call.monitor("churn", every=None, on_violation="alert", webhook=None, since=None, cron=None,
                                    timezone=None)]),
    ("monitor churn --every 30m", [call.monitor("churn", every="30m", on_violation="alert", webhook=None,
                                                since=None, cron=None, timezone=None)]),
    ('monitor churn --cron "0 3 * * 1-5" --timezone UTC --on-violation retrain --webhook http://127.0.0.1:9/hook '
     "--since 2h",
     [call.monitor("churn", every=None, on_violation="retrain", webhook="http://127.0.0.1:9/hook", since="2h",
                   cron="0 3 * * 1-5", timezone="UTC")]),
    ("schedules", [call.schedules()]),
    ("unschedule monitor-churn", [call.unschedule("monitor-churn")]),
    ("runs", [call.runs(None, limit=200)]),
    ("runs monitor-churn --limit 5", [call.runs("monitor-churn", limit=5)]),
    ("run-now monitor-churn", [call.run_now("monitor-churn", wait=True)]),
    ("run-now monitor-churn --no-wait", [call.run_now("monitor-churn", wait=False)]),
    ("reports", [call.reports(None, limit=20)]),
    ("reports churn --limit 5", [call.reports("churn", limit=5)]),
    ("report 12", [call.report("12")]),
    ("drift-history churn", [call.drift_history("churn", last=None)]),
    ("drift-history churn --last 7d", [call.drift_history("churn", last="7d")]),
    ("scheduler", [call.scheduler_status()]),
    ("scheduler status", [call.scheduler_status()]),
    ("scheduler start", [call.start_scheduler()]),
    ("scheduler stop", [call.stop_scheduler(timeout=30.0)]),
    ("scheduler stop --timeout 10", [call.stop_scheduler(timeout=10.0)]),
    ("scheduler log", [call.scheduler_log(50)]),
    ("scheduler log -n 3", [call.scheduler_log(3)]),
    # retraining
    ("retrain churn --notebook train.ipynb", [call.retrain("churn", "train.ipynb", **RETRAIN_DEFAULTS)]),
    ('retrain churn --notebook nb/train.ipynb -p max_depth 8 -p solver lbfgs --gate "auc >= production.auc - 0.005" '
     "--deploy canary:10:bake=60 --promote production --endpoint churn-prod --timeout 600 --retries 2",
     [call.retrain("churn", "nb/train.ipynb", parameters={"max_depth": 8, "solver": "lbfgs"},
                   gate="auc >= production.auc - 0.005", deploy="canary:10:bake=60", timeout=600.0, retries=2,
                   promote="production", endpoint="churn-prod")]),
    ("reproduce churn:4", [call.reproduce("churn:4", tolerance=None)]),
    ("reproduce churn:4 --tolerance 0.001", [call.reproduce("churn:4", tolerance={"abs": 0.001})]),
    ("reproduce churn:4 --tolerance abs=0.01 rel=0.1", [call.reproduce("churn:4", tolerance={"abs": 0.01, "rel": 0.1})]),
    ("pipeline churn --steps prep.ipynb train.ipynb evaluate.ipynb",
     [call.pipeline("churn", ["prep.ipynb", "train.ipynb", "evaluate.ipynb"], **RETRAIN_DEFAULTS, cache=True)]),
    ("pipeline churn --steps prep.ipynb train.ipynb -p rows 1000 --no-cache --gate auc>0.8",
     [call.pipeline("churn", ["prep.ipynb", "train.ipynb"], **{**RETRAIN_DEFAULTS, "parameters": {"rows": 1000},
                                                               "gate": "auc>0.8"}, cache=False)]),
    ('schedule churn --notebook train.ipynb --cron "0 3 * * *"',
     [call.schedule("churn", "train.ipynb", cron="0 3 * * *", every=None, on_drift=None, timezone=None,
                    **RETRAIN_DEFAULTS)]),
    ("schedule churn --notebook train.ipynb --on-drift churn -p max_depth 4 --gate auc>=production.auc "
     "--deploy canary:10",
     [call.schedule("churn", "train.ipynb", cron=None, every=None, on_drift="churn", timezone=None, **{
         **RETRAIN_DEFAULTS, "parameters": {"max_depth": 4}, "gate": "auc>=production.auc", "deploy": "canary:10"})]),
    ("schedule churn --notebook prep.ipynb train.ipynb --every 1d",
     [call.schedule("churn", ["prep.ipynb", "train.ipynb"], cron=None, every="1d", on_drift=None, timezone=None,
                    **RETRAIN_DEFAULTS)]),
    ("""sweep churn --notebook train.ipynb --grid '{"C": [0.1, 1, 10], "max_depth": [4, 8]}'""",
     [call.sweep("churn", "train.ipynb", **{**SWEEP_DEFAULTS, "grid": {"C": [0.1, 1, 10], "max_depth": [4, 8]}})]),
    ("""sweep churn --notebook nb/train.ipynb --trials '[{"C": 0.1}, {"C": 1, "fit_intercept": false}]' """
     '--workers 4 --metric loss --direction min --gate "loss <= production.loss" --promote production '
     "--deploy canary:10 -e churn-prod --timeout 300",
     [call.sweep("churn", "nb/train.ipynb", **{
         **SWEEP_DEFAULTS, "trials": [{"C": 0.1}, {"C": 1, "fit_intercept": False}], "workers": 4, "metric": "loss",
         "direction": "min", "gate": "loss <= production.loss", "promote": "production", "deploy": "canary:10",
         "endpoint": "churn-prod", "timeout": 300.0})]),
]


# %mlops panel builds the control panel over the view's Workspace (the panel's own calls are
# tests/widgets' business): the widgets' entry is patched, and no Workspace call is made here.
PANELS = [
    ("panel", dict(part=None, interval=3.0)),
    ("panel endpoints --interval 10", dict(part="endpoints", interval=10.0)),
]


@pytest.fixture
def ip(shell, monkeypatch):
    for name, value in NS.items():
        monkeypatch.setitem(shell.user_ns, name, value)
    return shell


@pytest.mark.parametrize("line, expected", MAGICS, ids=[line or "(bare)" for line, _ in MAGICS])
def test_magic_verb_maps_to_one_workspace_call(ip, ws, line, expected):
    ip.run_line_magic("mlops", line)
    assert_workspace_calls(ws, expected)


@pytest.mark.parametrize("line, kwargs", PANELS, ids=[line for line, _ in PANELS])
def test_panel_verb_builds_the_panel_over_the_workspace(ip, ws, line, kwargs):
    with patch("jupyter_mlops.widgets.panel", autospec=True) as panel:
        returned = ip.run_line_magic("mlops", line)
    panel.assert_called_once_with(ws, **kwargs)
    assert returned is panel.return_value and ws.method_calls == []


def test_every_magic_verb_has_a_mapping_row():
    from jupyter_mlops.magics import _import_verbs

    _import_verbs()  # VERBS fills as %load_ext imports the verb modules
    mapped = {line.split()[0] for line, _ in MAGICS + PANELS if line}
    assert set(VERBS) - mapped == set(), "add a row to MAGICS for each new verb"
    assert mapped - set(VERBS) == set(), "a row names a verb that no longer exists"


def test_the_cell_body_of_register_is_its_description(ip, ws):
    ip.run_cell_magic("mlops", "register clf --name churn", "Trained on Q3 data.\nOwner: growth.")
    assert_workspace_calls(ws, [call.register(clf, "churn", **{
        **REGISTER_DEFAULTS, "description": "Trained on Q3 data.\nOwner: growth."})])


def test_out_keeps_what_the_workspace_call_returned(ip, ws, monkeypatch):
    monkeypatch.delitem(ip.user_ns, "shown", raising=False)
    returned = ip.run_line_magic("mlops", "show churn:1 -o shown")
    assert returned is ws.get.return_value and ip.user_ns.pop("shown") is returned
    ip.run_cell("kept = %mlops show churn:1")
    assert ip.user_ns.pop("kept") is ws.get.return_value


@pytest.mark.parametrize("line, message", [
    ("deploy churn:2 --endpoint churn --canary 10 --ab 5",
     r"^Choose one of --canary, --linear, --blue-green, --shadow, --ab\.$"),
    ("deploy churn:2 --endpoint churn --linear 10 --blue-green", "^Choose one of"),
    ("deploy churn:1 churn:2 -e many", r"^Several model versions \(churn:1, churn:2\) need --multi-model"),
    ("traffic churn churn-v1", r"^traffic expects VARIANT=WEIGHT, got 'churn-v1'\.$"),
    ("traffic churn churn-v1=half", r"^traffic 'churn-v1=half': the weight must be a number\.$"),
    ("register clf --name churn --tag team", r"^--tag expects KEY=VALUE, got 'team'\.$"),
    ("quality churn --threshold accuracy", r"^--threshold expects KEY=VALUE, got 'accuracy'\.$"),
    ("baseline churn:1 --data train --target nothing_here", "no variable named 'nothing_here'"),
    ("dataset save train", "needs --name"),
    ("retrain churn --notebook t.ipynb -p C 1 -p C 2", r"^-p C is given twice; give each parameter once\.$"),
    ("retrain churn --notebook t.ipynb -p 2x 1", r"'2x' is not a parameter name"),
    ("sweep churn --notebook t.ipynb --grid '{C: [1, 2]}'",
     r"^--grid '\{C: \[1, 2\]\}' is neither JSON nor a Python literal; quote it, e\.g\. --grid '\{\"C\""),
    ("""sweep churn --notebook t.ipynb --trials '{"C": [1, 2]}'""", r"^--trials expects a JSON array, e\.g\."),
    ("reproduce churn:4 --tolerance tight", r"^--tolerance 'tight' is not a number: give 0.001 \(absolute\)"),
    ("reproduce churn:4 --tolerance rel=much", r"^--tolerance 'rel=much': the value must be a number\.$"),
    ("show churn:1 -o 1x", r"^-o 1x: not a valid Python variable name\.$"),
    ("models --out", r"^--out needs the name of a variable to store the result in\.$"),
])
def test_bad_options_are_usage_errors_before_any_workspace_call(ip, ws, line, message):
    with pytest.raises(UsageError, match=message):
        ip.run_line_magic("mlops", line)
    assert ws.method_calls == []


def test_an_invalid_input_from_the_workspace_call_itself_stays_catchable_as_such(ip, ws):
    ws.monitor.side_effect = InvalidInput("every='soon' is not an interval.")
    with pytest.raises(InvalidInput, match="every='soon'"):
        ip.run_line_magic("mlops", "monitor churn --every soon")


# -- mlops -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Read:
    """What a file option became: ``Read("frame", "X.csv")`` is the table read from X.csv."""

    kind: str
    path: str
    columns: tuple = field(default=("tenure", "plan", "churned"), compare=False, repr=False)


def _reader(kind):
    return lambda path: None if path is None else Read(kind, path)


@pytest.fixture
def files(tmp_path, monkeypatch):
    """The files named in CLI, existing (click checks some) but read by stand-ins: how a file is
    read is tests/test_inputs.py's business, which call it feeds is this file's."""
    monkeypatch.chdir(tmp_path)
    for name in ("model.skops", "X.csv", "y.csv"):
        (tmp_path / name).touch()
    with patch.multiple("jupyter_mlops._core.inputs", read_frame=_reader("frame"), read_labels=_reader("labels"),
                        read_model=_reader("model"), write_frame=lambda frame, path: None,
                        write_model=lambda model, path: None):
        yield tmp_path


CLI = [
    ([], [call.status()]),
    (["--json", "models"], [call.models()]),
    # registry
    (["register", "model.skops", "--name", "churn"],
     [call.register(Read("model", "model.skops"), "churn", **REGISTER_DEFAULTS)]),
    (["register", "model.skops", "-n", "churn", "--data", "X.csv", "--target", "y.csv", "--metric", "auc=0.91",
      "--metric", "f1=0.5", "--param", "C=1.0", "--tag", "team=growth", "--description", "from CI",
      "--alias", "staging"],
     [call.register(Read("model", "model.skops"), "churn", data=Read("frame", "X.csv"), target=Read("labels", "y.csv"),
                    metrics={"auc": 0.91, "f1": 0.5}, params={"C": 1.0}, tags={"team": "growth"},
                    description="from CI", alias="staging")]),
    (["models"], [call.models()]),
    (["versions", "churn"], [call.versions("churn")]),
    (["versions"], [call.versions(None)]),
    (["show", "churn@production"], [call.get("churn@production")]),
    (["load", "churn@production", "-o", "back.skops"], [call.load("churn@production")]),
    (["promote", "churn:1", "--to", "production"], [call.promote("churn:1", "production")]),
    (["approve", "churn:1", "-m", "ok"], [call.approve("churn:1", comment="ok")]),
    (["approve", "churn:1"], [call.approve("churn:1", comment=None)]),
    (["reject", "churn:2", "--comment", "worse"], [call.reject("churn:2", comment="worse")]),
    (["diff", "churn:1", "churn:2"], [call.diff("churn:1", "churn:2", changed_only=True)]),
    (["diff", "churn:1", "churn:2", "--all"], [call.diff("churn:1", "churn:2", changed_only=False)]),
    (["archive", "churn:2"], [call.archive("churn:2")]),
    (["audit"], [call.audit(None)]),
    (["audit", "churn"], [call.audit("churn")]),
    (["verify-audit"], [call.verify_audit()]),
    (["audit-anchor"], [call.audit_anchor()]),
    (["trust"], [call.trusted_keys()]),
    (["trust", "list"], [call.trusted_keys()]),
    (["trust", "key"], [call.signing_key()]),
    (["trust", "add", "s1MxLG6PIvKOAFGIHlMRFhmFL906mqUsLgyH2TEVPLA=", "--name", "alice"],
     [call.trust("s1MxLG6PIvKOAFGIHlMRFhmFL906mqUsLgyH2TEVPLA=", "alice")]),
    (["trust", "remove", "d6842457e024d78c"], [call.untrust("d6842457e024d78c")]),
    (["policy"], [call.policy(require_approval=None, require_reproduction=None, min_approvers=None)]),
    (["policy", "--require-approval", "--no-require-reproduction", "--min-approvers", "2"],
     [call.policy(require_approval=True, require_reproduction=False, min_approvers=2)]),
    (["datasets"], [call.datasets()]),
    (["dataset", "save", "X.csv", "--name", "train"], [call.save_dataset(Read("frame", "X.csv"), "train")]),
    (["dataset", "load", "train:1", "-o", "back.parquet"], [call.dataset("train:1")]),
    # serving
    (["deploy", "churn:1", "--endpoint", "churn"], [call.deploy("churn:1", "churn", **DEPLOY_DEFAULTS)]),
    (["deploy", "churn:1"], [call.deploy("churn:1", None, **DEPLOY_DEFAULTS)]),
    (["deploy", "churn:2", "-e", "churn", "--port", "8080", "--workers", "2", "--capture", "10", "--token", "s3cret",
      "--variant", "v2", "--canary", "10", "--bake", "600", "--max-error-rate", "0.02", "--max-p99-ms", "50"],
     [call.deploy("churn:2", "churn", port=8080, workers=2, capture=10.0, token="s3cret", strategy="canary",
                  percent=10.0, bake=600.0, guardrails={"max_error_rate": 0.02, "max_p99_ms": 50.0}, variant="v2",
                  compiled=True)]),
    (["deploy", "churn:1", "--no-compiled"], [call.deploy("churn:1", None, **{**DEPLOY_DEFAULTS, "compiled": False})]),
    (["deploy", "churn:1", "--async-concurrency", "2", "--async-notify-success", "http://h/ok"],
     [call.deploy("churn:1", None, **{**DEPLOY_DEFAULTS, "async_concurrency": 2,
                                      "async_notify": {"success": "http://h/ok"}})]),
    (["deploy", "churn:1", "--serverless", "--idle", "2", "--max-concurrency", "3", "--provisioned", "1"],
     [call.deploy("churn:1", None, **{**DEPLOY_DEFAULTS, "serverless": True, "idle": 2.0,
                                      "max_concurrency": 3, "provisioned": 1})]),
    (["deploy", "churn:2", "-e", "churn", "--linear", "25"],
     [call.deploy("churn:2", "churn", **{**DEPLOY_DEFAULTS, "strategy": "linear", "percent": 25.0})]),
    (["deploy", "churn:2", "-e", "churn", "--blue-green", "--max-error-rate", "0.05"],
     [call.deploy("churn:2", "churn", **{**DEPLOY_DEFAULTS, "strategy": "blue_green",
                                         "guardrails": {"max_error_rate": 0.05}})]),
    (["deploy", "churn:2", "-e", "churn", "--shadow", "5"],
     [call.deploy("churn:2", "churn", **{**DEPLOY_DEFAULTS, "strategy": "shadow", "percent": 5.0})]),
    (["deploy", "churn:2", "-e", "churn", "--ab", "25"],
     [call.deploy("churn:2", "churn", **{**DEPLOY_DEFAULTS, "strategy": "ab", "percent": 25.0})]),
    (["deploy", "churn:1", "churn:2", "-e", "many", "--multi-model", "--max-models", "10"],
     [call.deploy(["churn:1", "churn:2"], "many", **{**DEPLOY_DEFAULTS, "multi_model": True, "max_models": 10})]),
    (["endpoints"], [call.endpoints(all=False)]),
    (["endpoints", "--all"], [call.endpoints(all=True)]),
    (["traffic", "churn", "churn-v1=50", "churn-v2=12.5"],
     [call.traffic("churn", {"churn-v1": 50.0, "churn-v2": 12.5})]),
    (["rollback", "churn"], [call.rollback("churn")]),
    (["deploy", "churn:2", "-e", "churn", "--canary", "10", "--wait"], [call.deploy("churn:2", "churn", **{
        **DEPLOY_DEFAULTS, "strategy": "canary", "percent": 10.0, "wait": True, "on_update": ANY})]),
    (["watch", "churn"], [call.watch("churn", timeout=None, on_update=ANY)]),
    (["watch", "churn", "--timeout", "5"], [call.watch("churn", timeout=5.0, on_update=ANY)]),
    (["invoke", "churn", "--data", "rows.csv"],
     [call.endpoint("churn"), call.endpoint().predict(Read("frame", "rows.csv"), variant=None)]),
    (["invoke", "churn", "-d", "rows.parquet", "--variant", "churn-v2"],
     [call.endpoint("churn"), call.endpoint().predict(Read("frame", "rows.parquet"), variant="churn-v2")]),
    (["invoke", "many", "-d", "rows.csv", "-m", "tiny:3"],
     [call.endpoint("many"), call.endpoint().predict(Read("frame", "rows.csv"), variant=None, model="tiny:3")]),
    (["logs", "churn"], [call.endpoint("churn"), call.endpoint().logs()]),
    (["stop", "churn"], [call.stop("churn")]),
    (["shadow-report", "churn"], [call.shadow_report("churn")]),
    (["history", "churn", "--last", "15min"], [call.endpoint_history("churn", last="15min")]),
    (["captured", "churn"], [call.captured("churn", since=None, with_ground_truth=False)]),
    (["captured", "churn", "--since", "1h", "--with-ground-truth"],
     [call.captured("churn", since="1h", with_ground_truth=True)]),
    (["batch", "churn:1", "--input", "in.csv", "--output", "out.parquet"],
     [call.batch("churn:1", "in.csv", "out.parquet", chunk_rows=10_000, workers=1, dask=None, join_input=True, split="Line", assemble="Line", errors="raise", job_id=None, resume=False)]),
    (["batch", "churn:1", "-i", "in/", "-o", "out/", "--no-join-input", "--split", "None", "--assemble",
      "None", "--errors", "file", "--job-id", "nightly", "--resume"],
     [call.batch("churn:1", "in/", "out/", chunk_rows=10_000, workers=1, dask=None, join_input=False,
                 split=None, assemble=None, errors="file", job_id="nightly", resume=True)]),
    (["batch-jobs"], [call.batch_jobs()]),
    (["batch", "churn:1", "-i", "s3://b/in.csv", "-o", "out.csv", "--chunk-rows", "100", "--workers", "2",
      "--dask", "tcp://127.0.0.1:8786"],
     [call.batch("churn:1", "s3://b/in.csv", "out.csv", chunk_rows=100, workers=2, dask="tcp://127.0.0.1:8786",
                 join_input=True, split="Line", assemble="Line", errors="raise", job_id=None, resume=False)]),
    # replay and ground truth
    (["replay", "churn:4", "--endpoint", "churn"], [call.replay("churn:4", "churn", since=None)]),
    (["replay", "churn:4", "-e", "churn", "--since", "1d"], [call.replay("churn:4", "churn", since="1d")]),
    (["ground-truth", "churn", "--labels", "gt.csv"], [call.ground_truth("churn", Read("frame", "gt.csv"))]),
    (["ground-truth", "churn", "-l", "gt.parquet"], [call.ground_truth("churn", Read("frame", "gt.parquet"))]),
    # monitoring
    (["baseline", "churn:1"], [call.baseline("churn:1", None, target=None)]),
    (["baseline", "churn:1", "--data", "X.csv", "--target", "churned"],
     [call.baseline("churn:1", Read("frame", "X.csv"), target="churned")]),
    (["baseline", "churn:1", "-d", "X.csv", "-t", "y.csv", "--save", "files"],
     [call.baseline("churn:1", Read("frame", "X.csv"), target=Read("labels", "y.csv"))]),
    (["import-baseline", "churn:1", "--statistics", "statistics.json", "--constraints", "constraints.json"],
     [call.import_baseline("churn:1", "statistics.json", "constraints.json")]),
    (["import-baseline", "churn:1", "-s", "s.json", "-c", "c.json"], [call.import_baseline("churn:1", "s.json", "c.json")]),
    (["check", "churn"], [call.check("churn", data=None, since=None, variant=None)]),
    (["check", "churn", "--since", "1h", "--variant", "churn-v2"],
     [call.check("churn", data=None, since="1h", variant="churn-v2")]),
    (["check", "churn:1", "--data", "new.csv", "--save", "report.html"],
     [call.check("churn:1", data=Read("frame", "new.csv"), since=None, variant=None)]),
    (["drift", "--reference", "X.csv", "--current", "new.parquet"],
     [call.drift(Read("frame", "X.csv"), Read("frame", "new.parquet"), method="auto", threshold=None,
                 drift_share=0.5)]),
    (["drift", "-r", "X.csv", "-c", "new.csv", "-m", "psi", "--threshold", "0.2", "--drift-share", "0.3"],
     [call.drift(Read("frame", "X.csv"), Read("frame", "new.csv"), method="psi", threshold=0.2, drift_share=0.3)]),
    (["drift", "-r", "churn:1", "-c", "new.csv"],
     [call.drift("churn:1", Read("frame", "new.csv"), method="auto", threshold=None, drift_share=0.5)]),
    (["quality", "churn"], [call.quality("churn", None, data=None, since=None, thresholds=None)]),
    (["quality", "churn", "-g", "gt.parquet", "--since", "1h", "--threshold", "accuracy=0.8", "--threshold", "mae=3"],
     [call.quality("churn", Read("labels", "gt.parquet"), data=None, since="1h",
                   thresholds={"accuracy": 0.8, "mae": 3})]),
    (["quality", "churn:1", "--data", "new.csv", "--ground-truth", "y.csv"],
     [call.quality("churn:1", Read("labels", "y.csv"), data=Read("frame", "new.csv"), since=None, thresholds=None)]),
    (["bias", "churn:1", "--data", "X.csv", "--target", "churned", "--facet", "plan"],
     [call.bias("churn:1", Read("frame", "X.csv"), "churned", "plan", facet_value=None, label_value=None)]),
    (["bias", "churn:1", "-d", "X.csv", "-t", "y.csv", "-f", "plan", "--facet-value", "1", "--label-value", "yes"],
     [call.bias("churn:1", Read("frame", "X.csv"), Read("labels", "y.csv"), "plan", facet_value=1.0,
                label_value="yes")]),
    (["attribution", "churn:1", "--data", "new.csv"], [call.attribution_drift("churn:1", Read("frame", "new.csv"))]),
    (["concept-drift", "churn", "-g", "gt.csv"],
     [call.concept_drift("churn", Read("labels", "gt.csv"), data=None, since=None)]),
    (["concept-drift", "churn:1", "--ground-truth", "y.csv", "--data", "new.csv", "--since", "1h"],
     [call.concept_drift("churn:1", Read("labels", "y.csv"), data=Read("frame", "new.csv"), since="1h")]),
    # scheduler
    (["monitor", "churn"], [call.monitor("churn", every=None, on_violation="alert", webhook=None, since=None,
                                         cron=None, timezone=None)]),
    (["monitor", "churn", "--every", "5m", "--webhook", "http://127.0.0.1:9/hook"],
     [call.monitor("churn", every="5m", on_violation="alert", webhook="http://127.0.0.1:9/hook", since=None,
                   cron=None, timezone=None)]),
    (["monitor", "churn", "--cron", "0 3 * * 1-5", "--timezone", "UTC", "--on-violation", "retrain", "--since", "2h"],
     [call.monitor("churn", every=None, on_violation="retrain", webhook=None, since="2h", cron="0 3 * * 1-5",
                   timezone="UTC")]),
    (["schedules"], [call.schedules()]),
    (["unschedule", "monitor-churn"], [call.unschedule("monitor-churn")]),
    (["runs"], [call.runs(None, limit=200)]),
    (["runs", "monitor-churn", "--limit", "5"], [call.runs("monitor-churn", limit=5)]),
    (["run-now", "monitor-churn"], [call.run_now("monitor-churn", wait=True)]),
    (["run-now", "monitor-churn", "--no-wait"], [call.run_now("monitor-churn", wait=False)]),
    (["reports"], [call.reports(None, limit=20)]),
    (["reports", "churn", "--limit", "5"], [call.reports("churn", limit=5)]),
    (["report", "12"], [call.report("12")]),
    (["drift-history", "churn"], [call.drift_history("churn", last=None)]),
    (["scheduler"], [call.scheduler_status()]),
    (["scheduler", "status"], [call.scheduler_status()]),
    (["scheduler", "start"], [call.start_scheduler()]),
    (["scheduler", "stop"], [call.stop_scheduler(timeout=30.0)]),
    (["scheduler", "stop", "--timeout", "10"], [call.stop_scheduler(timeout=10.0)]),
    (["scheduler", "log"], [call.scheduler_log(50)]),
    (["scheduler", "log", "-n", "3"], [call.scheduler_log(3)]),
    # retraining
    (["retrain", "churn", "--notebook", "train.ipynb"], [call.retrain("churn", "train.ipynb", **RETRAIN_DEFAULTS)]),
    (["retrain", "churn", "--notebook", "nb/train.ipynb", "-p", "max_depth", "8", "-p", "solver", "lbfgs", "--gate",
      "auc >= production.auc - 0.005", "--deploy", "canary:10:bake=60", "--promote", "production", "-e",
      "churn-prod", "--timeout", "600", "--retries", "2"],
     [call.retrain("churn", "nb/train.ipynb", parameters={"max_depth": 8, "solver": "lbfgs"},
                   gate="auc >= production.auc - 0.005", deploy="canary:10:bake=60", timeout=600.0, retries=2,
                   promote="production", endpoint="churn-prod")]),
    (["reproduce", "churn:4"], [call.reproduce("churn:4", tolerance=None)]),
    (["reproduce", "churn:4", "--tolerance", "abs=0.01", "--tolerance", "rel=0.1"],
     [call.reproduce("churn:4", tolerance={"abs": 0.01, "rel": 0.1})]),
    (["pipeline", "churn", "--steps", "prep.ipynb", "--steps", "train.ipynb"],
     [call.pipeline("churn", ["prep.ipynb", "train.ipynb"], **RETRAIN_DEFAULTS, cache=True)]),
    (["pipeline", "churn", "--steps", "prep.ipynb", "-p", "rows", "1000", "--no-cache"],
     [call.pipeline("churn", ["prep.ipynb"], **{**RETRAIN_DEFAULTS, "parameters": {"rows": 1000}}, cache=False)]),
    (["schedule", "churn", "--notebook", "train.ipynb", "--cron", "0 3 * * *", "--timezone", "UTC"],
     [call.schedule("churn", "train.ipynb", cron="0 3 * * *", every=None, on_drift=None, timezone="UTC",
                    **RETRAIN_DEFAULTS)]),
    (["schedule", "churn", "--notebook", "train.ipynb", "--on-drift", "churn", "--gate", "auc >= production.auc",
      "--deploy", "canary:10"],
     [call.schedule("churn", "train.ipynb", cron=None, every=None, on_drift="churn", timezone=None, **{
         **RETRAIN_DEFAULTS, "gate": "auc >= production.auc", "deploy": "canary:10"})]),
    (["schedule", "churn", "--notebook", "prep.ipynb", "--notebook", "train.ipynb", "--every", "1d"],
     [call.schedule("churn", ["prep.ipynb", "train.ipynb"], cron=None, every="1d", on_drift=None, timezone=None,
                    **RETRAIN_DEFAULTS)]),
    (["sweep", "churn", "--notebook", "train.ipynb", "--grid", '{"C": [0.1, 1, 10]}'],
     [call.sweep("churn", "train.ipynb", **{**SWEEP_DEFAULTS, "grid": {"C": [0.1, 1, 10]}})]),
    (["sweep", "churn", "--notebook", "train.ipynb", "--trials", "[{'C': 0.1, 'solver': None}]", "--workers", "3",
      "--metric", "auc", "--gate", "auc >= production.auc", "--direction", "max", "--deploy", "replace", "--timeout",
      "60"],
     [call.sweep("churn", "train.ipynb", **{**SWEEP_DEFAULTS, "trials": [{"C": 0.1, "solver": None}], "workers": 3,
                                            "metric": "auc", "gate": "auc >= production.auc", "deploy": "replace",
                                            "timeout": 60.0})]),
]

# `mlops demo` runs the quickstart notebook with papermill on a fresh workspace and makes no
# Workspace call of its own: tests/test_demo.py runs it. `mlops notebooks DIR` copies the example
# notebooks and opens no workspace: tests/test_cli_notebooks.py.
NOT_MAPPED = {("demo",), ("notebooks",)}


def cli(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("argv, expected", CLI, ids=[" ".join(argv) or "(bare)" for argv, _ in CLI])
def test_cli_command_maps_to_one_workspace_call(files, ws, argv, expected):
    result = cli(*argv)
    assert result.exit_code == 0, result.output
    assert_workspace_calls(ws, expected)


def _command_path(argv) -> tuple:
    command, path = main, []
    for word in argv:
        if isinstance(command, click.Group) and word in command.commands:
            command = command.commands[word]
            path.append(word)
    return tuple(path)


def _commands(command: click.Command, path=()):
    """Every command a user can run: leaves, and groups that do something without a subcommand."""
    if not isinstance(command, click.Group) or command.invoke_without_command:
        yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def test_every_cli_command_has_a_mapping_row():
    mapped = {_command_path(argv) for argv, _ in CLI}
    assert set(_commands(main)) - mapped - NOT_MAPPED == set(), "add a row to CLI for each new command"
    assert mapped - set(_commands(main)) == set(), "a row names a command that no longer exists"


def test_the_workspace_option_chooses_the_workspace(files):
    with patch("jupyter_mlops._core.workspace.Workspace", autospec=True) as cls:
        cls.return_value.home = "(patched)"
        assert cli("-w", str(files / "elsewhere"), "models").exit_code == 0
    cls.assert_called_once_with(str(files / "elsewhere"))


def test_scheduler_start_in_the_foreground_runs_the_daemon_in_this_process(files, ws):
    ws.run_scheduler.return_value = 0
    assert cli("scheduler", "start", "--foreground").exit_code == 0
    assert_workspace_calls(ws, [call.run_scheduler()])


def test_files_written_by_load_and_dataset_load_are_what_the_workspace_returned(tmp_path, ws):
    written = []
    with patch.multiple("jupyter_mlops._core.inputs", write_frame=lambda f, p: written.append((f, p)),
                        write_model=lambda m, p: written.append((m, p))):
        assert cli("load", "churn:1", "-o", str(tmp_path / "m.joblib")).output.strip() == str(tmp_path / "m.joblib")
        assert cli("dataset", "load", "train:1", "-o", str(tmp_path / "t.csv")).exit_code == 0
    assert written == [(ws.load.return_value, str(tmp_path / "m.joblib")),
                       (ws.dataset.return_value, str(tmp_path / "t.csv"))]


def test_result_methods_the_cli_calls_after_the_workspace_call(files, ws):
    assert cli("baseline", "churn:1", "-d", "X.csv", "--save", "files").exit_code == 0
    ws.baseline.return_value.save.assert_called_once_with("files")
    ws.check.return_value.status.return_value = "alert"
    assert cli("check", "churn", "--save", "r.html").exit_code == 3  # violations: status 3 for cron and CI
    ws.check.return_value.save.assert_called_once_with("r.html")
    ws.verify_audit.return_value.ok = False
    assert cli("verify-audit").exit_code == 1
    ws.retrain.return_value.status = "gate_failed"
    assert cli("retrain", "churn", "--notebook", "t.ipynb").exit_code == 3  # the gate failed: 3 for CI
    ws.retrain.return_value.status = "succeeded"
    assert cli("retrain", "churn", "--notebook", "t.ipynb").exit_code == 0
    for status, exit_code in (("gate_failed", 3), ("failed", 1), ("succeeded", 0)):  # failed: all trials did
        ws.sweep.return_value.status = status
        assert cli("sweep", "churn", "--notebook", "t.ipynb", "--grid", '{"C": [1]}').exit_code == exit_code
    ws.reproduce.return_value.status = "FAIL"
    assert cli("reproduce", "churn:4").exit_code == 3  # it did not reproduce: 3 for CI


REPORT_ARGV = {
    "check": ["check", "churn"],
    "drift": ["drift", "-r", "X.csv", "-c", "new.csv"],
    "quality": ["quality", "churn"],
    "bias": ["bias", "churn:1", "-d", "X.csv", "-t", "churned", "-f", "plan"],
    "attribution": ["attribution", "churn:1", "-d", "new.csv"],
    "concept-drift": ["concept-drift", "churn", "-g", "y.csv"],
}


@pytest.mark.parametrize("command", REPORT_COMMANDS)
@pytest.mark.parametrize("status, exit_code", [("alert", 3), ("warn", 0), ("ok", 0)])
def test_report_commands_print_the_reports_table_and_exit_3_on_an_alert(files, ws, command, status, exit_code):
    report = getattr(ws, REPORT_COMMANDS[command]).return_value
    report.status.return_value = status
    report.to_text.return_value = "Data drift [ALERT]\n(the table)"
    result = cli(*REPORT_ARGV[command])
    assert (result.exit_code, result.output) == (exit_code, "Data drift [ALERT]\n(the table)\n")


def test_report_commands_document_their_exit_status():
    for command in REPORT_COMMANDS:
        assert "Exits 3 when" in cli(command, "--help").output


def assert_usage_error_before_any_workspace_call(ws, argv, message):
    result = cli(*argv)
    assert result.exit_code == 2 and f"Error: {message}" in result.output, result.output
    assert ws.method_calls == []


@pytest.mark.parametrize("argv, message", [
    (["deploy", "churn:2", "-e", "churn", "--canary", "10", "--ab", "5"],
     "Choose one of --canary, --linear, --blue-green, --shadow, --ab."),
    (["deploy", "churn:1", "churn:2"], "Several model versions (churn:1, churn:2) need --multi-model"),
    (["traffic", "churn", "churn-v1"], "traffic expects VARIANT=WEIGHT, got 'churn-v1'."),
    (["traffic", "churn", "churn-v1=half"], "traffic 'churn-v1=half': the weight must be a number."),
    (["register", "model.skops", "-n", "churn", "--metric", "auc"], "--metric expects KEY=VALUE, got 'auc'."),
    (["quality", "churn", "--threshold", "accuracy"], "--threshold expects KEY=VALUE, got 'accuracy'."),
    (["retrain", "churn", "--notebook", "t.ipynb", "-p", "C", "1", "-p", "C", "2"],
     "-p C is given twice; give each parameter once."),
    (["sweep", "churn", "--notebook", "t.ipynb", "--grid", "[1, 2]"],
     """--grid expects a JSON object, e.g. --grid '{"C": [0.1, 1, 10], "max_depth": [4, 8]}'; got '[1, 2]'."""),
    (["reproduce", "churn:4", "--tolerance", "tight"], "--tolerance 'tight' is not a number"),
])
def test_bad_options_are_usage_errors_with_status_2(files, ws, argv, message):
    assert_usage_error_before_any_workspace_call(ws, argv, message)


@pytest.mark.parametrize("argv, message", [
    (["invoke", "churn", "--data", "rows.tsv"], "'rows.tsv' is neither CSV nor Parquet"),
    (["invoke", "churn", "--data", "missing.csv"], "'missing.csv': no such file; check the path."),
    (["register", "model.bin", "-n", "churn"], "'model.bin' is not a model file: name a .skops, .joblib"),
    (["bias", "churn:1", "-d", "X.csv", "-t", "labels.json", "-f", "plan"], "'labels.json' is neither CSV nor"),
])
def test_files_that_cannot_be_read_are_usage_errors_with_status_2(tmp_path, monkeypatch, ws, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.bin").touch()
    (tmp_path / "X.csv").write_text("tenure,plan\n1,a\n")
    assert_usage_error_before_any_workspace_call(ws, argv, message)


def test_a_bad_output_file_is_a_usage_error_too(tmp_path, ws):
    result = cli("load", "churn:1", "-o", str(tmp_path / "model.bin"))
    assert result.exit_code == 2 and "is not a model file" in result.output


def test_an_invalid_input_from_the_workspace_call_itself_exits_1(files, ws):
    ws.monitor.side_effect = InvalidInput("every='soon' is not an interval.")
    result = cli("monitor", "churn", "--every", "soon")
    assert result.exit_code == 1 and result.output.strip() == "InvalidInput: every='soon' is not an interval."
