"""_core stays free of views, and loading the extension stays light (ARCHITECTURE.md)."""

import subprocess
import sys

VIEW_MODULES = ("IPython", "ipywidgets", "tornado", "jupyter_server")
HEAVY_MODULES = ("pandas", "sqlalchemy", "sklearn", "scipy", "shap", "papermill", "starlette", "matplotlib")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True)
    return {m.split(".")[0] for m in out.stdout.split()}


def test_core_modules_import_no_view_library():
    import pkgutil

    import jupyter_mlops._core as core

    names = [m.name for m in pkgutil.walk_packages(core.__path__, "jupyter_mlops._core.")
             if ".migrations" not in m.name and not m.name.endswith("__main__")]
    loaded = _modules_after("import importlib\n" + "\n".join(f"importlib.import_module({n!r})" for n in names))
    assert not loaded & set(VIEW_MODULES)


def test_a_workspace_round_trip_imports_no_view_library(tmp_path):
    loaded = _modules_after(
        "import numpy as np\nfrom sklearn.linear_model import LinearRegression\n"
        "from jupyter_mlops import Workspace\n"
        f"ws = Workspace({str(tmp_path / '.mlops')!r})\n"
        "ws.register(LinearRegression().fit(np.ones((3, 1)), [1, 2, 3]), 'm')\nws.load('m')")
    assert not loaded & set(VIEW_MODULES)


def test_importing_the_package_is_light():
    loaded = _modules_after("import jupyter_mlops")
    assert not loaded & set(HEAVY_MODULES)


def test_loading_the_extension_imports_no_heavy_library():
    code = ("from IPython.testing.globalipapp import start_ipython\nip = start_ipython()\n"
            "import sys\nbefore = set(sys.modules)\nip.run_line_magic('load_ext', 'jupyter_mlops')\n"
            "print(' '.join(set(sys.modules) - before))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    newly_loaded = {m.split(".")[0] for m in out.stdout.split()}
    assert "jupyter_mlops" in newly_loaded
    assert not newly_loaded & set(HEAVY_MODULES)


# -- dependencies point down (ARCHITECTURE.md) ----------------------------------------------------

import ast  # noqa: E402
from pathlib import Path  # noqa: E402

PACKAGE = Path(__file__).resolve().parents[1] / "jupyter_mlops"
CORE = PACKAGE / "_core"
#: the composition roots: the kernel's (``Workspace``) and the scheduler daemon process's entry
COMPOSITION_ROOTS = {CORE / "workspace.py", CORE / "scheduler" / "__main__.py"}


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the modules ``path`` imports (relative imports resolved), also those
    imported inside functions, which is where this package imports lazily."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            out.add(module)
            out.update(f"{module}.{alias.name}" for alias in node.names)
    return out


def importers_of(target: str, under: Path) -> list[str]:
    return sorted(str(p.relative_to(PACKAGE.parent)) for p in under.rglob("*.py")
                  if any(m == target or m.startswith(target + ".") for m in imported_modules(p)))


def test_no_part_imports_the_workspace():
    offenders = [p for p in importers_of("jupyter_mlops._core.workspace", CORE)
                 if PACKAGE.parent / p not in COMPOSITION_ROOTS]
    assert offenders == []


def test_the_endpoint_process_and_the_kernel_side_of_serving_do_not_import_each_other():
    serving = CORE / "serving"
    assert importers_of("jupyter_mlops._core.serving.control", serving / "endpoint") == []
    assert importers_of("jupyter_mlops._core.serving.endpoint", serving / "control") == []
    # what they share imports neither of them
    shared = [serving / "contract.py", serving / "metrics.py", *(serving / "inference").rglob("*.py")]
    for path in shared:
        assert not {m for m in imported_modules(path)
                    if m.startswith(("jupyter_mlops._core.serving.control", "jupyter_mlops._core.serving.endpoint"))}, path


def test_no_part_is_handed_the_workspace(tmp_path):
    """The composition root wires parts with narrow collaborators: walking every part built from a
    real workspace finds no reference back to it."""
    import jupyter_mlops as mlops

    ws = mlops.Workspace(tmp_path / ".mlops")
    parts = [ws.registry, ws._datasets, ws._policies, ws._serving, ws._monitoring, ws._replayer, ws.scheduler, ws._reports,
             ws.scheduler.daemon, ws._pipelines, ws.job_context()]
    seen, stack = set(), list(parts)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, (str, bytes, int, float, Path, type)):
            continue
        seen.add(id(obj))
        assert not isinstance(obj, mlops.Workspace), f"a part holds the Workspace: {parts}"
        children = list(vars(obj).values()) if hasattr(obj, "__dict__") else []
        if hasattr(obj, "__self__"):  # a bound method handed as a collaborator
            children.append(obj.__self__)
        stack.extend(c for c in children if c.__class__.__module__.startswith("jupyter_mlops") or callable(c))


def test_the_endpoint_process_builds_no_workspace():
    assert importers_of("jupyter_mlops._core.workspace", CORE / "serving") == []
    # nor through the package root, which re-exports it
    assert not [p for p in (CORE / "serving").rglob("*.py")
                if {"jupyter_mlops", "jupyter_mlops.Workspace"} & imported_modules(p)]
