"""``ws.endpoint(name)``: a handle to call a running endpoint from the notebook.

Besides ``predict``, ``logs`` and ``metrics``, the handle has every attribute of the ``Endpoint``
result (``url``, ``port``, ``pid``, ``status``, ``variants``, ``rollout``, …) and its ``to_dict``,
``to_json`` and ``to_frame``, each read live from the endpoint's record and config (``info()``), so
a handle kept in a variable shows the endpoint as it is now, not as it was when it was made.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from ...errors import PayloadError, ServingError
from .results import Endpoint


class EndpointHandle:
    def __init__(self, serving, name: str):
        self._serving = serving
        self.name = name

    def to_dict(self) -> dict[str, Any]:
        return self.info().to_dict()

    def to_json(self, indent: int | None = 2) -> str:
        return self.info().to_json(indent)

    def to_frame(self):
        return self.info().to_frame()

    def __repr__(self) -> str:
        return repr(self.info())

    def _repr_html_(self) -> str:
        return self.info()._repr_html_()

    def info(self):
        return self._serving.describe(self.name)

    def predict(self, X: Any, variant: str | None = None, token: str | None = None,
                timeout: float = 60.0, model: str | None = None):
        """Send ``X`` (DataFrame, array, list of rows or records) and return the predictions;
        ``model``: which model of a multi-model endpoint answers (its ref, ``"churn:3"``)."""
        import httpx
        import numpy as np
        import orjson

        ep = self.info()
        if ep.status not in ("running", "updating"):
            raise ServingError(f"Endpoint {self.name!r} is {ep.status}; it cannot answer.")
        body = _body(X)
        headers = {"content-type": "application/json", "accept": "application/json"}
        if variant:
            headers["x-amzn-sagemaker-target-variant"] = variant
        if model:
            headers["x-amzn-sagemaker-target-model"] = model
        token = token or self._stored_token()
        if token:
            headers["authorization"] = f"Bearer {token}"
        r = httpx.post(f"{ep.url}/invocations", content=body, headers=headers, timeout=timeout)
        if r.status_code != 200:
            try:
                message = r.json().get("message") or r.text
            except Exception:
                message = r.text
            err = PayloadError if r.status_code < 500 else ServingError
            raise err(f"Endpoint {self.name!r} answered {r.status_code}: {message}")
        return np.asarray(orjson.loads(r.content)["predictions"])

    def _stored_token(self) -> str | None:
        """The workspace keeps a token endpoint's secret in an owner-only file next to it."""
        path = self._serving.paths(self.name).token
        try:
            return path.read_text().strip() or None
        except OSError:
            return None

    def logs(self, lines: int = 200) -> str:
        return self._serving.logs(self.name, lines)

    def metrics(self) -> dict:
        return self._serving.metrics(self.name)


def _live(field: str) -> property:
    return property(lambda handle: getattr(handle.info(), field),
                    doc=f"The endpoint's {field}, read now (``info().{field}``).")


for _field in fields(Endpoint):
    if _field.name != "name":
        setattr(EndpointHandle, _field.name, _live(_field.name))


def _body(X: Any) -> bytes:
    import numpy as np
    import orjson

    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        pd = None
    if pd is not None and isinstance(X, pd.DataFrame):
        return orjson.dumps({"dataframe_split": {
            "columns": [str(c) for c in X.columns],
            "data": X.astype(object).where(X.notna(), None).to_numpy().tolist()}}, default=str)
    if isinstance(X, np.ndarray):
        return orjson.dumps({"instances": X.tolist()})
    return orjson.dumps({"instances": X} if isinstance(X, list) else X, default=str)
