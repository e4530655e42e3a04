"""The REST API's routes, in one table: ``ROUTES``.

Each :class:`Route` says what a client sends (path parameters, query parameters, a JSON body) and
what it gets back, and its ``action`` is the one ``Workspace`` call the route makes, rendered as
the result's ``to_dict()`` or the listing's records (``_core/listings.py``), never a shape of its
own. ``handlers.py`` serves this table and ``openapi.py`` describes it; nothing else knows a path.

Paths are relative to ``/jupyter-mlops/api/``; ``{ref}`` and the other path parameters are one
URL-encoded segment each (``churn%3A3``, ``churn@production``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class Query:
    name: str
    type: str                 # "string", "integer" or "boolean" (true/false)
    description: str
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class BodyField:
    name: str
    schema: dict              # JSON Schema of the value
    description: str
    required: bool = False


@dataclass(frozen=True)
class Html:
    """A route's answer that is a standalone HTML page, not JSON."""

    text: str


@dataclass(frozen=True)
class Call:
    """What an action is handed: the workspace, the request's checked parameters and body, and
    the server's root (to show paths relative to it)."""

    ws: Any
    path: dict[str, str]
    query: dict[str, Any]
    body: dict[str, Any]
    relative: Callable[[str | None], str | None]


@dataclass(frozen=True)
class Route:
    method: str               # GET or POST
    path: str                 # "versions/{ref}/approve"
    operation: str            # the operationId: the TypeScript client's method name
    summary: str
    action: Callable[[Call], Any]
    response: str | dict      # a components/schemas name, or an inline JSON Schema
    query: tuple[Query, ...] = ()
    body: tuple[BodyField, ...] = ()
    status: int = 200
    html: bool = False        # answers text/html
    tag: str = "workspace"
    path_params: dict[str, str] = field(default_factory=dict)   # name -> description


# -- rendering: the listings' records, plus what a view adds about its own server -------------

def _records(name: str, frame) -> list[dict]:
    from .._core.listings import records

    return records(name, frame)


#: the last-minute figures of an endpoint record, gathered for a client that draws them
METRIC_COLUMNS = ("req_per_s", "p50_ms", "p99_ms", "error_rate", "cpu_percent", "rss_mb")


def endpoint_records(frame) -> list[dict]:
    return [{**r, "metrics": {k: r.get(k) for k in METRIC_COLUMNS}} for r in _records("endpoints", frame)]


def run_records(frame, relative: Callable[[str | None], str | None]) -> list[dict]:
    """The runs' records with ``output_notebook``: the executed notebook of a retraining run (its
    last step's), relative to the server's root when inside it, so the lab can open it."""
    out = []
    for r in _records("runs", frame):
        steps = (r.get("result") or {}).get("steps") or []
        paths = [s.get("output_path") for s in steps if isinstance(s, dict) and s.get("output_path")]
        out.append({**r, "output_notebook": relative(paths[-1]) if paths else None})
    return out


def _page(result) -> Html:
    from .._core.html import page

    return Html(page(getattr(result, "ref", None) or result.title, result._repr_html_()))


# -- actions: one Workspace call each ----------------------------------------------------------

def _summary(c: Call) -> dict:
    ws = c.ws
    return {"workspace": str(ws.home), "models": _records("models", ws.models()),
            # the sidebar shows stopped endpoints too (greyed, with why), so the summary lists all
            "endpoints": endpoint_records(ws.endpoints(all=True)), "schedules": _records("schedules", ws.schedules()),
            "runs": run_records(ws.runs(None, limit=c.query["limit"]), c.relative),
            "reports": _records("reports", ws.reports(None, limit=c.query["limit"]))}


def _endpoint(c: Call) -> dict:
    handle = c.ws.endpoint(c.path["name"])
    return {**handle.to_dict(), "metrics": handle.metrics()}


def _stop(c: Call) -> dict:
    c.ws.stop(c.path["name"])
    return {"name": c.path["name"], "status": "stopped"}


def _audit(c: Call) -> dict:
    entries = _records("audit", c.ws.audit(c.query["model"]))
    return {"entries": entries[-c.query["limit"]:]}


LIMIT = Query("limit", "integer", "how many, newest first", 20, 1, 1000)
COMMENT = BodyField("comment", {"type": ["string", "null"], "maxLength": 4096}, "why, kept in the audit log")
REF = {"ref": "a version reference: churn (latest), churn:3, churn@production (URL-encoded)"}
MODEL = {"name": "the model's name"}
ENDPOINT = {"name": "the endpoint's name"}
REPORT = {"id": "the report's id (see reports)"}
SCHEDULE = {"id": "the schedule's id (see schedules)"}

ROUTES: tuple[Route, ...] = (
    Route("GET", "summary", "getSummary", "Everything a sidebar shows, in one call",
          _summary, "Summary", query=(LIMIT,)),
    Route("GET", "models", "listModels", "The models (Workspace.models)",
          lambda c: {"models": _records("models", c.ws.models())}, {"models": "models"}, tag="registry"),
    Route("GET", "models/{name}/versions", "listVersions", "A model's versions (Workspace.versions)",
          lambda c: {"versions": _records("versions", c.ws.versions(c.path["name"]))}, {"versions": "versions"},
          tag="registry", path_params=MODEL),
    Route("GET", "versions/{ref}", "getVersion", "One version (Workspace.get)",
          lambda c: c.ws.get(c.path["ref"]).to_dict(), "ModelVersion", tag="registry", path_params=REF),
    Route("GET", "versions/{ref}/html", "getVersionHtml", "The version's card as a standalone page",
          lambda c: _page(c.ws.get(c.path["ref"])), "html", html=True, tag="registry", path_params=REF),
    Route("POST", "versions/{ref}/approve", "approveVersion", "Approve a version (Workspace.approve)",
          lambda c: c.ws.approve(c.path["ref"], comment=c.body.get("comment")).to_dict(), "ModelVersion",
          body=(COMMENT,), tag="registry", path_params=REF),
    Route("POST", "versions/{ref}/reject", "rejectVersion", "Reject a version (Workspace.reject)",
          lambda c: c.ws.reject(c.path["ref"], comment=c.body.get("comment")).to_dict(), "ModelVersion",
          body=(COMMENT,), tag="registry", path_params=REF),
    Route("POST", "versions/{ref}/promote", "promoteVersion", "Point an alias at a version (Workspace.promote)",
          lambda c: c.ws.promote(c.path["ref"], c.body["alias"]).to_dict(), "ModelVersion",
          body=(BodyField("alias", {"type": "string", "minLength": 1, "maxLength": 128},
                          "the alias, e.g. production", required=True),), tag="registry", path_params=REF),
    Route("POST", "versions/{ref}/archive", "archiveVersion", "Archive a version (Workspace.archive)",
          lambda c: c.ws.archive(c.path["ref"]).to_dict(), "ModelVersion", tag="registry", path_params=REF),
    Route("GET", "endpoints", "listEndpoints", "The endpoints with their last-minute metrics (Workspace.endpoints)",
          lambda c: {"endpoints": endpoint_records(c.ws.endpoints(all=c.query["all"]))}, {"endpoints": "EndpointRecord"},
          tag="serving", query=(Query("all", "boolean", "also the stopped endpoints", False),)),
    Route("GET", "endpoints/{name}", "getEndpoint", "One endpoint with its variants and per-variant metrics",
          _endpoint, "EndpointDetail", tag="serving", path_params=ENDPOINT),
    Route("POST", "endpoints/{name}/traffic", "setTraffic", "Set the variants' weights (Workspace.traffic)",
          lambda c: c.ws.traffic(c.path["name"], c.body["weights"]).to_dict(), "Endpoint",
          body=(BodyField("weights", {"type": "object", "additionalProperties": {"type": "number", "minimum": 0},
                                      "minProperties": 1, "maxProperties": 64},
                          "variant name -> weight (share = weight / sum)", required=True),),
          tag="serving", path_params=ENDPOINT),
    Route("POST", "endpoints/{name}/rollback", "rollbackEndpoint", "Abort the rollout or restore the previous "
          "variants (Workspace.rollback)", lambda c: c.ws.rollback(c.path["name"]).to_dict(), "Endpoint",
          tag="serving", path_params=ENDPOINT),
    Route("POST", "endpoints/{name}/stop", "stopEndpoint", "Stop the endpoint (Workspace.stop)",
          _stop, "Stopped", tag="serving", path_params=ENDPOINT),
    Route("GET", "reports", "listReports", "The latest monitoring reports (Workspace.reports)",
          lambda c: {"reports": _records("reports", c.ws.reports(c.query["endpoint"], limit=c.query["limit"]))},
          {"reports": "reports"}, tag="monitoring",
          query=(Query("endpoint", "string", "only this endpoint's reports"), LIMIT)),
    Route("GET", "reports/{id}", "getReport", "One monitoring report (Workspace.report)",
          lambda c: c.ws.report(c.path["id"]).to_dict(), "MonitoringReport", tag="monitoring", path_params=REPORT),
    Route("GET", "reports/{id}/html", "getReportHtml", "The report as a standalone page, with its charts",
          lambda c: Html(c.ws.report(c.path["id"]).to_html()), "html", html=True, tag="monitoring",
          path_params=REPORT),
    Route("GET", "runs", "listRuns", "Scheduled and manual runs, newest first (Workspace.runs)",
          lambda c: {"runs": run_records(c.ws.runs(c.query["name"], limit=c.query["limit"]), c.relative)},
          {"runs": "RunRecord"}, tag="jobs",
          query=(Query("name", "string", "only the runs of this schedule id or target"), LIMIT)),
    Route("GET", "schedules", "listSchedules", "The schedules (Workspace.schedules)",
          lambda c: {"schedules": _records("schedules", c.ws.schedules())}, {"schedules": "schedules"}, tag="jobs"),
    Route("POST", "schedules/{id}/run", "runSchedule", "Run a schedule's job now, without waiting for it "
          "(Workspace.run_now(id, wait=False))", lambda c: {"run": c.ws.run_now(c.path["id"], wait=False).to_dict()},
          {"run": "ScheduledRun"}, status=202, tag="jobs", path_params=SCHEDULE),
    Route("GET", "audit", "listAudit", "The audit log's last entries, in chain order (Workspace.audit)",
          _audit, {"entries": "audit"}, tag="governance",
          query=(Query("model", "string", "only the entries of this model"), LIMIT)),
)
