"""_core stays free of views, and loading the extension stays light (shared/DESIGN.md)."""

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
