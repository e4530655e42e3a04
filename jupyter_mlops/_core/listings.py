"""The JSON form of the listing verbs: what each column of the DataFrame of ``models``,
``versions``, ``datasets``, ``audit``, ``diff``, ``endpoints``, ``captured``, ``schedules`` and
``runs`` holds, and ``records(name, frame)``, the frame as the JSON-safe records the REST API
serves (one dict a row).

``LISTINGS`` is the table: for each verb its columns in order, each with its JSON type and what it
means. A frame's index becomes the first key of each record when it means something (``versions``
is indexed by ``version``, ``diff`` by ``field``, ``schedules`` and ``runs`` by ``id``). Some
listings also have columns the data decides (a ``versions`` column per metric, a ``captured``
column per model input, a ``diff`` column per compared version): ``Listing.more`` describes them.

JSON types are "string", "integer", "number", "boolean", "object", "array", "any" and
"date-time" (a string: ISO 8601, in UTC). A nullable column may hold null; NaN and missing values
are always null in records, never NaN.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from .results import jsonable

JSON_TYPES = ("string", "integer", "number", "boolean", "object", "array", "any", "date-time")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    meaning: str
    nullable: bool = False


@dataclass(frozen=True)
class Listing:
    verb: str
    columns: tuple[Column, ...]
    #: the first column is the frame's index
    indexed: bool = False
    #: the columns the data decides; ``more.name`` is a placeholder such as "<metric>"
    more: Column | None = None

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column | None:
        """The documented column ``name``, else ``more`` (for a column the data decides)."""
        return next((c for c in self.columns if c.name == name), self.more)


def _c(name: str, type_: str, meaning: str, nullable: bool = False) -> Column:
    return Column(name, type_, meaning, nullable)


LISTINGS: dict[str, Listing] = {
    "models": Listing("Workspace.models()", (
        _c("name", "string", "the model's name"),
        _c("versions", "integer", "how many versions it has"),
        _c("latest", "integer", "its newest version number", True),
        _c("aliases", "string", 'its aliases as "alias=version, …" (empty: none)'),
        _c("latest_approval", "string", "the newest version's approval: PendingManualApproval, Approved or Rejected", True),
        _c("updated_at", "date-time", "when the model last changed"),
        _c("description", "string", "the model's description", True),
    )),
    "versions": Listing("Workspace.versions(name)", (
        _c("version", "integer", "the version number"),
        _c("created_at", "date-time", "when it was registered"),
        _c("created_by", "string", "who registered it"),
        _c("approval", "string", "PendingManualApproval, Approved or Rejected"),
        _c("aliases", "string", "the aliases pointing at it, comma separated (empty: none)"),
        _c("status", "string", "active or archived"),
        _c("data_sha256", "string", "the first 12 hex digits of the training data's hash (null: registered without data)", True),
    ), indexed=True, more=_c("<metric>", "number", "one column per metric any version logged (null where a version lacks it)", True)),
    "datasets": Listing("Workspace.datasets()", (
        _c("name", "string", "the dataset's name"),
        _c("version", "integer", "the version number"),
        _c("rows", "integer", "how many rows it has"),
        _c("columns", "integer", "how many columns it has"),
        _c("content_sha256", "string", "the first 12 hex digits of its content hash (rows, columns and dtypes)"),
        _c("created_at", "date-time", "when it was saved"),
        _c("created_by", "string", "who saved it"),
    )),
    "audit": Listing("Workspace.audit(name=None)", (
        _c("seq", "integer", "the entry's place in the hash chain, from 1"),
        _c("time", "date-time", "when it was written"),
        _c("actor", "string", "who did it"),
        _c("action", "string", "what was done: register, approve, deploy, traffic, batch, alert, …"),
        _c("target", "string", 'what it was done to: a ref ("churn:1"), a model, an endpoint, …'),
        _c("details", "object", "the action's particulars"),
        _c("hash", "string", "the first 12 hex digits of the entry's chained hash"),
    )),
    "diff": Listing("Workspace.diff(a, b)", (
        _c("field", "string", 'what is compared: "metric.auc", "param.C", "data.sha256", "git.commit", …'),
        _c("changed", "boolean", "whether the two versions' values differ"),
    ), indexed=True, more=_c("<ref>", "any", "two columns, named by the refs compared (a's first): that version's value", True)),
    "endpoints": Listing("Workspace.endpoints()", (
        _c("name", "string", "the endpoint's name"),
        _c("status", "string", "starting, running, updating, stopped or failed"),
        _c("url", "string", "where it serves", True),
        _c("variants", "string", 'its variants and traffic weights: "name=weight, …", shadows marked "(shadow)"'),
        _c("req_per_s", "number", "requests per second over about the last minute (null unless running)", True),
        _c("p50_ms", "number", "median latency in milliseconds over the same window", True),
        _c("p99_ms", "number", "99th percentile latency in milliseconds over the same window", True),
        _c("error_rate", "number", "the share of requests that failed over the same window", True),
        _c("cpu_percent", "number", "CPU use of the server and its workers", True),
        _c("rss_mb", "number", "resident memory of the server and its workers, in MB", True),
        _c("pid", "integer", "the server's process id", True),
        _c("workers", "integer", "how many worker processes serve it"),
        _c("reason", "string", "why it has its status, when that needs saying", True),
    )),
    "captured": Listing("Workspace.captured(endpoint, since=None)", (
        _c("prediction", "any", "what the endpoint answered for the row (a number, a string or a list)", True),
        _c("inference_id", "string", "the caller's inference id, if it sent one", True),
        _c("event_id", "string", "the id of the captured request"),
        _c("time", "date-time", "when the request was served"),
        _c("variant", "string", "the variant that served it"),
    ), more=_c("<input>", "any", "one column per model input (f0, f1, … for a model without a signature), first", True)),
    "schedules": Listing("Workspace.schedules()", (
        _c("id", "string", 'the schedule\'s id: "<kind>-<target>"'),
        _c("kind", "string", "what it runs: monitor, retrain, or a plugin's job kind"),
        _c("target", "string", "what it runs on: an endpoint or a model"),
        _c("trigger", "string", 'when it runs: "every 1h", "cron 0 3 * * *", …'),
        _c("next_run", "date-time", "when it runs next", True),
        _c("last_run", "date-time", "when it last ran", True),
        _c("last_status", "string", "how its last run ended (see runs)", True),
        _c("enabled", "boolean", "whether the scheduler runs it"),
        _c("options", "object", "the kind's options (on_violation, webhook, since, …)"),
    ), indexed=True),
    "runs": Listing("Workspace.runs(name=None, limit=200)", (
        _c("id", "integer", "the run's id; newest first"),
        _c("schedule", "string", "the schedule it ran for", True),
        _c("kind", "string", "the job kind"),
        _c("target", "string", "what it ran on"),
        _c("status", "string", "running, succeeded, violation, skipped or failed"),
        _c("started", "date-time", "when it started"),
        _c("finished", "date-time", "when it finished", True),
        _c("seconds", "number", "how long it took", True),
        _c("result", "object", "what the job returned (rows checked, violations, report paths, …)", True),
        _c("error", "string", "the error, when it failed", True),
    ), indexed=True),
}


def records(name: str, frame) -> list[dict[str, Any]]:
    """The rows of listing ``name``'s DataFrame as JSON-safe dicts: the index as the first key
    when it means something, timestamps as ISO 8601 in UTC, missing values as None, and every
    documented column present (None where the frame lacks it)."""
    listing = LISTINGS[name]
    if listing.indexed:
        frame = frame.reset_index()
    columns = {key: listing.column(str(key)) for key in frame.columns}
    out = []
    for row in frame.to_dict(orient="records"):
        record = {str(k): _value(v, columns[k]) for k, v in row.items()}
        for c in listing.columns:
            record.setdefault(c.name, None)
        out.append(record)
    return out


def _value(value: Any, column: Column | None) -> Any:
    kind = column.type if column else "any"
    if kind == "date-time" and isinstance(value, dt.datetime) and value == value:
        # the database hands back naive datetimes that are UTC
        utc = value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)
        return utc.isoformat()
    value = jsonable(value)
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        # an integer column with a null in it comes back from pandas as floats
        return int(value)
    return value
