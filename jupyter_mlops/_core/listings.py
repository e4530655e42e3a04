"""The JSON form of the listing verbs: what each column of the DataFrame of ``models``,
``versions``, ``datasets``, ``audit``, ``diff``, ``endpoints``, ``captured``, ``schedules``,
``runs`` and ``reports`` holds, and ``records(name, frame)``, the frame as the JSON-safe records the REST API
serves (one dict a row).

``LISTINGS`` is the table: for each verb its columns in order, each with its JSON type and what it
means, written below as ``name  type[|null]  meaning`` lines so that it reads as the documentation
it is. A frame's index becomes the first key of each record when it means something (``versions``
is indexed by ``version``, ``diff`` by ``field``, ``schedules``, ``runs`` and ``reports`` by ``id``). Some
listings also have columns the data decides (a ``versions`` column per metric, a ``captured``
column per model input, a ``diff`` column per compared version): ``Listing.more`` describes them.

JSON types are "string", "integer", "number", "boolean", "object", "array", "any" and
"date-time" (a string: ISO 8601, in UTC). A nullable column may hold null; NaN and missing values
are always null in records, never NaN.
"""

from __future__ import annotations

import datetime as dt
import re
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


def _listing(verb: str, table: str, indexed: bool = False, more: str | None = None) -> Listing:
    return Listing(verb, tuple(_column(line) for line in table.strip().splitlines()), indexed,
                   _column(more) if more else None)


def _column(line: str) -> Column:
    """``name  type[|null]  meaning``, the fields apart by two spaces or more."""
    name, type_, meaning = re.split(r"\s{2,}", line.strip(), maxsplit=2)
    json_type, _, null = type_.partition("|")
    return Column(name, json_type, meaning, nullable=null == "null")


LISTINGS: dict[str, Listing] = {
    "models": _listing("Workspace.models()", """
    name             string          the model's name
    versions         integer         how many versions it has
    latest           integer|null    its newest version number
    aliases          string          its aliases as "alias=version, …" (empty: none)
    latest_approval  string|null     the newest version's approval: PendingManualApproval, Approved or Rejected
    updated_at       date-time       when the model last changed
    description      string|null     the model's description
"""),
    "versions": _listing("Workspace.versions(name)", """
    version          integer         the version number
    created_at       date-time       when it was registered
    created_by       string          who registered it
    approval         string          PendingManualApproval, Approved or Rejected
    aliases          string          the aliases pointing at it, comma separated (empty: none)
    status           string          active or archived
    reproduction     string|null     PASS or FAIL: the verdict of its latest reproduction (Workspace.reproduce; null: none)
    data_sha256      string|null     the first 12 hex digits of the training data's hash (null: registered without data)
""", indexed=True, more="<metric>  number|null  one column per metric any version logged (null where a version lacks it)"),
    "datasets": _listing("Workspace.datasets()", """
    name             string          the dataset's name
    version          integer         the version number
    rows             integer         how many rows it has
    columns          integer         how many columns it has
    content_sha256   string          the first 12 hex digits of its content hash (rows, columns and dtypes)
    created_at       date-time       when it was saved
    created_by       string          who saved it
"""),
    "audit": _listing("Workspace.audit(name=None)", """
    seq              integer         the entry's place in the hash chain, from 1
    time             date-time       when it was written
    actor            string          who did it
    action           string          what was done: register, approve, deploy, traffic, batch, alert, …
    target           string          what it was done to: a ref ("churn:1"), a model, an endpoint, …
    details          object          the action's particulars
    hash             string          the first 12 hex digits of the entry's chained hash
"""),
    "diff": _listing("Workspace.diff(a, b)", """
    field            string          what is compared: "metric.auc", "param.C", "data.sha256", "git.commit", …
    changed          boolean         whether the two versions' values differ
""", indexed=True, more="<ref>  any|null  two columns, named by the refs compared (a's first): that version's value"),
    "endpoints": _listing("Workspace.endpoints(all=False)", """
    name             string          the endpoint's name
    status           string          starting, running, updating, stopped (listed only with all=True) or failed
    url              string|null     where it serves
    variants         string          its variants and traffic weights: "name=weight, …", shadows marked "(shadow)"
    req_per_s        number|null     requests per second over about the last minute (null unless running)
    p50_ms           number|null     median latency in milliseconds over the same window
    p99_ms           number|null     99th percentile latency in milliseconds over the same window
    error_rate       number|null     the share of requests that failed over the same window
    async_queue      integer         asynchronous requests waiting or running (invoke_endpoint_async)
    cpu_percent      number|null     CPU use of the server and its workers
    rss_mb           number|null     resident memory of the server and its workers, in MB
    pid              integer|null    the server's process id
    workers          integer         how many worker processes serve it
    serverless       string|null     a serverless endpoint's state: warm, cold (workers released) or starting; null when always on
    cold_starts      integer|null    how many times a request brought a cold serverless endpoint back
    last_cold_start_s  number|null   how long the last cold start took, in seconds
    reason           string|null     why it has its status, when that needs saying
"""),
    "captured": _listing("Workspace.captured(endpoint, since=None, with_ground_truth=False)", """
    prediction       any|null        what the endpoint answered for the row (a number, a string or a list)
    inference_id     string|null     the caller's inference id, if it sent one
    event_id         string          the id of the captured request
    time             date-time       when the request was served
    variant          string          the variant that served it
""", more="<input>  any|null  one column per model input (f0, f1, … for a model without a signature), first; "
                "with_ground_truth adds label, last: the uploaded label of the row"),
    "schedules": _listing("Workspace.schedules()", """
    id               string          the schedule's id: "<kind>-<target>"
    kind             string          what it runs: monitor, retrain, or a plugin's job kind
    target           string          what it runs on: an endpoint or a model
    trigger          string          when it runs: "every 1h", "cron 0 3 * * *", …
    next_run         date-time|null  when it runs next
    last_run         date-time|null  when it last ran
    last_status      string|null     how its last run ended (see runs)
    enabled          boolean         whether the scheduler runs it
    options          object          the kind's options (on_violation, webhook, since, …)
""", indexed=True),
    "runs": _listing("Workspace.runs(name=None, limit=200)", """
    id               integer         the run's id; newest first
    schedule         string|null     the schedule it ran for
    kind             string          the job kind: monitor, retrain, pipeline, or a plugin's
    target           string          what it ran on
    status           string          running, succeeded, violation, skipped, gate_failed or failed
    started          date-time       when it started
    finished         date-time|null  when it finished
    seconds          number|null     how long it took
    result           object|null     what the job returned (rows checked, violations, report paths; a retraining run's Run)
    error            string|null     the error, when it failed
""", indexed=True),
    "reports": _listing("Workspace.reports(endpoint=None, limit=20)", """
    id               integer         the report's id, the id of the monitoring run that made it (Workspace.report(id)); newest first
    endpoint         string          the endpoint whose captured traffic was checked
    kind             string          what the report is: "check" (data quality violations and drift of one window)
    schedule         string|null     the monitoring schedule whose run made it
    created          date-time       when the check finished
    status           string          ok, warn (some features drifted) or alert (violations or dataset drift)
    ref              string|null     the model version whose baseline the window was checked against
    rows             integer|null    how many captured rows the window held
    violations       integer         how many data quality violations it found
    drifted_features  array          the names of the features that drifted
    summary          string          the report's one-line summary
    trigger          string          what started the run: schedule, event or manual (Workspace.run_now)
""", indexed=True),
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
