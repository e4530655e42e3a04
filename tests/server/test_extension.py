"""The extension's wiring: Jupyter finds it through ``jupyter_mlops``'s hooks and the config file
the wheel installs, ``import jupyter_mlops`` still loads no server library, the committed OpenAPI
document is the one the routes generate, and the workspace is the one of the server's root."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jupyter_mlops
from jupyter_mlops.server import openapi
from jupyter_mlops.server.routes import ROUTES

REPO = Path(__file__).resolve().parents[2]


def test_the_committed_openapi_document_is_what_the_routes_generate():
    committed = json.loads(openapi.COMMITTED.read_text(encoding="utf-8"))
    assert committed == openapi.document(), "run: python -m jupyter_mlops.server.openapi"
    assert openapi.COMMITTED.read_text(encoding="utf-8") == openapi.text()


def test_every_route_has_an_operation_id_and_its_records_are_described():
    doc = openapi.document()
    ids = [op["operationId"] for path in doc["paths"].values() for op in path.values()]
    assert len(ids) == len(set(ids)) == len(ROUTES) + 1
    for name in ("ModelRecord", "VersionRecord", "EndpointRecord", "ReportRecord", "RunRecord", "AuditEntry",
                 "ModelVersion", "Endpoint", "MonitoringReport", "ScheduledRun", "Summary", "Error"):
        assert name in doc["components"]["schemas"], name
    assert "ref" in doc["components"]["schemas"]["ModelVersion"]["required"]


def test_jupyter_finds_the_extension_and_the_wheel_enables_it():
    assert jupyter_mlops._jupyter_server_extension_points() == [{"module": "jupyter_mlops"}]
    assert callable(jupyter_mlops._load_jupyter_server_extension)
    config = REPO / "jupyter-config" / "jupyter_server_config.d" / "jupyter_mlops.json"
    assert json.loads(config.read_text()) == {"ServerApp": {"jpserver_extensions": {"jupyter_mlops": True}}}
    assert ('"jupyter-config/jupyter_server_config.d/jupyter_mlops.json" = '
            '"etc/jupyter/jupyter_server_config.d/jupyter_mlops.json"') in (REPO / "pyproject.toml").read_text()


def test_importing_the_package_and_asking_for_the_hooks_loads_no_server_library():
    code = ("import sys, jupyter_mlops\njupyter_mlops._jupyter_server_extension_points()\n"
            "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('tornado', 'jupyter_server'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == ""


def test_the_server_serves_the_workspace_of_its_root_folder_unless_mlops_home_says_otherwise(tmp_path, monkeypatch):
    from jupyter_mlops.server.context import ServerWorkspace

    monkeypatch.delenv("MLOPS_HOME", raising=False)
    (tmp_path / "project" / ".mlops").mkdir(parents=True)
    (tmp_path / "project" / "notebooks").mkdir()
    assert ServerWorkspace(tmp_path / "project" / "notebooks").home == tmp_path / "project" / ".mlops"
    assert ServerWorkspace(tmp_path / "project").relative(str(tmp_path / "project" / "runs" / "out.ipynb")) == "runs/out.ipynb"
    assert ServerWorkspace(tmp_path / "project").relative("/elsewhere/out.ipynb") == "/elsewhere/out.ipynb"
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path / "shared"))
    assert ServerWorkspace(tmp_path / "project").home == tmp_path / "shared"
