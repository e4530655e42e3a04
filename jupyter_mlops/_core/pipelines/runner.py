"""Running one notebook with papermill in a real kernel: parameters, environment, timeout, retries.

* The notebook is the one read and hashed when the run was planned (``parameters.StepNotebook``):
  its parameters are injected after the ``parameters`` cell as papermill does, and a DataFrame an
  earlier step output arrives as one more line of that cell, ``name = pandas.read_parquet(…)``.
  The parameterised copy is written next to the output, and papermill runs that.
* The kernel is ``python3``, started in the notebook's folder (relative paths read as they do in
  Jupyter) with the run's environment added to this process's (``MLOPS_RUN_ID`` …). The
  environment goes through the kernel manager, never through ``os.environ``, so runs in parallel
  threads (the scheduler's) never see each other's. The kernel's own log goes to ``kernel.log``
  next to the output notebook.
* ``timeout`` bounds the whole notebook, from its first cell (starting the kernel has papermill's
  own start timeout): each cell may run for the time left (nbclient's ``timeout_func``), so a
  notebook of many short cells is held to it too.
* A failure is the failing cell's index in the notebook as written, its execution count, error
  name and message (papermill's ``PapermillExecutionError``); ``retries`` runs it again in a
  fresh kernel. The output notebook, with the traceback, is kept either way.
"""

from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .parameters import StepNotebook

KERNEL = "python3"
KERNEL_HELP = f"Install it: python -m ipykernel install --user --name {KERNEL}"
MAX_SOURCE_CHARS = 500
#: a kernel that dies before its first cell (two kernels started at once may pick the same free
#: port: zmq's "Address already in use") is started again this often, not counted as a retry
START_ATTEMPTS = 3


@dataclass(frozen=True)
class Execution:
    """How a notebook's run ended: ``failure`` is None when every cell ran."""

    output_path: Path
    attempts: int
    seconds: float
    failure: dict | None = None

    @property
    def succeeded(self) -> bool:
        return self.failure is None


def execute(step: StepNotebook, folder: Path, parameters: dict, frames: dict[str, Path], env: dict[str, str],
            timeout: float | None = None, retries: int = 0) -> Execution:
    """Run ``step`` with ``parameters`` (plain values) and ``frames`` (name -> Parquet file) in a
    fresh ``python3`` kernel, up to ``1 + retries`` times; the output notebook goes to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    prepared, injected_at = _parameterised(step, parameters, frames)
    source = folder / "input.ipynb"
    _write(prepared, source)
    output = folder / step.path.name
    started = time.monotonic()
    failure = None
    for attempt in range(1, retries + 2):
        for _ in range(START_ATTEMPTS):
            failure = _attempt(prepared, source, output, step.path.parent, env, timeout, injected_at)
            if failure is None or not failure.get("before_first_cell") or failure.get("retry") is False:
                break
        if failure is None or failure.get("retry") is False:
            break
    if failure is not None:
        failure = {k: v for k, v in failure.items() if k not in ("retry", "before_first_cell")}
    return Execution(output, attempt, time.monotonic() - started, failure)


def _attempt(prepared, source: Path, output: Path, cwd: Path, env: dict[str, str], timeout: float | None,
             injected_at: int | None) -> dict | None:
    import papermill
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    asked: dict[str, Any] = {}

    def time_left(cell) -> float | None:
        # counted from the first cell: starting the kernel has papermill's own start timeout
        asked["cell"] = cell
        if not timeout:
            return None
        deadline = asked.setdefault("deadline", time.monotonic() + timeout)
        return max(deadline - time.monotonic(), 0.01)

    try:
        papermill.execute_notebook(
            str(source), str(output), kernel_name=KERNEL, progress_bar=False, log_output=False,
            kernel_manager_class=_kernel_manager(env, output.with_name("kernel.log")), resources={"metadata": {"path": str(cwd)}},
            timeout_func=time_left)
    except PapermillExecutionError as exc:
        return {"cell": _source_index(exc.cell_index, injected_at), "execution_count": exc.exec_count,
                "ename": exc.ename, "evalue": exc.evalue, "source": (exc.source or "")[:MAX_SOURCE_CHARS]}
    except CellTimeoutError:
        cell = asked.get("cell")
        index = _index_of(prepared, cell)
        return {"cell": _source_index(index, injected_at), "execution_count": None, "ename": "Timeout",
                "evalue": f"the notebook ran longer than its timeout of {timeout:g} s",
                "source": (cell.get("source", "") if cell else "")[:MAX_SOURCE_CHARS]}
    except NoSuchKernel:
        return {"cell": None, "execution_count": None, "ename": "NoSuchKernel",
                "evalue": f"the Jupyter kernel {KERNEL!r} is not installed. {KERNEL_HELP}", "retry": False}
    except DeadKernelError as exc:
        return {"cell": None, "execution_count": None, "ename": "DeadKernelError", "evalue": str(exc),
                "before_first_cell": "cell" not in asked}
    except Exception as exc:  # noqa: BLE001 - a kernel that would not start, a disk full: the run's failure
        return {"cell": None, "execution_count": None, "ename": type(exc).__name__, "evalue": str(exc),
                "before_first_cell": "cell" not in asked}
    return None


def _kernel_manager(env: dict[str, str], log: Path):
    """A kernel manager class that starts its kernel with ``env`` added to this process's, its
    own output (ipykernel's log, a crash's traceback) going to ``log``: in a notebook, the
    caller's kernel would otherwise show the child's stderr in the cell that ran the retrain."""
    from jupyter_client.manager import AsyncKernelManager

    extra = dict(env)

    class RunKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):
            kw["env"] = {**os.environ, **(kw.get("env") or {}), **extra}
            with open(log, "ab") as out:  # the kernel keeps its own descriptor once started
                kw["stdout"] = kw["stderr"] = out
                return await super().start_kernel(**kw)

    return RunKernelManager


def _parameterised(step: StepNotebook, parameters: dict, frames: dict[str, Path]):
    """A copy of the notebook with the injected-parameters cell papermill would add (plus one
    line per DataFrame), and that cell's index (None when nothing was injected)."""
    import nbformat
    from papermill.parameterize import parameterize_notebook
    from papermill.utils import find_first_tagged_cell_index

    nb = nbformat.v4.upgrade(copy.deepcopy(step.node))
    # papermill's own loader gives every cell these; its parameterizer relies on them
    nb.metadata.setdefault("papermill", {})
    for cell in nb.cells:
        cell.metadata.setdefault("tags", [])
        cell.metadata.setdefault("papermill", {})
    if not parameters and not frames:
        return nb, None
    had_injected = find_first_tagged_cell_index(nb, "injected-parameters") >= 0
    nb = parameterize_notebook(nb, parameters, kernel_name=KERNEL, language="python")
    at = find_first_tagged_cell_index(nb, "injected-parameters")
    if frames:
        lines = [f"{name} = __import__('pandas').read_parquet({str(path)!r})" for name, path in frames.items()]
        nb.cells[at].source += "\n# DataFrames output by earlier steps\n" + "\n".join(lines) + "\n"
    return nb, None if had_injected else at


def _write(nb, path: Path) -> None:
    import nbformat

    tmp = path.with_name(path.name + ".tmp")
    nbformat.write(nb, str(tmp))
    os.replace(tmp, path)


def _index_of(nb, cell) -> int | None:
    if cell is None or not cell.get("id"):
        return None
    return next((i for i, c in enumerate(nb.cells) if c.get("id") == cell["id"]), None)


def _source_index(index: int | None, injected_at: int | None) -> int | None:
    """A cell's index in the executed copy -> its index in the notebook as written (the injected
    cell is not in it)."""
    if index is None or injected_at is None or index < injected_at:
        return index
    return None if index == injected_at else index - 1
