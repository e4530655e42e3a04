"""Serving: local real-time endpoints, as two programs that share a typed contract.

``control/`` runs in the kernel or the CLI: deploy, traffic, rollback, process management, batch
transform and the result objects. ``endpoint/`` runs in the endpoint process
(``python -m jupyter_mlops._core.serving.endpoint.server``): the server, the ASGI app and its wire
protocol adapters, the runtime that applies config generations, routing, capture, shadow traffic
and the guardrail controller. Neither imports the other. They share ``contract.py`` (the config
file, its typed view and the rules both apply to it), ``metrics.py`` (what workers count and how
reports merge) and ``inference/`` (running a registered model on request data, which batch
transform does in the kernel too). ARCHITECTURE.md draws it. Nothing heavy is imported here.
"""
