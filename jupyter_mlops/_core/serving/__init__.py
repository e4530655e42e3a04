"""Serving: local real-time endpoints.

An endpoint is a detached process (``python -m jupyter_mlops._core.serving.server``) driven by one
JSON file, ``<home>/endpoints/<name>/config.json``. The kernel side (deployments.py) writes that
file and waits for the endpoint's acknowledgement; the endpoint side (server.py, app.py) watches it,
loads and smoke-tests new variants before they take traffic, and runs the rollout controller, so
rollouts and guardrails keep going after the notebook cell returns or the kernel dies.

Modules: config (the file and its lock), schema and codec (request bodies in, predictions out),
v2 (Open Inference Protocol), variants (loaded models), router (weights, sticky keys),
metrics (counters, histograms, Prometheus text), capture (SageMaker JSONL), controller
(canary/linear/blue-green bakes and guardrails), app (the ASGI app), server (the process),
process (launch/stop by pid), deployments (the Workspace part), results (result objects).
Nothing heavy is imported here.
"""
