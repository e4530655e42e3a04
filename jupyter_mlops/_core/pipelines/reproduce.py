"""Reproduction of a model version (ARCHITECTURE.md, "Retraining"): re-run what made it, as a run
of kind ``reproduce``, and compare what it makes with what was recorded.

* **What is re-run** is what the run that registered the version recorded: the version's lineage
  names the run and the step (``lineage.py``), and the run's record (``runs.py``) each step's
  notebook, its sha256, the parameters it received and its executed output notebook. Every step
  up to the one that registered the version runs again, in order, in fresh kernels, through the
  runner every run uses (``Pipelines._execute``), with the recorded parameters; values an earlier
  step output are made again by that step. A notebook changed since is not what ran: the code
  the run executed is taken from its output notebook (papermill keeps every cell as written and
  adds the injected-parameters cell, which is dropped), and the reproduction notes it.
* **The re-run's version is evidence, not a release.** The registry archives a version whose
  lineage names a ``reproduce`` run as it inserts it, so it is never the model's latest and can
  hold no alias; it stays listed, so ``ws.diff(ref, reproduction.reproduced_as)`` shows all that
  differs.
* **Then the checks** (``reproduce_checks.py``): the training data's hashes, the metrics within
  the tolerance, the predictions on the rows the registry keeps with the version. The
  ``Reproduction`` is stored on the version with an audit entry (``ReproductionRecorder``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..collaborators import ArtifactSource, ReproductionRecorder, VersionSource
from ..errors import InvalidInput, NotReproducible
from ..lineage import actor
from .parameters import StepNotebook, check_parameters, read_notebook
from .pipelines import Plan
from .reproduce_checks import (check, data_check, input_files, metrics_check, predictions_check, skipped,
                               tolerance_of)
from .reproduction import FAIL, PASS, Reproduction
from .runs import Run, RunStore, failure_text


@dataclass(frozen=True)
class Recipe:
    """What made a version, as recorded, ready to run again."""

    run_id: int                      # the run that registered the version
    steps: list[StepNotebook]        # its steps up to the one that registered it
    parameters: dict
    timeout: float | None
    notes: list


class Reproducer:
    def __init__(self, versions: VersionSource, recorder: ReproductionRecorder, runs: RunStore,
                 artifacts: ArtifactSource, folder: Path, execute: Callable[[Plan, dict], Run]):
        self.versions = versions
        self.recorder = recorder
        self.runs = runs
        self.artifacts = artifacts
        self.folder = Path(folder)   # where notebooks recovered from output notebooks are written
        self.execute = execute

    def reproduce(self, ref: Any, tolerance: Any = None, progress: bool | None = None) -> Reproduction:
        """Re-run what made ``ref``, compare, store the verdict on ``ref`` and return it;
        ``progress``: a bar of the steps (the re-run of the run's notebooks, then the data,
        metrics and predictions checks; ``progress.py``)."""
        from ..progress import bar

        tol = tolerance_of(tolerance)
        mv = self.versions.get(ref)
        recipe = self.recipe(mv)
        plan = Plan(kind="reproduce", name=mv.name, steps=recipe.steps, parameters=recipe.parameters, gate_spec=None,
                    gate=None, deploy=None, promote=None, endpoint=None, timeout=recipe.timeout, retries=0, cache=False)
        with bar(progress, total=4, desc=f"reproduce {mv.ref}", unit="steps") as steps:
            steps.set_postfix_str(f"re-running {len(recipe.steps)} notebook(s)")
            run = self.execute(plan, {"kind": "reproduce", "of": mv.ref, "run": recipe.run_id})
            steps.update(1)
            reproduced = run.version if run.status != "failed" else None
            checks = [_run_check(mv, run, reproduced)]
            prior = (mv.reproduction or {}).get("inputs")
            inputs = input_files(recipe.steps, recipe.parameters, mv.created_at, prior)
            if reproduced is None:
                checks += [skipped(n, "the re-run registered no version to compare") for n in ("data", "metrics",
                                                                                               "predictions")]
                steps.update(3)
            else:
                again = self.versions.get(reproduced)
                for name, compare in (("data", lambda: data_check(mv.ref, mv.lineage, again.lineage, inputs)),
                                      ("metrics", lambda: metrics_check(mv.ref, mv.metrics, again.metrics, tol)),
                                      ("predictions", lambda: self._predictions(mv, again.ref, tol))):
                    steps.set_postfix_str(f"checking {name}")
                    checks.append(compare())
                    steps.update(1)
        result = Reproduction(
            ref=mv.ref, status=FAIL if any(c["status"] == "fail" for c in checks) else PASS, checks=checks,
            differences=[f"{c['name']}: {d}" for c in checks for d in c["differences"]],
            run={"id": run.id, "status": run.status, "notebooks": run.notebooks, "output_notebook": run.output_notebook,
                 "failure": run.failure},
            original_run=recipe.run_id, reproduced_as=reproduced, tolerance=tol.to_dict(), inputs=inputs,
            notes=recipe.notes, at=run.finished_at, by=actor())
        self.recorder.record_reproduction(mv.ref, result.to_dict())
        return result

    def _predictions(self, mv, reproduced: str, tol) -> dict:
        try:
            return predictions_check(mv.ref, self.versions.sample(mv.ref), mv.signature, self.versions.load(mv.ref),
                                     self.versions.load(reproduced), tol)
        except Exception as exc:  # noqa: BLE001 - a model that cannot load or predict here fails this check
            return check("predictions", "fail", differences=[
                f"the sample rows could not be predicted: {type(exc).__name__}: {exc}"])

    # -- what made the version ----------------------------------------------------------------------
    def recipe(self, mv) -> Recipe:
        link = mv.lineage.get("run") or {}
        if not isinstance(link.get("id"), int):
            raise NotReproducible(
                f"{mv.ref} was registered outside a run (by {mv.created_by}), so no notebook and parameters were "
                f"recorded for it: reproduction re-runs the notebook of the run that registered a version, with "
                f"the parameters that run recorded.",
                hint=f"Train through a run to make versions reproducible: ws.retrain({mv.name!r}, 'train.ipynb') "
                     f"or %mlops retrain {mv.name} --notebook train.ipynb, then reproduce the version it registers.")
        if link.get("kind") == "reproduce":
            raise NotReproducible(f"{mv.ref} is the version reproduction run {link['id']} registered, kept as its "
                                  "evidence; reproduce the version that run reproduced.")
        record = self.runs.result(link["id"]) or {}
        step = link.get("step")
        recorded = [s for s in record.get("steps") or [] if step is None or s.get("index", 0) <= step]
        if not recorded or (step is not None and recorded[-1].get("index") != step):
            recorded = [_from_lineage(mv, link)]
        steps, notes = [], []
        for s in recorded:
            notebook, note = self._notebook(mv, link["id"], s)
            steps.append(notebook)
            notes += [note] if note else []
        parameters = _parameters(record, recorded, steps)
        return Recipe(link["id"], steps, check_parameters(parameters, steps),
                      (record.get("options") or {}).get("timeout"), notes)

    def _notebook(self, mv, run_id: int, step: dict) -> tuple[StepNotebook, str | None]:
        """The step's notebook as the run read it: the file when its sha256 is still the one
        recorded, else the code the run executed, from its output notebook."""
        path, sha = Path(step["notebook"]), step.get("sha256")
        try:
            current = read_notebook(path)
        except InvalidInput:
            current = None
        if current is not None and current.sha256 == sha:
            return current, None
        state = "is gone" if current is None else f"has changed (its sha256 is now {current.sha256[:12]}…)"
        executed = step.get("output_notebook")
        if not executed:
            commit = (mv.lineage.get("git") or {}).get("commit")
            raise NotReproducible(
                f"{path}, which run {run_id} ran to make {mv.ref}, {state}, and the run kept no executed copy of it.",
                hint=f"Restore it as it was{f' (git checkout {commit[:10]} -- {path.name})' if commit else ''}, "
                     "then reproduce again.")
        return (self._recovered(path, sha, executed),
                f"{path.name} {state} since run {run_id}: the code that run executed was re-run, from its output "
                "notebook")

    def _recovered(self, path: Path, sha: str, executed: str) -> StepNotebook:
        import nbformat

        nb = nbformat.reads(self.artifacts.get_bytes(executed).decode("utf-8"), as_version=4)
        nb.cells = [c for c in nb.cells if "injected-parameters" not in (c.metadata.get("tags") or [])]
        nb.metadata.pop("papermill", None)
        for cell in nb.cells:
            cell.metadata.pop("papermill", None)
            cell.metadata.pop("execution", None)
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        copy = self.folder / f"{sha}.ipynb"
        copy.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(copy))
        # it runs where the notebook was (its relative paths), recorded under the sha256 the run read
        return dataclasses.replace(read_notebook(copy), path=path, sha256=sha)


def _run_check(mv, run: Run, reproduced: str | None) -> dict:
    expected = f"the notebook runs and registers a version of {mv.name}"
    if run.status == "failed":
        return check("run", "fail", expected, f"run {run.id} failed", [failure_text(run)])
    if reproduced is None:
        return check("run", "fail", expected, f"run {run.id} registered none",
                     [f"the notebook ran but registered no version of {mv.name}"])
    return check("run", "pass", expected, f"run {run.id} registered {reproduced}")


def _from_lineage(mv, link: dict) -> dict:
    """A step from the version's lineage alone, when the run's record does not have it."""
    parameters = link.get("parameters") or {}
    if not link.get("notebook") or any(_is_frame(v) for v in parameters.values()):
        raise NotReproducible(f"The record of run {link['id']}, which registered {mv.ref}, is gone, and its lineage "
                              "alone does not say how to run it again (a pipeline step fed by earlier steps).")
    return {"index": link.get("step") or 1, "notebook": link["notebook"], "sha256": link.get("notebook_sha256"),
            "parameters": parameters, "outputs": {}, "output_notebook": None}


def _parameters(record: dict, recorded: list[dict], steps: list[StepNotebook]) -> dict:
    """The run's parameters the steps declare, and what else a step received that no earlier step
    output (a drift run's report and window): those outputs are made again by the re-run."""
    declared = {name for s in steps for name in s.declared}
    out = {k: v for k, v in (record.get("parameters") or {}).items() if k in declared}
    made: set[str] = set()
    for step in recorded:
        for name, value in (step.get("parameters") or {}).items():
            if name not in out and name not in made and not _is_frame(value) and name in declared:
                out[name] = value
        made |= set(step.get("outputs") or {})
    return out


def _is_frame(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"frame"}
