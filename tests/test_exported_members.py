"""The public names are exactly what we say they are (the public surface in the package's __all__)."""

import jupyter_mlops


def test_all_names_are_exported_and_importable():
    for name in jupyter_mlops.__all__:
        assert hasattr(jupyter_mlops, name), name


def test_public_names_are_the_documented_ones():
    public = {n for n in dir(jupyter_mlops) if not n.startswith("_")}
    assert public <= set(jupyter_mlops.__all__) | {"magics", "cli", "server", "widgets"}
    assert {"Endpoint", "DriftReport", "MonitoringReport", "Schedule", "BatchJob"} <= set(jupyter_mlops.__all__)
    assert {"Workspace", "ModelVersion", "MlopsError", "ModelNotFound", "load_ipython_extension"} <= set(jupyter_mlops.__all__)


def test_every_error_is_an_mlops_error():
    for name in jupyter_mlops.__all__:
        obj = getattr(jupyter_mlops, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, jupyter_mlops.MlopsError), name


def test_result_types_render_in_notebooks():
    for name in ("ModelVersion", "DatasetVersion", "AuditCheck", "Policy", "Endpoint", "DriftReport",
                 "MonitoringReport", "QualityReport", "BiasReport", "AttributionReport", "Baseline", "Schedule",
                 "Run"):
        cls = getattr(jupyter_mlops, name)
        assert callable(getattr(cls, "_repr_html_", None)) and callable(getattr(cls, "to_dict", None)), name


def test_workspace_offers_the_verbs_of_surface_md():
    for method in ("register", "models", "versions", "get", "load", "promote", "approve", "reject",
                   "diff", "archive", "audit", "verify_audit", "save_dataset", "datasets", "dataset", "policy",
                   "deploy", "endpoints", "endpoint", "traffic", "rollback", "stop", "batch", "batch_jobs",
                   "baseline", "check", "drift", "quality", "bias", "attribution_drift", "monitor",
                   "schedules", "unschedule", "runs", "retrain", "pipeline", "schedule"):
        assert callable(getattr(jupyter_mlops.Workspace, method)), method
