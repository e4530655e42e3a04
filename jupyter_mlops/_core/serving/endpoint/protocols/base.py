"""What a wire protocol adapter is, and the pieces every adapter uses.

An adapter owns everything protocol-specific about a prediction request: which paths it answers,
which variant a request goes to, how the body becomes the model's input (``decode``), how the
predictions go back (``encode``) and how an error looks on the wire (``error``). The app
(``endpoint/app.py``) owns the rest (reading the body in time, authentication, running the model,
metrics, capture, shadow traffic), so a new protocol or host plugs in as one more adapter without
touching the others.

Errors are the classes of ``_core/errors.py``; their HTTP status comes from ``http_status``, and
an adapter whose protocol has codes of its own (SageMaker's front end) translates them here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from ....errors import InvalidRequest, MlopsError, NoVariantAvailable, http_status
from ...inference.schema import Table
from ..router import NoVariant

JSON = b"application/json"


@dataclass(slots=True)
class Request:
    """An ASGI request as the adapters see it: headers keyed by lower-case bytes."""

    method: str
    path: str
    raw_path: bytes
    query: bytes
    headers: dict[bytes, bytes]
    params: dict[str, Any] = field(default_factory=dict)   # what the adapter read from the path
    sigv4: bool = False    # signed by boto3 with the token: checked once the body is read

    def header(self, name: bytes) -> str | None:
        value = self.headers.get(name)
        return value.decode("latin-1") if value is not None else None


@dataclass(slots=True)
class Decoded:
    """A request body turned into the model's input, plus what ``encode`` needs to answer."""

    table: Table
    media_type: str                 # what the body was read as
    answer_as: str | None = None    # the media type the answer will have
    document: Any = None            # the parsed request document, when the answer echoes it
    json_shape: str = "object"      # a JSON answer as {"predictions": [...]} or the bare array


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    content_type: bytes
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    chunked: bool = False   # sent as a stream of frames, without a content-length
    #: (media type, bytes) data capture records as the answer, when not the body itself
    captured: tuple[str, bytes] | None = None

    def captured_output(self) -> tuple[str, bytes]:
        return self.captured or (self.content_type.decode("latin-1"), self.body)


class WireProtocol:
    """Base of the adapters. ``match`` decides which requests are this protocol's."""

    name = "base"

    def owns(self, path: str) -> bool:
        """Whether errors on ``path`` (even on no route) take this protocol's shape."""
        return False

    def match(self, method: str, path: str, raw_path: bytes) -> dict | None:
        """Path parameters when ``POST path`` is a prediction request of this protocol."""
        return None

    def get(self, request: Request, live) -> Reply | None:
        """The answer to a GET this protocol defines (health, metadata), else None."""
        return None

    def admit(self, request: Request, live) -> None:
        """Refuse a request before its body is read (a wrong endpoint name, say)."""

    def route(self, request: Request, live):
        return pick_variant(request, live)

    def decode(self, request: Request, body: bytes, variant) -> Decoded:
        raise NotImplementedError

    def encode(self, request: Request, decoded: Decoded, predictions, variant) -> Reply:
        raise NotImplementedError

    def queued(self, request: Request, live, queue) -> Reply:
        """The answer to an asynchronous request once it is queued (protocols that have them)."""
        raise NotImplementedError

    def captured_input(self, request: Request, decoded: Decoded, body: bytes) -> tuple[str, bytes]:
        """(media type, bytes) of the request as data capture records it."""
        return request.header(b"content-type") or decoded.media_type, body

    def error(self, request: Request | None, error: MlopsError) -> Reply:
        return json_reply(http_status(error), {"error": error.message})


def json_reply(status: int, document: Any, headers: list | None = None) -> Reply:
    return Reply(status, orjson.dumps(document), JSON, headers or [])


def route_key(headers: dict) -> str | None:
    """The sticky routing key: ``X-Mlops-Route-Key``, or ``route-key=`` in SageMaker's
    CustomAttributes."""
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


def pick_variant(request: Request, live):
    """``TargetVariant`` when the client names one, else the weighted (or sticky) draw."""
    if live.models is not None:
        return target_model(request, live)
    target = request.headers.get(b"x-amzn-sagemaker-target-variant")
    if target:
        name = target.decode("latin-1")
        variant = live.variants.get(name)
        if variant is None:
            raise InvalidRequest(f"The variant {name!r} does not exist on endpoint "
                                 f"{live.name!r}; variants: {', '.join(live.variants)}.")
        return variant
    try:
        return live.variants[live.router.pick(route_key(request.headers))]
    except NoVariant as exc:
        raise NoVariantAvailable(str(exc)) from None


TARGET_MODEL = b"x-amzn-sagemaker-target-model"


def target_model(request: Request, live, name: str | None = None):
    """A multi-model endpoint's model for this request: ``name`` (the container API's path) or
    the ``TargetModel`` header, loaded on first use (``model_cache.py``); whether it was cold goes
    into ``request.params`` for the latency figures."""
    if name is None:
        name = request.header(TARGET_MODEL)
    if not name:
        raise InvalidRequest(f"Endpoint {live.name!r} is a multi-model endpoint: name the model "
                             "with TargetModel (header X-Amzn-SageMaker-Target-Model), e.g. "
                             f"{next(iter(live.models.specs), 'churn:3')!r}.")
    variant, cold = live.models.get(name)
    request.params["cold"] = cold
    return variant
