"""The endpoint process: server.py (sockets, workers, signals), app.py (the ASGI pipeline),
protocols/ (one wire adapter per protocol), runtime.py (the applied config generation and the
loaded variants), router.py (weights and sticky keys), capture.py (SageMaker data capture,
written off the request path), shadow.py (shadow copies), controller.py (rollout bakes and
guardrails), sigv4.py (boto3 signatures checked with the token). It never builds a ``Workspace``:
what it writes to the workspace (audit entries) goes through the store directly.
"""
