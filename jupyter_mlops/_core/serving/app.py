"""The endpoint's HTTP app: a raw ASGI callable (no framework on the hot path).

Routes (PROTOCOLS.md): ``/ping``, ``/health``, ``/version``, ``/execution-parameters``,
``/metrics``; ``POST /invocations`` (SageMaker container contract and MLflow scoring formats);
``POST /endpoints/{name}/invocations`` (boto3 sagemaker-runtime, errors shaped for botocore);
``/v2/...`` (Open Inference Protocol with the binary tensor extension).
"""

from __future__ import annotations

import asyncio
import os
import hashlib
import hmac
import time
import uuid
from urllib.parse import unquote

import numpy as np
import orjson

from ..._version import __version__ as VERSION
from ..errors import PayloadError
from . import codec, eventstream, v2
from .metrics import merge, prometheus_text
from .router import NoVariant, Router
from .runtime import Live, Runtime
from .shadow import ShadowRunner
from .variants import ModelFailure

JSON = b"application/json"
INLINE_SECONDS = 0.010   # predictions faster than this run on the event loop, slower ones in a thread
INLINE_ROWS = 2000
OPEN_PATHS = frozenset(("/ping", "/health", "/v2/health/live", "/v2/health/ready"))
SAGEMAKER_ERROR_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.sagemaker/"
STREAM_SUFFIXES = ("/invocations", "/invocations-response-stream")


class HTTPError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None):
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


class Disconnected(Exception):
    pass


class EndpointApp:
    def __init__(self, runtime: Runtime, on_startup=None, on_shutdown=None):
        self.runtime = runtime
        self.on_startup, self.on_shutdown = on_startup, on_shutdown
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
        path, method = scope["path"], scope["method"]
        live = self.runtime.live
        headers = dict(scope["headers"])
        if live.token_sha256 and path not in OPEN_PATHS and not self._authorized(live, headers):
            signed = headers.get(b"authorization", b"").startswith(b"AWS4-HMAC-SHA256 ")
            if not (signed and method == "POST" and live.token_secret):
                return await self._deny(send, path)
            scope["mlops.verify_sigv4"] = True  # checked once the body (it is signed) is read
        try:
            if method == "POST":
                if path == "/invocations":
                    return await self.predict(scope, receive, send, headers, live, "mlflow")
                if path.startswith("/endpoints/") and path.endswith(STREAM_SUFFIXES):
                    stream = path.endswith("/invocations-response-stream")
                    suffix = "/invocations-response-stream" if stream else "/invocations"
                    raw = scope.get("raw_path") or path.encode()
                    name = unquote(raw.decode("latin-1")[len("/endpoints/"):-len(suffix)])
                    if name != live.name:
                        raise HTTPError(400, f"Endpoint {name!r} not found: this server serves "
                                             f"{live.name!r}.", "ValidationError")
                    return await self.predict(scope, receive, send, headers, live, "sagemaker",
                                              stream=stream)
                if path.startswith("/v2/models/") and path.endswith("/infer"):
                    return await self.predict(scope, receive, send, headers, live, "v2")
            elif method in ("GET", "HEAD"):
                return await self.get(path, send, live)
            raise HTTPError(404 if method in ("GET", "POST") else 405,
                            f"No route for {method} {path}.")
        except HTTPError as exc:
            return await self._respond_error(send, path, exc)

    async def _deny(self, send, path: str):
        return await self._respond_error(send, path, HTTPError(
            401, "Missing or wrong token: send 'Authorization: Bearer <token>', or sign with "
                 "boto3 using the token as aws_secret_access_key.", "AccessDeniedException"),
            extra=[(b"www-authenticate", b"Bearer")])

    @staticmethod
    def _authorized(live: Live, headers: dict) -> bool:
        auth = headers.get(b"authorization", b"")
        if not auth.lower().startswith(b"bearer "):
            return False
        given = hashlib.sha256(auth[7:].strip()).hexdigest()
        return hmac.compare_digest(given, live.token_sha256)

    # -- GET routes --------------------------------------------------------------------------
    async def get(self, path: str, send, live: Live):
        if path == "/ping":
            return await _send(send, 200, b"", JSON)
        if path == "/health":
            return await _send(send, 200, b"\n", JSON)
        if path == "/version":
            return await _send(send, 200, VERSION.encode(), JSON)
        if path == "/execution-parameters":
            return await _send(send, 200, orjson.dumps({
                "MaxConcurrentTransforms": 1, "BatchStrategy": "MULTI_RECORD",
                "MaxPayloadInMB": max(1, live.max_payload_bytes // (1024 * 1024))}), JSON)
        if path == "/metrics":
            reports = self.runtime.all_reports()
            text = prometheus_text(live.name, merge(reports), reports)
            return await _send(send, 200, text.encode(), b"text/plain; version=0.0.4; charset=utf-8")
        if path in ("/v2/health/live", "/v2/health/ready"):
            key = "live" if path.endswith("live") else "ready"
            return await _send(send, 200, orjson.dumps({key: True}), JSON)
        if path == "/v2":
            return await _send(send, 200, orjson.dumps({
                "name": "jupyter_mlops", "version": VERSION, "extensions": ["binary_tensor_data"]}),
                JSON)
        if path.startswith("/v2/models/"):
            rest = path[len("/v2/models/"):]
            ready = rest.endswith("/ready")
            if ready:
                rest = rest[:-len("/ready")]
            model, version = _model_path(rest)
            candidates = self._v2_variants(live, model, version)
            if ready:
                return await _send(send, 200, orjson.dumps({"name": model, "ready": True}), JSON)
            versions = sorted({str(v.version) for v in candidates if v.version is not None})
            return await _send(send, 200, orjson.dumps(v2.model_metadata(candidates[0], versions)),
                               JSON)
        raise HTTPError(404, f"No route for GET {path}.")

    @staticmethod
    def _v2_variants(live: Live, model: str, version: str | None) -> list:
        found = live.by_model(model, version)
        if not found and model in live.variants:
            found = [live.variants[model]]
        if not found and model == live.name and version is None:
            found = [live.variants[n] for n in live.router.names] or list(live.variants.values())
        if not found:
            detail = f" version {version}" if version else ""
            raise HTTPError(404, f"Model with name {model}{detail} does not exist.")
        return found

    # -- prediction ----------------------------------------------------------------------------
    async def predict(self, scope, receive, send, headers: dict, live: Live, mode: str,
                      stream: bool = False):
        t0 = time.perf_counter()
        variant = None
        status = 500
        try:
            length = headers.get(b"content-length")
            if length is not None and length.isdigit() and int(length) > live.max_payload_bytes:
                raise _too_large(int(length), live.max_payload_bytes, mode)
            body = await self._read_body_in_time(receive, live, mode)
            if scope.get("mlops.verify_sigv4"):
                from .sigv4 import verify

                if not verify("POST", scope.get("raw_path") or scope["path"].encode(),
                              scope.get("query_string", b""), headers, body, live.token_secret):
                    return await self._deny(send, scope["path"])
            variant = self._route(scope, headers, live, mode)
            t1 = time.perf_counter()
            content_type = headers.get(b"content-type")
            ctype = content_type.decode("latin-1") if content_type else None
            if mode == "v2":
                hlen = headers.get(b"inference-header-content-length")
                doc, binary = v2.parse_request(body, hlen.decode("latin-1") if hlen else None)
                table = v2.to_table(doc, binary, variant.schema)
                in_type = "text/csv"
            else:
                table, in_type = codec.parse(body, ctype, variant.schema)
                accept = headers.get(b"x-amzn-sagemaker-accept" if stream else b"accept")
                out_type = codec.choose_output(
                    accept.decode("latin-1") if accept else None,
                    in_type if mode == "sagemaker" else "application/json")
            t2 = time.perf_counter()
            preds = await self._run_model(variant, table, live)
            t3 = time.perf_counter()
            if mode == "v2":
                out, extra = v2.encode_response(doc, preds, variant.model_name, variant.version)
                out_type = "application/json"
            else:
                out, extra = codec.encode(preds, out_type), {}
            t4 = time.perf_counter()
            timing = (f"parse;dur={(t2 - t1) * 1000:.3f}, predict;dur={(t3 - t2) * 1000:.3f}, "
                      f"serialize;dur={(t4 - t3) * 1000:.3f}").encode()
            resp_headers = [(b"content-type", out_type.encode()),
                            (b"x-amzn-invoked-production-variant", variant.name.encode()),
                            (b"server-timing", timing),
                            (b"content-length", str(len(out)).encode())]
            for k, v in extra.items():
                resp_headers.append((k.encode(), v.encode()))
            if mode == "sagemaker":
                resp_headers.append((b"x-amzn-requestid", str(uuid.uuid4()).encode()))
                custom = headers.get(b"x-amzn-sagemaker-custom-attributes")
                if custom:
                    resp_headers.append((b"x-amzn-sagemaker-custom-attributes", custom))
            status = 200
            if stream:
                await self._send_stream(send, resp_headers, out_type, eventstream.payload_part(out))
            else:
                await send({"type": "http.response.start", "status": 200, "headers": resp_headers})
                await send({"type": "http.response.body", "body": out})
            self.runtime.metrics.observe(variant.name, time.perf_counter() - t0, 200)
            if live.capture_fraction and self.runtime.capture is not None and \
                    (live.capture_fraction >= 1 or np.random.random() < live.capture_fraction):
                inference_id = headers.get(b"x-amzn-sagemaker-inference-id")
                if mode == "v2":
                    in_body = codec.encode(table.array if table.array is not None
                                           else np.array(table.rows(), dtype=object), "text/csv")
                else:
                    in_body = body
                self.runtime.capture.put(variant.name, in_type if mode == "v2" else (ctype or in_type),
                                         in_body, out_type, out,
                                         inference_id.decode("latin-1") if inference_id else None)
            if live.router.shadows:
                self._shadows.submit(live, table, preds, t3 - t2,
                                     headers.get(b"x-amzn-sagemaker-inference-id"))
        except HTTPError as exc:
            status = exc.status
            await self._respond_error(send, scope["path"], exc, mode=mode)
        except PayloadError as exc:
            status = getattr(exc, "http_status", 400)
            await self._respond_error(send, scope["path"], HTTPError(status, exc.message), mode=mode,
                                      client_side=True)
        except ModelFailure as exc:
            status = 424 if mode == "sagemaker" else 500
            if stream:  # the stream's own error frame: boto3 raises it while iterating
                await self._send_stream(send, [(b"x-amzn-invoked-production-variant",
                                                variant.name.encode())], "application/json",
                                        eventstream.model_stream_error(f"The model raised {exc}"))
                self.runtime.metrics.observe(variant.name, time.perf_counter() - t0, 500)
                return
            await self._respond_error(send, scope["path"], HTTPError(
                500, f"The model raised {exc}"), mode=mode, model_failed=True)
        except asyncio.TimeoutError:
            status = 504
            await self._respond_error(send, scope["path"], HTTPError(
                504, f"Request processing time exceeded limit ({live.request_timeout_s:g} s)."),
                mode=mode, model_failed=True)
        except Disconnected:
            return
        except Exception as exc:  # never let a request take the worker down
            status = 500
            await self._respond_error(send, scope["path"], HTTPError(
                500, f"Internal error: {type(exc).__name__}: {exc}", "InternalFailure"), mode=mode)
        if status != 200 and variant is not None:
            self.runtime.metrics.observe(variant.name, time.perf_counter() - t0, status)

    async def _read_body_in_time(self, receive, live: Live, mode: str) -> bytes:
        """A client that stops sending mid-body gets 408 after the request timeout. A reaper task
        cancels overdue reads (cheaper per request than a timer per request)."""
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        self._reading[task] = loop.time() + live.request_timeout_s
        if self._reaper is None:
            self._reaper = loop.create_task(self._reap())
        try:
            return await _read_body(receive, live.max_payload_bytes, mode)
        except asyncio.CancelledError:
            if task not in self._overdue:
                raise
            task.uncancel()
            raise HTTPError(408, f"The request body did not arrive within "
                                 f"{live.request_timeout_s:g} s.",
                            "ValidationError" if mode == "sagemaker" else None) from None
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

    @staticmethod
    async def _send_stream(send, headers: list, out_type: str, frames: bytes) -> None:
        keep = [(k, v) for k, v in headers if k not in (b"content-type", b"content-length")]
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", eventstream.CONTENT_TYPE),
            (b"x-amzn-sagemaker-content-type", out_type.encode()), *keep]})
        await send({"type": "http.response.body", "body": frames, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    def _route(self, scope, headers: dict, live: Live, mode: str):
        target = headers.get(b"x-amzn-sagemaker-target-variant")
        if mode == "v2":
            rest = scope["path"][len("/v2/models/"):-len("/infer")]
            model, version = _model_path(rest)
            candidates = self._v2_variants(live, model, version)
            if len(candidates) == 1:
                return candidates[0]
            routed = [v for v in candidates if v.name in live.router.weights]
            if not routed:
                return candidates[0]
            if len(routed) == len(live.router.names):
                return live.variants[live.router.pick(_route_key(headers))]
            sub = Router({v.name: live.router.weights[v.name] for v in routed})
            return live.variants[sub.pick(_route_key(headers))]
        if target:
            name = target.decode("latin-1")
            variant = live.variants.get(name)
            if variant is None:
                raise HTTPError(400, f"The variant {name!r} does not exist on endpoint "
                                     f"{live.name!r}; variants: {', '.join(live.variants)}.",
                                "ValidationError")
            return variant
        try:
            return live.variants[live.router.pick(_route_key(headers))]
        except NoVariant as exc:
            raise HTTPError(503, str(exc), "ServiceUnavailable") from None

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

    # -- errors --------------------------------------------------------------------------
    async def _respond_error(self, send, path: str, exc: HTTPError, mode: str | None = None,
                             extra=(), client_side: bool = False, model_failed: bool = False):
        if mode is None:
            mode = ("sagemaker" if path.startswith("/endpoints/") else
                    "v2" if path.startswith("/v2") else "mlflow")
        headers = list(extra)
        if mode == "sagemaker":
            if exc.code:
                status, code = exc.status, exc.code
                body = {"message": exc.message}
            else:  # the container answered with an error: botocore's ModelError
                status, code = 424, "ModelError"
                body = {"message": f"Received {'client' if exc.status < 500 else 'server'} error "
                                   f"({exc.status}) from primary with message \"{exc.message}\".",
                        "OriginalStatusCode": exc.status, "OriginalMessage": exc.message,
                        "LogStreamArn": "local:endpoint-log"}
            headers += [(b"x-amzn-errortype", (code + SAGEMAKER_ERROR_SUFFIX).encode()),
                        (b"x-amzn-requestid", str(uuid.uuid4()).encode())]
            return await _send(send, status, orjson.dumps(body), JSON, headers)
        if mode == "v2":
            return await _send(send, exc.status, orjson.dumps({"error": exc.message}), JSON, headers)
        if exc.status == 415:
            return await _send(send, 415, exc.message.encode(), b"text/plain; charset=utf-8", headers)
        body = {"error_code": "BAD_REQUEST" if exc.status < 500 else "INTERNAL_ERROR",
                "message": exc.message}
        if exc.status < 500:
            body.update(sqlstate="KAM00", error_class="INVALID_PARAMETER_VALUE")
        return await _send(send, exc.status, orjson.dumps(body), JSON, headers)


# -- helpers ---------------------------------------------------------------------------------

async def _send(send, status: int, body: bytes, content_type: bytes, headers=()):
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type),
                            (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive, limit: int, mode: str) -> bytes:
    chunks, size = [], 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            raise Disconnected
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit, mode)
        chunks.append(chunk)
        if not msg.get("more_body"):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _too_large(size: int, limit: int, mode: str) -> HTTPError:
    msg = (f"The request payload of at least {size} bytes is over this endpoint's limit of "
           f"{limit} bytes ({limit / 1024 / 1024:g} MB); split it into smaller requests.")
    return HTTPError(400 if mode == "sagemaker" else 413, msg,
                     "ValidationError" if mode == "sagemaker" else None)


def _model_path(rest: str) -> tuple[str, str | None]:
    model, _, tail = rest.partition("/versions/")
    return unquote(model), (unquote(tail) if tail else None)


def _route_key(headers: dict) -> str | None:
    key = headers.get(b"x-mlops-route-key")
    if key:
        return key.decode("latin-1")
    custom = headers.get(b"x-amzn-sagemaker-custom-attributes")
    if custom and b"route-key=" in custom:
        for part in custom.decode("latin-1").replace(",", ";").split(";"):
            k, _, v = part.strip().partition("=")
            if k == "route-key" and v:
                return v
    return None
