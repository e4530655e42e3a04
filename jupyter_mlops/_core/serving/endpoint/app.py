"""The endpoint's HTTP app: a raw ASGI callable (no framework on the hot path).

A prediction is a short pipeline: read the body (in time, within the payload limit), route to a
variant, decode, run the model, encode, send; then, after the answer is out, metrics, data capture
and shadow copies. What is protocol-specific (paths, routing by path, body formats, error shapes)
belongs to the wire adapters in ``protocols/``; this module knows none of their formats. ``/metrics``
(Prometheus text) is the app's own route.
"""

from __future__ import annotations

import asyncio
import os
import time

import numpy as np
import orjson

from ...errors import (InternalFailure, MethodNotAllowed, MlopsError, ModelError, ModelTimeout,
                       PayloadTooLarge, RequestTimeout, RouteNotFound, Throttled, Unauthorized,
                       http_status)
from ..metrics import merge, prometheus_text
from .protocols import Reply, Request, WireProtocol, default_protocols
from .protocols.base import TARGET_MODEL
from .runtime import Live, Runtime
from .shadow import ShadowRunner

INLINE_SECONDS = 0.010   # predictions faster than this run on the event loop, slower ones in a thread
INLINE_ROWS = 2000
OPEN_PATHS = frozenset(("/ping", "/health", "/v2/health/live", "/v2/health/ready"))
METRICS_TYPE = b"text/plain; version=0.0.4; charset=utf-8"
JSON_TYPE = b"application/json"
DENIED = ("Missing or wrong token: send 'Authorization: Bearer <token>', or sign with boto3 using "
          "the token as aws_secret_access_key.")


class Disconnected(Exception):
    """The client went away before its body arrived: there is nobody to answer."""


class EndpointApp:
    def __init__(self, runtime: Runtime, on_startup=None, on_shutdown=None,
                 protocols: tuple[WireProtocol, ...] | None = None):
        self.runtime = runtime
        self.on_startup, self.on_shutdown = on_startup, on_shutdown
        self.protocols = protocols or default_protocols()
        self._shadows = ShadowRunner(runtime)
        self._reading: dict = {}   # task -> deadline of its body read
        self._overdue: set = set()
        self._reaper = None
        self._model_pool = None

    # -- ASGI entry ----------------------------------------------------------------------
    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind == "http":
            return await self.http(scope, receive, send)
        if kind == "lifespan":
            return await self.lifespan(receive, send)

    async def lifespan(self, receive, send):
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                if self.on_startup:
                    self.on_startup()
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                if self.on_shutdown:
                    self.on_shutdown()
                self._shadows.close()
                if self._reaper is not None:
                    self._reaper.cancel()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def http(self, scope, receive, send):
        live = self.runtime.live
        request = Request(scope["method"], scope["path"], scope.get("raw_path") or b"",
                          scope.get("query_string", b""), dict(scope["headers"]))
        try:
            self._authenticate(request, live)
            manager = self._manager(request)
            if manager is not None:
                return await self.manage(request, manager, live, receive, send)
            if request.method == "POST":
                for protocol in self.protocols:
                    params = protocol.match("POST", request.path, request.raw_path)
                    if params is not None:
                        request.params = params
                        if params.get("async"):
                            if self.runtime.gate is not None:
                                self.runtime.gate.touch()
                            return await self.enqueue(request, protocol, live, receive, send)
                        if self.runtime.gate is not None:  # serverless (serverless.py)
                            return await self.predict_gated(request, protocol, live, receive, send)
                        return await self.predict(request, protocol, live, receive, send)
            elif request.method in ("GET", "HEAD"):
                return await _send(send, self._get(request, live))
            raise (RouteNotFound if request.method == "POST" else MethodNotAllowed)(
                f"No route for {request.method} {request.path}.")
        except MlopsError as error:
            return await _send(send, self._error_reply(self._owner(request.path), request, error))

    def _authenticate(self, request: Request, live: Live) -> None:
        if not live.config.token_hash or request.path in OPEN_PATHS:
            return
        auth = request.headers.get(b"authorization", b"")
        if auth.lower().startswith(b"bearer ") and live.config.accepts_token(auth[7:].strip()):
            return
        if auth.startswith(b"AWS4-HMAC-SHA256 ") and request.method == "POST" and live.token_secret:
            request.sigv4 = True  # checked once the body (it is signed) is read
            return
        raise Unauthorized(DENIED)

    def _get(self, request: Request, live: Live) -> Reply:
        if request.path == "/metrics":
            reports = self.runtime.all_reports()
            text = prometheus_text(live.name, merge(reports), reports) + \
                self.runtime.async_metrics_text() + (live.models.prometheus() if live.models else "")
            return Reply(200, text.encode(), METRICS_TYPE)
        if request.path == "/metrics/history":
            return Reply(200, orjson.dumps(self.runtime.history_rows(_last(request.query))), JSON_TYPE)
        for protocol in self.protocols:
            reply = protocol.get(request, live)
            if reply is not None:
                return reply
        raise RouteNotFound(f"No route for GET {request.path}.")

    def _manager(self, request: Request) -> WireProtocol | None:
        """The adapter that manages models at this path (a multi-model endpoint's load and
        unload), if any."""
        for protocol in self.protocols:
            manages = getattr(protocol, "manages", None)
            if manages is not None and manages(request.method, request.path):
                return protocol
        return None

    async def manage(self, request: Request, protocol: WireProtocol, live: Live, receive, send):
        """Loading a model takes a while: in a thread, so other requests keep being answered."""
        try:
            body = await self._read_body_in_time(request, receive, live)
            if request.sigv4 and not self._signed(request, body, live):
                raise Unauthorized(DENIED)
            reply = await asyncio.to_thread(protocol.manage, request, live, body)
        except Disconnected:
            return
        except Exception as exc:
            reply = self._error_reply(protocol, request, served_error(exc, live))
        await _send(send, reply)

    def _owner(self, path: str) -> WireProtocol:
        return next(p for p in self.protocols if p.owns(path))

    @staticmethod
    def _error_reply(protocol: WireProtocol, request: Request | None, error: MlopsError) -> Reply:
        reply = protocol.error(request, error)
        if isinstance(error, Unauthorized):
            reply.headers.append((b"www-authenticate", b"Bearer"))
        return reply

    # -- asynchronous requests ---------------------------------------------------------------
    async def enqueue(self, request: Request, protocol: WireProtocol, live: Live, receive, send):
        """Queued durably (fsynced) before the 202 goes out; the model runs later (worker 0)."""
        try:
            protocol.admit(request, live)
            body = await self._read_body_in_time(request, receive, live)
            if request.sigv4 and not self._signed(request, body, live):
                raise Unauthorized(DENIED)
            reply = await asyncio.to_thread(protocol.queued, request, live, self.runtime.async_queue)
        except Disconnected:
            return
        except Exception as exc:
            return await _send(send, self._error_reply(protocol, request, served_error(exc, live)))
        await _send(send, reply)
        self.runtime.wake_async()

    # -- prediction ----------------------------------------------------------------------------
    async def predict_gated(self, request: Request, protocol: WireProtocol, live: Live, receive, send):
        """Within the endpoint's concurrency limit, or throttled; the gate notes the traffic."""
        gate = self.runtime.gate
        slot = gate.enter()
        if slot is None:
            raise Throttled(f"Rate exceeded: endpoint {live.name!r} runs at most "
                            f"{gate.slots.limit} requests at once (max_concurrency).")
        try:
            return await self.predict(request, protocol, live, receive, send)
        finally:
            gate.leave(slot)

    async def predict(self, request: Request, protocol: WireProtocol, live: Live, receive, send):
        t0 = time.perf_counter()
        variant = None
        try:
            protocol.admit(request, live)
            body = await self._read_body_in_time(request, receive, live)
            if request.sigv4 and not self._signed(request, body, live):
                raise Unauthorized(DENIED)
            if live.models is not None and not live.models.is_loaded(_target_model(request)):
                # a cold model loads in a thread: warm models keep being answered meanwhile
                variant = await asyncio.to_thread(protocol.route, request, live)
            else:
                variant = protocol.route(request, live)
            t1 = time.perf_counter()
            decoded = protocol.decode(request, body, variant)
            t2 = time.perf_counter()
            predictions = await self._run_model(variant, decoded.table, live)
            t3 = time.perf_counter()
            reply = protocol.encode(request, decoded, predictions, variant)
            t4 = time.perf_counter()
        except Disconnected:
            return
        except Exception as exc:
            error = served_error(exc, live)
            await _send(send, self._error_reply(protocol, request, error))
            if variant is not None:
                self.runtime.metrics.observe(variant.name, time.perf_counter() - t0, http_status(error))
            return
        reply.headers += [(b"x-amzn-invoked-production-variant", variant.name.encode()),
                          (b"server-timing", (f"parse;dur={(t2 - t1) * 1000:.3f}, "
                                              f"predict;dur={(t3 - t2) * 1000:.3f}, "
                                              f"serialize;dur={(t4 - t3) * 1000:.3f}").encode())]
        await _send(send, reply)
        self.runtime.metrics.observe(variant.name, time.perf_counter() - t0, 200)
        if live.models is not None:
            live.models.observe(time.perf_counter() - t0, request.params.get("cold", False))
        try:
            self._after_answer(request, protocol, live, variant, body, decoded, predictions, reply,
                               t3 - t2)
        except Exception as exc:  # the answer is out; the worker keeps serving
            print(f"endpoint: capture or shadow failed: {type(exc).__name__}: {exc}", flush=True)

    def _after_answer(self, request, protocol, live, variant, body, decoded, predictions, reply,
                      model_seconds: float) -> None:
        """Data capture and shadow copies, off the request's latency."""
        capture = self.runtime.capture
        if live.capture_fraction and capture is not None and \
                (live.capture_fraction >= 1 or np.random.random() < live.capture_fraction):
            in_type, in_body = protocol.captured_input(request, decoded, body)
            out_type, out_body = reply.captured_output()
            capture.put(variant.name, in_type, in_body, out_type, out_body,
                        request.header(b"x-amzn-sagemaker-inference-id"))
        if live.router.shadows:
            self._shadows.submit(live, decoded.table, predictions, model_seconds,
                                 request.headers.get(b"x-amzn-sagemaker-inference-id"))

    @staticmethod
    def _signed(request: Request, body: bytes, live: Live) -> bool:
        from .sigv4 import verify

        return verify("POST", request.raw_path or request.path.encode(), request.query,
                      request.headers, body, live.token_secret)

    async def _read_body_in_time(self, request: Request, receive, live: Live) -> bytes:
        """A client that stops sending mid-body gets 408 after the request timeout. A reaper task
        cancels overdue reads (cheaper per request than a timer per request)."""
        length = request.headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > live.max_payload_bytes:
            raise too_large(int(length), live.max_payload_bytes)
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        self._reading[task] = loop.time() + live.request_timeout_s
        if self._reaper is None:
            self._reaper = loop.create_task(self._reap())
        try:
            return await _read_body(receive, live.max_payload_bytes)
        except asyncio.CancelledError:
            if task not in self._overdue:
                raise
            task.uncancel()
            raise RequestTimeout(f"The request body did not arrive within "
                                 f"{live.request_timeout_s:g} s.") from None
        finally:
            self._reading.pop(task, None)
            self._overdue.discard(task)

    async def _reap(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(0.25)
            now = loop.time()
            for task, deadline in list(self._reading.items()):
                if deadline < now and task not in self._overdue:
                    self._overdue.add(task)
                    task.cancel()

    async def _run_model(self, variant, table, live: Live) -> np.ndarray:
        if variant.ewma_seconds < INLINE_SECONDS and table.n_rows <= INLINE_ROWS:
            return variant.predict(table)
        if self._model_pool is None:
            from concurrent.futures import ThreadPoolExecutor

            # one thread per core: more threads only fight over the GIL (measured with RF50)
            self._model_pool = ThreadPoolExecutor(
                max_workers=int(os.environ.get("MLOPS_MODEL_THREADS", "1")),
                thread_name_prefix="mlops-model")
        loop = asyncio.get_running_loop()
        return await asyncio.wait_for(loop.run_in_executor(self._model_pool, variant.predict,
                                                           table), live.request_timeout_s)


def _target_model(request: Request) -> str:
    """The model a request to a multi-model endpoint names: in its path (the container API's
    ``/models/{name}/invoke``, V2's ``/v2/models/{model}/versions/{v}``) or its TargetModel."""
    model, version = request.params.get("model"), request.params.get("version")
    if model:
        return f"{model}:{version}" if version else model
    return request.header(TARGET_MODEL) or ""


def _last(query: bytes) -> float | None:
    """``?last=15min`` (any duration, or seconds) of ``/metrics/history``; none: everything kept."""
    from urllib.parse import parse_qs

    from ...durations import duration_seconds

    values = parse_qs(query.decode("latin-1")).get("last")
    if not values:
        return None
    text = values[-1]
    return duration_seconds(float(text) if text.replace(".", "", 1).isdigit() else text, "last")


def served_error(exc: Exception, live: Live) -> MlopsError:
    """What a failure looks like to the client: every error is one of the tree's classes."""
    if isinstance(exc, ModelError):
        return ModelError(f"The model raised {exc.message}")
    if isinstance(exc, MlopsError):
        return exc
    if isinstance(exc, asyncio.TimeoutError):
        return ModelTimeout(f"Request processing time exceeded limit ({live.request_timeout_s:g} s).")
    return InternalFailure(f"Internal error: {type(exc).__name__}: {exc}")


def too_large(size: int, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The request payload of at least {size} bytes is over this endpoint's limit of "
        f"{limit} bytes ({limit / 1024 / 1024:g} MB); split it into smaller requests.")


async def _send(send, reply: Reply):
    headers = [(b"content-type", reply.content_type)]
    if not reply.chunked:
        headers.append((b"content-length", str(len(reply.body)).encode()))
    await send({"type": "http.response.start", "status": reply.status,
                "headers": headers + reply.headers})
    if reply.chunked:
        await send({"type": "http.response.body", "body": reply.body, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    else:
        await send({"type": "http.response.body", "body": reply.body})


async def _read_body(receive, limit: int) -> bytes:
    chunks, size = [], 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            raise Disconnected
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(size, limit)
        chunks.append(chunk)
        if not msg.get("more_body"):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
