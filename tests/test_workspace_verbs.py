"""Every Workspace verb forwards to one part method with the same parameters: none is dropped,
renamed or given another default on the way (the façade retypes each signature by hand, so this
test is what keeps it honest)."""

from __future__ import annotations

import importlib
import inspect

import pytest

from jupyter_mlops import Workspace

#: verb -> (the Workspace attribute holding the part, the part's method); the part classes are
#: looked up without building a workspace
FORWARDS = {
    "register": ("registry", "register"), "models": ("registry", "models"),
    "versions": ("registry", "versions"), "get": ("registry", "get"), "load": ("registry", "load"),
    "promote": ("registry", "promote"), "approve": ("registry", "approve"),
    "reject": ("registry", "reject"), "archive": ("registry", "archive"), "diff": ("registry", "diff"),
    "audit": ("audit_log", "entries"), "verify_audit": ("audit_log", "verify"),
    "audit_anchor": ("audit_log", "anchor"),
    "trust": ("_keyring", "add"), "untrust": ("_keyring", "remove"),
    "trusted_keys": ("_keyring", "listing"), "signing_key": ("_keyring", "own_key"),
    "policy": ("_policies", "update"),
    "save_dataset": ("_datasets", "save"), "datasets": ("_datasets", "list"),
    "dataset": ("_datasets", "load"),
    "deploy": ("_serving", "deploy"), "watch": ("_serving", "watch"), "endpoints": ("_serving", "endpoints"),
    "endpoint": ("_serving", "endpoint"), "async_result": ("_serving", "async_result"),
    "traffic": ("_serving", "traffic"),
    "rollback": ("_serving", "rollback"), "stop": ("_serving", "stop"),
    "shadow_report": ("_serving", "shadow_report"), "captured": ("_serving", "captured"),
    "endpoint_history": ("_serving", "history"),
    "batch": ("_serving", "batch"), "batch_jobs": ("_serving", "batch_jobs"), "ground_truth": ("_serving", "ground_truth"),
    "replay": ("_replayer", "replay"),
    "baseline": ("_monitoring", "baseline"), "import_baseline": ("_monitoring", "import_baseline"),
    "check": ("_monitoring", "check"),
    "drift": ("_monitoring", "drift"), "quality": ("_monitoring", "quality"),
    "bias": ("_monitoring", "bias"), "attribution_drift": ("_monitoring", "attribution_drift"),
    "concept_drift": ("_monitoring", "concept_drift"),
    "monitor": ("scheduler", "monitor"), "schedules": ("scheduler", "list"),
    "unschedule": ("scheduler", "remove"), "runs": ("scheduler", "runs"),
    "run_now": ("scheduler", "run_now"),
    "reports": ("_reports", "reports"), "report": ("_reports", "report"),
    "drift_history": ("_reports", "drift_history"),
    "start_scheduler": ("scheduler", "start"), "stop_scheduler": ("scheduler", "stop"),
    "scheduler_status": ("scheduler", "status"), "scheduler_log": ("scheduler", "log"),
    "retrain": ("_pipelines", "retrain"), "pipeline": ("_pipelines", "pipeline"),
    "schedule": ("_pipelines", "schedule"), "sweep": ("_pipelines", "sweep"),
    "reproduce": ("_pipelines", "reproduce"),
}
#: Workspace methods that are its own (composition and process entry), not forwards
OWN = {"status", "environment", "job_context", "run_scheduler"}
#: parameters a part takes that the composition root fills in itself
FILLED_BY_THE_ROOT = {("registry", "register"): {"lineage", "dataset"}, ("scheduler", "run_now"): {"context"}}
#: ``baseline`` without data shows the stored baseline (``get_baseline``): only there may a
#: default differ
DEFAULTS_MAY_DIFFER = {"baseline": {"data"}}


#: the class of each part the composition root builds (looked up without building a workspace)
PART_CLASSES = {"registry": "jupyter_mlops._core.registry.registry:Registry",
                "audit_log": "jupyter_mlops._core.audit:AuditLog",
                "_policies": "jupyter_mlops._core.policy:PolicyStore",
                "_keyring": "jupyter_mlops._core.trust:Keyring",
                "_datasets": "jupyter_mlops._core.registry.datasets:Datasets",
                "_serving": "jupyter_mlops._core.serving.control.serving:Serving",
                "_monitoring": "jupyter_mlops._core.monitor.monitoring:Monitoring",
                "_replayer": "jupyter_mlops._core.pipelines.replay:Replayer",
                "scheduler": "jupyter_mlops._core.scheduler.scheduler:Scheduler",
                "_reports": "jupyter_mlops._core.scheduler.reports:ReportHistory",
                "_pipelines": "jupyter_mlops._core.pipelines.pipelines:Pipelines"}


def part_class(attribute: str) -> type:
    module, _, name = PART_CLASSES[attribute].partition(":")
    return getattr(importlib.import_module(module), name)


def test_the_parts_are_the_classes_the_workspace_builds(tmp_path):
    ws = Workspace(tmp_path / ".mlops")
    for attribute in PART_CLASSES:
        assert type(getattr(ws, attribute)) is part_class(attribute), attribute


def test_every_public_verb_is_a_forward_or_the_workspaces_own():
    public = {n for n, v in vars(Workspace).items() if callable(v) and not n.startswith("_")}
    assert public == set(FORWARDS) | OWN


@pytest.mark.parametrize("verb", sorted(FORWARDS))
def test_a_verb_has_the_parameters_of_the_part_method_it_forwards_to(verb):
    attribute, method = FORWARDS[verb]
    ours = dict(inspect.signature(getattr(Workspace, verb)).parameters)
    theirs = dict(inspect.signature(getattr(part_class(attribute), method)).parameters)
    ours.pop("self"), theirs.pop("self")
    for name in FILLED_BY_THE_ROOT.get((attribute, method), ()):
        theirs.pop(name)
    assert list(ours) == list(theirs), f"{verb} forwards to {attribute}.{method}"
    for name, param in ours.items():
        assert param.kind == theirs[name].kind, (verb, name)
        if name not in DEFAULTS_MAY_DIFFER.get(verb, ()):
            assert param.default == theirs[name].default, (verb, name, param.default, theirs[name].default)


def test_the_workspace_deploy_passes_every_argument_through(tmp_path, monkeypatch):
    """Not only the same names: the values arrive (``timeout`` was once dropped here)."""
    ws = Workspace(tmp_path / ".mlops")
    seen = {}
    monkeypatch.setattr(type(ws._serving), "deploy", lambda self, *a, **k: seen.update(args=a, kwargs=k))
    ws.deploy("m:1", "e", port=1, workers=2, capture=3, token="t", strategy="canary", percent=4, bake=5,
              guardrails={"max_p99_ms": 6}, variant="v", max_payload_mb=7, request_timeout=8, timeout=9,
              compiled=False, async_concurrency=2, async_output="s3://b/out",
              async_notify={"success": "http://h/ok"}, serverless=True, idle=10, max_concurrency=11,
              provisioned=12, multi_model=True, max_models=10, max_memory_mb=64)
    assert seen == {"args": ("m:1", "e"), "kwargs": dict(
        port=1, workers=2, capture=3, token="t", strategy="canary", percent=4, bake=5,
        guardrails={"max_p99_ms": 6}, variant="v", max_payload_mb=7, request_timeout=8, timeout=9,
        compiled=False, wait=False, on_update=None, async_concurrency=2, async_output="s3://b/out",
        async_notify={"success": "http://h/ok"}, serverless=True, idle=10, max_concurrency=11,
        provisioned=12, multi_model=True, max_models=10, max_memory_mb=64)}
