"""SageMaker's multi-model container API on a multi-model endpoint:

- ``POST /models`` ``{"model_name", "url"}`` loads a model (409 if loaded, 507 if it alone does not
  fit the memory budget); the model is the deployed ref (or variant name) in ``url``, else in
  ``model_name``.
- ``GET /models`` lists the loaded models ``{"models": [{"modelName", "modelUrl"}]}``.
- ``GET /models/{name}`` describes one (404 if not loaded); ``DELETE /models/{name}`` unloads it.
- ``POST /models/{name}/invoke`` predicts with it (loading it first when cold); bodies as the
  SageMaker runtime takes them (CSV, JSON, NPY).

Errors are ``{"error": message}`` with the status. Names in paths are percent-decoded.
"""

from __future__ import annotations

from urllib.parse import unquote

import orjson

from ....errors import InvalidRequest, MlopsError, RouteNotFound
from .base import Reply, Request, WireProtocol, json_reply, target_model
from .sagemaker import SageMakerRuntime

ROOT = "/models"
INVOKE = "/invoke"


def _name(path: str) -> str:
    return unquote(path[len(ROOT) + 1:])


def _cache(live):
    if live.models is None:
        raise RouteNotFound(f"Endpoint {live.name!r} is not a multi-model endpoint: deploy it "
                            "with multi_model=True to use /models.")
    return live.models


class MultiModelContainer(SageMakerRuntime):
    name = "multi_model"

    def owns(self, path: str) -> bool:
        return path == ROOT or path.startswith(ROOT + "/")

    def match(self, method: str, path: str, raw_path: bytes) -> dict | None:
        if path.startswith(ROOT + "/") and path.endswith(INVOKE):
            return {"model": unquote(path[len(ROOT) + 1:-len(INVOKE)]), "stream": False}
        return None

    def admit(self, request: Request, live) -> None:
        _cache(live)

    def route(self, request: Request, live):
        variant = target_model(request, live, request.params["model"])
        request.params["variant"] = variant.name
        return variant

    def get(self, request: Request, live) -> Reply | None:
        if not self.owns(request.path):
            return None
        models = _cache(live)
        if request.path == ROOT:
            return json_reply(200, {"models": [{"modelName": ref, "modelUrl": models.entry(ref)["modelUrl"]}
                                               for ref in models.loaded_refs()]})
        return json_reply(200, models.describe(_name(request.path)))

    def manages(self, method: str, path: str) -> bool:
        return (method == "POST" and path == ROOT) or (method == "DELETE" and path.startswith(ROOT + "/"))

    def manage(self, request: Request, live, body: bytes) -> Reply:
        """``POST /models`` (load) and ``DELETE /models/{name}`` (unload); runs in a thread."""
        models = _cache(live)
        if request.method == "DELETE":
            models.unload(_name(request.path))
            return json_reply(200, {"message": f"Model {_name(request.path)!r} unloaded."})
        try:
            document = orjson.loads(body or b"{}")
        except orjson.JSONDecodeError as exc:
            raise InvalidRequest(f"POST /models takes a JSON object {{\"model_name\", \"url\"}}: {exc}") from None
        if not isinstance(document, dict) or not (document.get("url") or document.get("model_name")):
            raise InvalidRequest('POST /models takes a JSON object {"model_name": ..., "url": ...}.')
        target = document.get("url") or document.get("model_name")
        try:
            models.resolve(str(target))
        except InvalidRequest:
            target = document.get("model_name") or target   # the url may be a path, the name a ref
        variant = models.load(str(target))
        ref = models.resolve(str(target))
        return json_reply(200, {"message": f"Model {ref!r} loaded.", "modelName": ref,
                                "variant": variant.name})

    def error(self, request: Request | None, error: MlopsError) -> Reply:
        return WireProtocol.error(self, request, error)
