"""The OpenAPI 3.1 document of the REST API, generated from ``routes.ROUTES``, the listings'
record forms (``_core/listings.py``) and the result dataclasses' fields, so that it cannot drift
from what the server does. Served at ``openapi.json``; also committed beside this file (a test
keeps the two equal), where the lab extension's TypeScript types are generated from.

Regenerate the committed copy with ``python -m jupyter_mlops.server.openapi``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import types
import typing
from pathlib import Path
from typing import Any

from .. import _version
from .._core.listings import LISTINGS
from . import API_PREFIX
from .routes import METRIC_COLUMNS, ROUTES, Route

COMMITTED = Path(__file__).with_name("openapi.json")

#: listing -> the name of its record's schema
RECORDS = {"models": "ModelRecord", "versions": "VersionRecord", "endpoints": "EndpointListingRecord",
           "schedules": "ScheduleRecord", "runs": "RunListingRecord", "reports": "ReportRecord",
           "audit": "AuditEntry"}
#: result types served by their ``to_dict()``: schema name -> "module:class"
RESULTS = {"ModelVersion": "jupyter_mlops._core.registry.results:ModelVersion",
           "Endpoint": "jupyter_mlops._core.serving.control.results:Endpoint",
           "MonitoringReport": "jupyter_mlops._core.monitor.reports.monitoring:MonitoringReport",
           "DriftReport": "jupyter_mlops._core.monitor.reports.drift:DriftReport",
           "ColumnDrift": "jupyter_mlops._core.monitor.reports.drift:ColumnDrift",
           "ScheduledRun": "jupyter_mlops._core.scheduler.results:ScheduledRun"}
#: keys a result's ``to_dict`` adds to its fields
EXTRA_KEYS = {"ModelVersion": {"ref": {"type": "string", "description": "name:version"}}}
REPORT_KEYS = {"report": {"type": "string", "description": "the report's type"},
               "status": {"type": "string", "enum": ["ok", "warn", "alert", "info"]},
               "summary": {"type": "string", "description": "one line saying what it found"}}
LISTING_TYPES = {"string": {"type": "string"}, "integer": {"type": "integer"}, "number": {"type": "number"},
                 "boolean": {"type": "boolean"}, "object": {"type": "object"}, "array": {"type": "array"},
                 "any": {}, "date-time": {"type": "string", "format": "date-time"}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    if not schema:
        return schema
    if "type" in schema and "$ref" not in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        return {**schema, "type": [*kinds, "null"]}
    return {"oneOf": [schema, {"type": "null"}]}


def listing_schema(name: str) -> dict:
    listing = LISTINGS[name]
    props = {}
    for c in listing.columns:
        schema = {**LISTING_TYPES[c.type], "description": c.meaning}
        props[c.name] = _nullable(schema) if c.nullable else schema
    out: dict[str, Any] = {"type": "object", "description": f"A row of {listing.verb}.", "properties": props,
                           "required": list(props)}
    if listing.more:
        out["additionalProperties"] = {"description": listing.more.meaning}
    return out


def _class(spec: str) -> type:
    import importlib

    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def _type_schema(annotation: Any, names: dict[type, str]) -> dict:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        schema = _type_schema(inner[0], names) if len(inner) == 1 else {}
        return _nullable(schema) if type(None) in args else schema
    if annotation in names:
        return _ref(names[annotation])
    if annotation is str:
        return {"type": "string"}
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is int:
        return {"type": "integer"}
    if annotation is float:
        return {"type": "number"}
    if annotation in (dt.datetime,):
        return {"type": "string", "format": "date-time"}
    if annotation is dict or origin is dict:
        return {"type": "object"}
    if annotation in (list, tuple) or origin in (list, tuple):
        items = [a for a in args if a is not Ellipsis]
        return {"type": "array", "items": _type_schema(items[0], names)} if items else {"type": "array"}
    return {}


def result_schema(name: str, cls: type, names: dict[type, str]) -> dict:
    from .._core.monitor.reports.base import Report

    hints = typing.get_type_hints(cls)
    props, required = {}, []
    for f in dataclasses.fields(cls):
        if f.name.startswith("_") or not f.metadata.get("on_the_wire", True):
            continue
        props[f.name] = _type_schema(hints[f.name], names)
        required.append(f.name)
    extra = dict(EXTRA_KEYS.get(name, {}))
    if issubclass(cls, Report):
        extra.update(REPORT_KEYS)
    props.update(extra)
    doc = (cls.__doc__ or "").strip().split("\n\n")[0]
    out = {"type": "object", "properties": props, "required": [*required, *extra]}
    if doc and not doc.startswith(f"{cls.__name__}("):
        out["description"] = " ".join(doc.split())
    return out


def schemas() -> dict[str, dict]:
    out = {RECORDS[name]: listing_schema(name) for name in RECORDS}
    metrics = {"type": "object", "description": "the endpoint's figures over about the last minute",
               "properties": {k: out["EndpointListingRecord"]["properties"][k] for k in METRIC_COLUMNS}}
    out["EndpointRecord"] = {"allOf": [_ref("EndpointListingRecord"), {
        "type": "object", "properties": {"metrics": metrics}, "required": ["metrics"]}]}
    out["RunRecord"] = {"allOf": [_ref("RunListingRecord"), {
        "type": "object", "required": ["output_notebook"], "properties": {"output_notebook": {
            "type": ["string", "null"],
            "description": "a retraining run's executed notebook, relative to the server's root when inside it"}}}]}
    classes = {_class(spec): name for name, spec in RESULTS.items()}
    for cls, name in classes.items():
        out[name] = result_schema(name, cls, classes)
    out["EndpointDetail"] = {"allOf": [_ref("Endpoint"), {
        "type": "object", "required": ["metrics"], "properties": {"metrics": {
            "type": "object", "description": "per variant: totals since start and the last minute's figures",
            "properties": {"total": {"type": "object"}, "last_minute": {"type": "object"}}}}}]}
    out["Stopped"] = {"type": "object", "required": ["name", "status"],
                      "properties": {"name": {"type": "string"}, "status": {"const": "stopped"}}}
    out["Summary"] = {"type": "object", "required": ["workspace", "models", "endpoints", "schedules", "runs", "reports"],
                      "properties": {"workspace": {"type": "string", "description": "the workspace's home folder"},
                                     **{k: {"type": "array", "items": _ref(v)} for k, v in (
                                         ("models", "ModelRecord"), ("endpoints", "EndpointRecord"),
                                         ("schedules", "ScheduleRecord"), ("runs", "RunRecord"),
                                         ("reports", "ReportRecord"))}}}
    out["Error"] = {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["type", "message"],
        "properties": {"type": {"type": "string", "description": "the error's class: ModelNotFound, InvalidInput, …"},
                       "message": {"type": "string", "description": "one readable line"}}}}}
    return dict(sorted(out.items()))


def _response_schema(response: str | dict) -> dict:
    if isinstance(response, dict):
        props = {key: {"type": "array", "items": _ref(RECORDS.get(value, value))} if value in RECORDS or
                 value.endswith("Record") or value == "AuditEntry" else _ref(value) for key, value in response.items()}
        return {"type": "object", "properties": props, "required": list(props)}
    return _ref(response)


def _operation(route: Route) -> dict:
    params = [{"name": name, "in": "path", "required": True, "description": text, "schema": {
        "type": "string", "maxLength": 256}} for name, text in route.path_params.items()]
    for q in route.query:
        schema: dict[str, Any] = {"type": q.type}
        if q.default is not None:
            schema["default"] = q.default
        if q.minimum is not None:
            schema.update(minimum=q.minimum, maximum=q.maximum)
        params.append({"name": q.name, "in": "query", "required": False, "description": q.description,
                       "schema": schema})
    content = ({"text/html": {"schema": {"type": "string"}}} if route.html
               else {"application/json": {"schema": _response_schema(route.response)}})
    error = {"content": {"application/json": {"schema": _ref("Error")}}}
    responses = {str(route.status): {"description": "OK" if route.status == 200 else "Accepted", "content": content},
                 "400": {"description": "bad input (a name, a reference, a query value, the body)", **error},
                 "403": {"description": "not authenticated, or a cookie POST without the XSRF token"},
                 "404": {"description": "no such model, version, endpoint, report or schedule", **error}}
    if route.method == "POST":
        responses["409"] = {"description": "the action conflicts with the current state", **error}
    op: dict[str, Any] = {"operationId": route.operation, "summary": route.summary, "tags": [route.tag],
                          "parameters": params, "responses": responses}
    if route.method == "POST":
        props = {f.name: {**f.schema, "description": f.description} for f in route.body}
        body_schema: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
        required = [f.name for f in route.body if f.required]
        if required:
            body_schema["required"] = required
        op["requestBody"] = {"required": bool(required),
                             "content": {"application/json": {"schema": body_schema}}}
    return op


def document() -> dict:
    paths: dict[str, dict] = {}
    for route in ROUTES:
        paths.setdefault("/" + route.path, {})[route.method.lower()] = _operation(route)
    paths["/openapi.json"] = {"get": {"operationId": "getOpenAPI", "summary": "This document", "tags": ["meta"],
                                      "parameters": [], "responses": {"200": {"description": "OK", "content": {
                                          "application/json": {"schema": {"type": "object"}}}}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "jupyter_mlops REST API", "version": _version.__version__,
                 "description": "The Jupyter server extension's routes: JSON in and out, Jupyter's own "
                                "authentication (token, or cookie + X-XSRFToken on POST)."},
        "servers": [{"url": f"/{API_PREFIX}"}],
        "security": [{"token": []}, {"cookie": []}],
        "paths": paths,
        "components": {"schemas": schemas(), "securitySchemes": {
            "token": {"type": "apiKey", "in": "header", "name": "Authorization",
                      "description": "'token <the server's token>'"},
            "cookie": {"type": "apiKey", "in": "cookie", "name": "_xsrf",
                       "description": "the login cookie; a POST also sends the _xsrf cookie's value as X-XSRFToken"}}},
    }


def text() -> str:
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    COMMITTED.write_text(text(), encoding="utf-8")
    print(f"wrote {COMMITTED}")



