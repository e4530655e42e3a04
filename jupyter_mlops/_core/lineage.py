"""Lineage captured automatically on every register: where the model came from.

git (commit, branch, dirty flag), the notebook (path, sha256) and papermill parameters, the
environment (python, key packages, a full ``pip freeze`` equivalent), the data and target
fingerprints, user and host, and kernel hygiene: whether the cells that led to the model ran in
order in this kernel. IPython is never imported here; if the caller runs inside an IPython
kernel, its already-imported module is used.

Inside a retraining run (``pipelines/``), the run's environment (``MLOPS_RUN_ID`` …) adds a
``run`` record: the run id, kind, step, the notebook's sha256 as read for the run and its
parameters. That is how a version registered by a run's notebook is linked to the run with
nothing written in the notebook, and how the run finds the versions it registered.
"""

from __future__ import annotations

import ast
import getpass
import json
import os
import platform
import socket
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

KEY_PACKAGES = ("jupyter_mlops", "scikit-learn", "numpy", "pandas", "scipy", "skops", "cloudpickle")


def _run_git(*args: str, cwd: str) -> str | None:
    try:
        out = subprocess.run(("git", *args), cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_info(cwd: str | None = None) -> dict | None:
    cwd = cwd or os.getcwd()
    root = _run_git("rev-parse", "--show-toplevel", cwd=cwd)
    if not root:
        return None
    commit = _run_git("rev-parse", "HEAD", cwd=cwd)
    branch = _run_git("rev-parse", "--abbrev-ref", "HEAD", cwd=cwd)
    status = _run_git("status", "--porcelain", "--untracked-files=no", cwd=cwd)
    return {"root": root, "commit": commit, "branch": branch, "dirty": bool(status)}


def _ipython():
    mod = sys.modules.get("IPython")
    if mod is None:
        return None
    try:
        return mod.get_ipython()
    except Exception:
        return None


def notebook_path() -> str | None:
    """The notebook the caller runs in, when it can be known."""
    for env in ("MLOPS_NOTEBOOK", "JPY_SESSION_NAME"):
        if os.environ.get(env):
            return os.environ[env]
    ip = _ipython()
    if ip is not None:
        session = ip.user_ns.get("__session__")
        if isinstance(session, str) and session.endswith(".ipynb"):
            return session
    return None


def run_link() -> dict | None:
    """The retraining run this process is a kernel of (from its environment), or None."""
    run_id = os.environ.get("MLOPS_RUN_ID", "")
    if not run_id.isdigit():  # unset, or not set by a run
        return None
    try:
        parameters = json.loads(os.environ.get("MLOPS_PARAMETERS") or "{}")
    except ValueError:
        parameters = None
    step = os.environ.get("MLOPS_STEP")
    return {"id": int(run_id), "kind": os.environ.get("MLOPS_RUN_KIND"), "name": os.environ.get("MLOPS_RUN_NAME"),
            "step": int(step) if step and step.isdigit() else None, "notebook": os.environ.get("MLOPS_NOTEBOOK"),
            "notebook_sha256": os.environ.get("MLOPS_NOTEBOOK_SHA256"), "parameters": parameters,
            "pipeline_version": os.environ.get("MLOPS_PIPELINE_VERSION")}


def _sha256_file(path: Path) -> str | None:
    import hashlib

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _history() -> list[str]:
    ip = _ipython()
    if ip is None:
        return []
    hist = getattr(getattr(ip, "history_manager", None), "input_hist_raw", None) or []
    return [h for h in hist[1:] if h.strip()]


def papermill_parameters(history: list[str]) -> dict | None:
    """Parameters papermill injected (its cell starts with ``# Parameters``)."""
    env = os.environ.get("MLOPS_PARAMETERS")
    if env:
        try:
            return json.loads(env)
        except ValueError:
            pass
    for source in history:
        if source.lstrip().startswith("# Parameters"):
            params: dict[str, Any] = {}
            try:
                tree = ast.parse(source)
            except SyntaxError:
                return None
            for node in tree.body:
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    try:
                        params[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        params[node.targets[0].id] = ast.unparse(node.value)
            return params
    return None


def _notebook_cells(path: Path) -> list[str] | None:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    cells = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            src = cell.get("source", "")
            cells.append(("".join(src) if isinstance(src, list) else src).strip())
    return cells


def kernel_hygiene(history: list[str], notebook: Path | None) -> dict:
    """Did the inputs that led here run once each, in notebook order?

    With the notebook file, each executed input is matched to its code cell; the flag is true when
    matched cells ran in increasing order with none run twice. Without it, only repeats are seen.
    """
    if not history:
        return {"in_order": None, "basis": "no kernel history"}
    stripped = [h.strip() for h in history]
    cells = _notebook_cells(notebook) if notebook is not None else None
    if cells:
        index = {}
        for i, src in enumerate(cells):
            index.setdefault(src, i)
        matched = [(n + 1, index[s]) for n, s in enumerate(stripped) if s in index]
        seen: dict[int, int] = {}
        reexecuted, out_of_order = [], []
        last = -1
        for count, cell in matched:
            if cell in seen:
                reexecuted.append(cell)
            elif cell < last:
                out_of_order.append({"execution": count, "cell": cell})
            seen[cell] = count
            last = max(last, cell)
        unmatched = len(stripped) - len(matched)
        return {
            "in_order": not reexecuted and not out_of_order,
            "basis": "notebook",
            "executions": len(stripped),
            "reexecuted_cells": sorted(set(reexecuted)),
            "out_of_order": out_of_order[:20],
            "inputs_not_in_notebook": unmatched,
        }
    counts: dict[str, int] = {}
    for s in stripped:
        counts[s] = counts.get(s, 0) + 1
    repeats = sum(1 for c in counts.values() if c > 1)
    return {"in_order": repeats == 0, "basis": "history", "executions": len(stripped),
            "reexecuted_inputs": repeats}


def installed_packages() -> tuple[str, ...]:
    """``name==version`` for every installed distribution (what ``pip freeze`` lists), read again
    once a folder on ``sys.path`` changed (a ``pip install`` in the kernel adds a ``.dist-info``)."""
    return _installed_packages(_path_fingerprint())


def _path_fingerprint() -> tuple:
    found = []
    for entry in sys.path:
        try:
            found.append((entry, os.stat(entry or ".").st_mtime_ns))
        except OSError:
            found.append((entry, None))
    return tuple(found)


@lru_cache(maxsize=1)
def _installed_packages(fingerprint: tuple) -> tuple[str, ...]:
    from importlib import metadata

    seen = {}
    for dist in metadata.distributions():
        name, version = _name_and_version(dist)
        if name and name.lower() not in seen:
            seen[name.lower()] = f"{name}=={version}"
    return tuple(sorted(seen.values(), key=str.lower))


def _name_and_version(dist) -> tuple[str | None, str | None]:
    """A distribution's ``Name`` and ``Version`` headers, read from the top of its metadata file:
    ``dist.metadata`` parses the whole file as an e-mail message, which took most of a first
    ``register``'s 0.2-0.4 s here for ~500 packages. Anything unusual goes the long way."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    found: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the headers end at the first blank line
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version") and key not in found:
            found[key] = value.strip()
    if len(found) == 2 and all(found.values()):
        return found["Name"], found["Version"]
    return dist.metadata.get("Name"), dist.version


def package_versions(model: Any = None) -> dict:
    from importlib import metadata

    names = list(KEY_PACKAGES)
    if model is not None:
        top = type(model).__module__.split(".")[0]
        if top not in ("sklearn", "__main__", "builtins"):
            names.append(top)
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def collect(model: Any = None) -> dict:
    """Everything about the caller's context (the data fingerprints are added by the registry)."""
    history = _history()
    nb = notebook_path()
    nb_path = Path(nb) if nb else None
    if nb_path is not None and not nb_path.is_absolute():
        nb_path = Path.cwd() / nb_path
    run = run_link()
    notebook = None
    if nb:
        # in a run, the notebook as it was read for the run (the file may have changed since)
        sha = (run or {}).get("notebook_sha256") or (_sha256_file(nb_path) if nb_path else None)
        notebook = {"path": nb, "sha256": sha}
    try:
        user = getpass.getuser()
    except Exception:
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    record = {
        "git": git_info(),
        "notebook": notebook,
        "papermill_parameters": papermill_parameters(history),
        "kernel": kernel_hygiene(history, nb_path if nb_path and nb_path.exists() else None),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(model),
        "user": user,
        "host": socket.gethostname(),
        "cwd": os.getcwd(),
    }
    if run is not None:
        record["run"] = run
    return record


def actor() -> str:
    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    return os.environ.get("MLOPS_ACTOR") or f"{user}@{socket.gethostname()}"
