"""The step cache of notebook pipelines: a step that succeeded is kept under the sha256 of its
notebook and its inputs, and a rerun with the same key reuses its result (its outputs, output
notebook and versions) instead of running it, and says so (``RunStep.cached_from``).

The key covers what the run can see: the pipeline's name, the notebook's bytes and every
parameter it receives (earlier steps' outputs by their content hash). It cannot see files a
notebook reads by itself: a step whose data changes under the same path is reused unless the
pipeline runs with ``cache=False`` or the data's version is one of its parameters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json


def step_key(pipeline: str, notebook_sha256: str, inputs: dict) -> str:
    """The cache key of a step: sha256 of the canonical JSON of what it depends on."""
    text = json.dumps({"pipeline": pipeline, "notebook": notebook_sha256, "inputs": inputs}, sort_keys=True,
                      separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class StepCache:
    """Step results in the ``step_cache`` table (migration ``0002_step_cache``)."""

    def __init__(self, store):
        self.store = store

    def get(self, key: str) -> dict | None:
        """``{"run_id", "created_at", **result}`` of the step kept under ``key``, or None."""
        from ..store import orm

        with self.store.read() as s:
            row = s.get(orm.StepCacheEntry, key)
            if row is None:
                return None
            return {**(row.result or {}), "run_id": row.run_id, "created_at": row.created_at}

    def put(self, key: str, pipeline: str, notebook: str, notebook_sha256: str, run_id: int, result: dict) -> None:
        from ..store import orm

        with self.store.write() as s:
            row = s.get(orm.StepCacheEntry, key)
            if row is None:
                row = orm.StepCacheEntry(key=key)
                s.add(row)
            row.pipeline, row.notebook, row.notebook_sha256 = pipeline, notebook, notebook_sha256
            row.run_id, row.created_at, row.result = run_id, dt.datetime.now(dt.timezone.utc), result
