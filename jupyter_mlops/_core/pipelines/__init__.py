"""Retraining pipelines (ARCHITECTURE.md, "Where the next parts go"): a retraining job is a
parameterised notebook run by papermill in a real kernel; a gate decides what becomes of the
version it registered.

- ``gate``, ``gate_syntax``: the gate, a small safe expression grammar over the metrics of the new
  version, of the versions aliases point at and of a replay (``auc >= production.auc - 0.005``),
  and its ``GateVerdict``.
- ``replay``, ``replay_changes``: a candidate version run offline on an endpoint's captured
  requests and compared with what production answered (``Replay``).
- ``runs``, ``runner``, ``pipelines``, ``context``: runs recorded in the scheduler's ``job_runs``,
  papermill execution, notebook pipelines with a step cache, and ``mlops.context()`` /
  ``mlops.output()`` inside a run.

Nothing is imported here, so that each module loads only what it uses.
"""
