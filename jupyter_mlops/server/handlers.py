"""Tornado handlers made from the routes table (``routes.ROUTES``).

Every handler is a Jupyter ``APIHandler`` with ``@tornado.web.authenticated``: a request needs the
server's token or its login cookie, and a POST with the cookie also needs the XSRF token (Jupyter
checks it before the method runs). A request is checked first (path segments, query values, the
JSON body against the route's fields), then its one ``Workspace`` call runs on a thread pool, so a
slow database, endpoint or notebook run never blocks the server's event loop.

Errors: an ``MlopsError`` is answered with ``errors.http_status`` (the one table) and
``{"error": {"type": "ModelNotFound", "message": "..."}}``; anything else is a 500 with its type
only, logged with its traceback.
"""

from __future__ import annotations

import json
import math
import re
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado.ioloop import IOLoop

from .._core.errors import InvalidInput, MlopsError, http_status
from .._core.names import validate_text
from . import API_PREFIX
from .routes import ROUTES, Call, Html, Route

#: threads for workspace calls: a few, since most are short reads and the machine may be small
EXECUTOR = ThreadPoolExecutor(max_workers=4, thread_name_prefix="jupyter-mlops")
MAX_BODY_BYTES = 64 * 1024
MAX_SEGMENT = 256


class JsonErrors(APIHandler):
    """Refusals made by tornado or Jupyter before our code runs (403 without a token, a wrong XSRF
    token, a path that is not UTF-8) in this API's error shape too. ``auth_resource``: what a
    deployment's Jupyter ``Authorizer`` is asked about ("read" for GET, "write" for POST)."""

    auth_resource = "jupyter_mlops"

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        from http.client import responses

        exc = (kwargs.get("exc_info") or (None, None, None))[1]
        kind = {403: "Forbidden", 400: "InvalidInput", 404: "RouteNotFound", 405: "MethodNotAllowed"}.get(
            status_code, "HTTPError")
        message = getattr(exc, "log_message", None) or responses.get(status_code, "error")
        if status_code >= 500 or not isinstance(exc, tornado.web.HTTPError):
            kind, message = "InternalError", "The server failed on its own account; see its log."
        self.finish(json.dumps({"error": {"type": kind, "message": str(message)}}))


class MlopsHandler(JsonErrors):
    """The routes of one path: ``routes`` maps a method to its route."""

    routes: dict[str, Route] = {}
    workspace = None  # the ServerWorkspace, set by ``handlers``

    @tornado.web.authenticated
    @authorized
    async def get(self, *args: str):
        await self._serve("GET", args)

    @tornado.web.authenticated
    @authorized
    async def post(self, *args: str):
        await self._serve("POST", args)

    async def _serve(self, method: str, args: tuple[str, ...]) -> None:
        route = self.routes.get(method)
        if route is None:
            self._error(405, "MethodNotAllowed", f"{method} is not allowed here.")
            return
        try:
            call = Call(self.workspace.get(), self._path_params(route, args), self._query(route),
                        self._body(route) if method == "POST" else {}, self.workspace.relative)
            result = await IOLoop.current().run_in_executor(EXECUTOR, partial(route.action, call))
        except MlopsError as exc:
            self._error(http_status(exc), type(exc).__name__, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - a bug of ours: say so without the traceback
            self.log.exception("jupyter_mlops: %s %s failed", method, self.request.path)
            self._error(500, type(exc).__name__, "The server failed on its own account; see its log.")
            return
        self._answer(route, result)

    # -- checking the request ---------------------------------------------------------------
    def _path_params(self, route: Route, args: tuple[str, ...]) -> dict[str, str]:
        names = re.findall(r"{(\w+)}", route.path)
        values = {}
        for name, value in zip(names, args):
            values[name] = _segment(value, name)
        return values

    def _query(self, route: Route) -> dict[str, Any]:
        known = {q.name for q in route.query}
        # JupyterLab's ServerConnection appends a bare timestamp (`?1795879658515`) to defeat
        # caches: a key of digits alone carries no meaning here and is ignored, not refused.
        unknown = sorted(k for k in set(self.request.query_arguments) - known if not k.isdigit())
        if unknown:
            raise InvalidInput(f"Unknown query parameter(s): {', '.join(unknown)[:200]}.",
                               hint=f"This route takes: {', '.join(sorted(known)) or 'none'}.")
        out: dict[str, Any] = {}
        for q in route.query:
            raw = self._query_value(q.name)
            if raw is None or raw == "":
                out[q.name] = q.default
            elif q.type == "integer":
                if not re.fullmatch(r"\d{1,9}", raw) or not q.minimum <= int(raw) <= q.maximum:
                    raise InvalidInput(f"{q.name}={raw[:40]!r}: give a whole number from {q.minimum} to {q.maximum}.")
                out[q.name] = int(raw)
            elif q.type == "boolean":
                if raw not in ("true", "false"):
                    raise InvalidInput(f"{q.name}={raw[:40]!r}: give true or false.")
                out[q.name] = raw == "true"
            else:
                out[q.name] = _segment(raw, q.name)
        return out

    def _query_value(self, name: str) -> str | None:
        # read raw: tornado's get_query_argument would quietly turn control characters into spaces
        values = self.request.query_arguments.get(name) or []
        if len(values) > 1:
            raise InvalidInput(f"{name} is given {len(values)} times; give it once.")
        try:
            return values[0].decode("utf-8") if values else None
        except UnicodeDecodeError:
            raise InvalidInput(f"{name} is not UTF-8 text.") from None

    def _body(self, route: Route) -> dict[str, Any]:
        raw = self.request.body or b""
        if len(raw) > MAX_BODY_BYTES:
            raise InvalidInput(f"The body is {len(raw)} bytes; the limit is {MAX_BODY_BYTES}.")
        if not raw.strip():
            body: Any = {}
        else:
            try:
                body = json.loads(raw, parse_constant=_no_constant)
            except (ValueError, UnicodeDecodeError) as exc:
                raise InvalidInput(f"The body is not JSON: {exc}.") from None
        return check_body(route, body)

    # -- answering ---------------------------------------------------------------------------
    def _answer(self, route: Route, result: Any) -> None:
        self.set_status(route.status)
        if isinstance(result, Html):
            # the page is ours but shown in a lab tab: no script, no framing by other sites
            self.set_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "
                            "img-src data:; frame-ancestors 'self'")
            self.finish(result.text, set_content_type="text/html; charset=utf-8")
            return
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(result, allow_nan=False, default=str))

    def _error(self, status: int, kind: str, message: str) -> None:
        self.clear()
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": {"type": kind, "message": message}}))


class NotFoundHandler(JsonErrors):
    """Any other path under the API: a JSON 404 (after authentication, so it tells a stranger
    nothing)."""

    @tornado.web.authenticated
    @authorized
    def get(self, *args):
        self._not_found()

    @tornado.web.authenticated
    @authorized
    def post(self, *args):
        self._not_found()

    def _not_found(self):
        self.set_status(404)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": {"type": "RouteNotFound",
                                          "message": f"No route {self.request.path}; see openapi.json."}}))


class OpenAPIHandler(JsonErrors):
    @tornado.web.authenticated
    @authorized
    def get(self):
        from .openapi import document

        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(document(), indent=1))


def check_body(route: Route, body: Any) -> dict[str, Any]:
    """``body`` checked against the route's fields: an object, no unknown key, every required one
    there, each value of its type. Raises ``InvalidInput`` (400) saying what is wrong."""
    if not isinstance(body, dict):
        raise InvalidInput(f"The body must be a JSON object, got {type(body).__name__}.")
    fields = {f.name: f for f in route.body}
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise InvalidInput(f"Unknown field(s) in the body: {', '.join(unknown)[:200]}.",
                           hint=f"This action takes: {', '.join(fields) or 'an empty object'}.")
    for f in route.body:
        if f.name not in body:
            if f.required:
                raise InvalidInput(f"The body needs {f.name!r}: {f.description}.")
            continue
        _check_value(f.name, body[f.name], f.schema)
    return body


def _check_value(name: str, value: Any, schema: dict) -> None:
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    if value is None and "null" in types:
        return
    if "string" in types and isinstance(value, str):
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 1 << 20):
            raise InvalidInput(f"{name!r} must be {schema.get('minLength', 0)} to {schema.get('maxLength')} "
                               f"characters long.")
        validate_text(value, name, max_len=schema.get("maxLength", 4096))
        return
    if "number" in types and _is_number(value):
        if value < schema.get("minimum", -math.inf):
            raise InvalidInput(f"{name!r} must be at least {schema['minimum']}, got {value}.")
        return
    if "object" in types and isinstance(value, dict):
        if not schema.get("minProperties", 0) <= len(value) <= schema.get("maxProperties", 1 << 20):
            raise InvalidInput(f"{name!r} must have {schema.get('minProperties', 0)} to "
                               f"{schema.get('maxProperties')} entries.")
        inner = schema.get("additionalProperties")
        for key, item in value.items():
            _segment(key, f"a key of {name!r}")
            if isinstance(inner, dict):
                _check_value(f"{name}[{key!r}]", item, inner)
        return
    raise InvalidInput(f"{name!r} must be {' or '.join(types)}, got {type(value).__name__}: {str(value)[:60]!r}.")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _segment(value: str, what: str) -> str:
    """A path segment or query value: no control characters, at most ``MAX_SEGMENT`` characters.
    What it means (a name, a reference, an id) is checked by the workspace call itself."""
    if len(value) > MAX_SEGMENT:
        raise InvalidInput(f"The {what} is {len(value)} characters long; the limit is {MAX_SEGMENT}.")
    return validate_text(value, what, max_len=MAX_SEGMENT)


def handlers(base_url: str, workspace) -> list[tuple]:
    """The (pattern, handler) pairs of the whole API, for ``web_app.add_handlers``."""
    prefix = url_path_join(base_url, API_PREFIX)
    by_path: dict[str, dict[str, Route]] = {}
    for route in ROUTES:
        by_path.setdefault(route.path, {})[route.method] = route
    out = []
    for path, routes in by_path.items():
        pattern = re.sub(r"{\w+}", r"([^/]+)", path)
        name = "Mlops_" + re.sub(r"\W", "_", path)
        handler = type(name, (MlopsHandler,), {"routes": routes, "workspace": workspace})
        out.append((url_path_join(prefix, pattern) + "$", handler))
    out.append((url_path_join(prefix, "openapi.json") + "$", OpenAPIHandler))
    out.append((url_path_join(prefix, "(.*)") + "$", NotFoundHandler))
    return out
