"""Inside a run: ``jupyter_mlops.context()`` and ``jupyter_mlops.output(key, value)``.

The run hands its kernel everything through the environment (``runner.py`` adds it; see
:data:`ENVIRONMENT`), so a notebook needs no argument to know it runs: ``context()`` reads it. The
same notebook opened by hand gets a "manual, outside a run" context, and ``output`` then keeps the
value in the kernel only, so a retraining notebook is developed and run interactively as is.

``context()`` needs a workspace for ``load`` and ``captured``: the package's ``context()``
passes the ``Workspace`` class in, because nothing under ``_core`` may import the workspace
(ARCHITECTURE.md).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

from .. import html
from ..results import NOT_ON_THE_WIRE, Result
from . import outputs

#: what a run puts in its kernel's environment, and what each variable holds
ENVIRONMENT = {
    "MLOPS_HOME": "the workspace (also MLOPS_DB_URL and MLOPS_ARTIFACTS when set)",
    "MLOPS_RUN_ID": "the run's id (a row of ws.runs())",
    "MLOPS_RUN_KIND": "retrain or pipeline",
    "MLOPS_RUN_NAME": "the model the run retrains",
    "MLOPS_RUN_DIR": "a folder of this step's own, for files it writes (outputs/ holds output() values)",
    "MLOPS_NOTEBOOK": "the notebook's path",
    "MLOPS_NOTEBOOK_SHA256": "the sha256 of the notebook as it was read for the run",
    "MLOPS_PARAMETERS": "the parameters it was given, as JSON",
    "MLOPS_TRIGGER": "why the run started, as JSON (manual, a schedule, a drift report)",
    "MLOPS_STEP": "its step number in the pipeline (1 for retrain)",
    "MLOPS_PIPELINE_VERSION": "the sha256 of the pipeline's notebooks",
}
MANUAL = {"kind": "manual", "note": "outside a run: the notebook is being run by hand"}

_kept: dict[str, Any] = {}  # output() values of this kernel


def _json_env(name: str, default: Any) -> Any:
    try:
        return json.loads(os.environ[name])
    except (KeyError, ValueError):
        return default


@dataclass(frozen=True)
class Context(Result):
    """Where the notebook runs: the run's id, trigger and parameters, or "manual" outside a run."""

    run_id: int | None
    kind: str
    name: str | None
    trigger: dict
    parameters: dict
    notebook: str | None = None
    notebook_sha256: str | None = None
    step: int | None = None
    run_dir: str | None = None
    pipeline_version: str | None = None
    _workspace_factory: Callable[[], Any] | None = field(default=None, repr=False, compare=False,
                                                          metadata=NOT_ON_THE_WIRE)

    @property
    def in_run(self) -> bool:
        return self.run_id is not None

    @property
    def outputs(self) -> dict:
        """The values ``output`` kept in this kernel so far."""
        return dict(_kept)

    @cached_property
    def workspace(self):
        """The run's workspace (``$MLOPS_HOME``; outside a run, the default workspace)."""
        if self._workspace_factory is None:
            raise RuntimeError("this context was made without a workspace")
        return self._workspace_factory()

    def load(self, ref: Any) -> Any:
        """The model object of ``ref`` (``"churn@production"`` to start from what serves now)."""
        return self.workspace.load(ref)

    def get(self, ref: Any):
        """The version ``ref`` names (its metrics, params, lineage)."""
        return self.workspace.get(ref)

    @property
    def endpoint(self) -> str | None:
        """The endpoint whose drift started the run, else the one named like the model."""
        return self.trigger.get("endpoint") or self.name

    def captured(self, endpoint: str | None = None, since: Any = None, with_ground_truth: bool = False):
        """The endpoint's captured requests (default: :attr:`endpoint`); ``with_ground_truth=True``
        joins the labels uploaded with ``Workspace.ground_truth`` by inference id and keeps the
        labelled rows only (SageMaker Model Monitor's ground-truth merge)."""
        endpoint = endpoint or self.endpoint
        if endpoint is None:
            from ..errors import InvalidInput

            raise InvalidInput("captured() needs an endpoint outside a run: captured('churn').")
        extra = {"with_ground_truth": True} if with_ground_truth else {}
        return self.workspace.captured(endpoint, since=since, **extra)

    def report(self) -> dict | None:
        """The drift report that triggered the run (Model Monitor's violations and the drift per
        feature, as saved by the monitoring run), or None."""
        path = self.trigger.get("report")
        return json.loads(Path(path).read_text()) if path else None

    def _repr_html_(self) -> str:
        rows = [("run", self.run_id if self.in_run else "— (outside a run)"), ("kind", self.kind),
                ("model", self.name), ("trigger", self.trigger), ("parameters", self.parameters),
                ("notebook", self.notebook), ("step", self.step), ("folder", self.run_dir)]
        return html.card("Run context", html.badge(self.kind, "info"), [("", html.kv_table(rows))])

    def __repr__(self) -> str:
        if not self.in_run:
            return "<Context manual: outside a run>"
        return (f"<Context run {self.run_id} {self.kind} {self.name} step {self.step}, trigger "
                f"{self.trigger.get('kind')}, parameters {html.format_text(self.parameters)}>")


def current(workspace_factory: Callable[[], Any] | None = None) -> Context:
    """The context of the notebook this kernel runs (read from its environment)."""
    run_id = os.environ.get("MLOPS_RUN_ID", "")
    if not run_id.isdigit():  # unset, or not set by a run
        return Context(None, "manual", None, dict(MANUAL), {}, _workspace_factory=workspace_factory)
    step = os.environ.get("MLOPS_STEP")
    return Context(int(run_id), os.environ.get("MLOPS_RUN_KIND", "retrain"), os.environ.get("MLOPS_RUN_NAME"),
                   _json_env("MLOPS_TRIGGER", {}), _json_env("MLOPS_PARAMETERS", {}),
                   os.environ.get("MLOPS_NOTEBOOK"), os.environ.get("MLOPS_NOTEBOOK_SHA256"),
                   int(step) if step else None, os.environ.get("MLOPS_RUN_DIR"),
                   os.environ.get("MLOPS_PIPELINE_VERSION"), _workspace_factory=workspace_factory)


def output(key: str, value: Any) -> Any:
    """Hand ``value`` on under ``key``: later steps that declare a parameter ``key`` receive it,
    and the run records it (numbers as its metrics). Returns ``value``. Outside a run the value
    is only kept in this kernel (``context().outputs``)."""
    folder = os.environ.get("MLOPS_RUN_DIR") if os.environ.get("MLOPS_RUN_ID", "").isdigit() else None
    if folder:
        outputs.write(Path(folder), key, value)
    else:  # a value no run could keep fails by hand too
        outputs.encode(outputs.check_key(key), value)
    _kept[key] = value
    return value
