"""Registry benchmark: register and load the same fitted RandomForest with jupyter_mlops and with
MLflow (``mlflow.sklearn.log_model(..., registered_model_name=...)`` on a local SQLite tracking
store, and ``mlflow.pyfunc.load_model``), plus the wall time of ``%load_ext jupyter_mlops`` in a
fresh IPython. Everything is measured in one run, side by side.

    python benchmarks/registry.py [--repeat 7] [--trees 100]

MLflow runs in benchmarks/.venv-mlflow (created on first use) with the same scikit-learn.
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _venv  # noqa: E402

MLFLOW_SCRIPT = textwrap.dedent("""
    import json, pickle, sys, time, warnings, logging
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    import mlflow, mlflow.sklearn, mlflow.pyfunc
    model = pickle.load(open(sys.argv[1], "rb"))
    repeat = int(sys.argv[3])
    mlflow.set_tracking_uri(f"sqlite:///{sys.argv[2]}/mlflow.db")
    mlflow.set_experiment("bench")
    trusted = ["sklearn.tree._tree.Tree"]
    def register():
        with mlflow.start_run():
            mlflow.sklearn.log_model(model, name="model", registered_model_name="rf", skops_trusted_types=trusted)
    register()  # warm-up: creates the tracking database and imports
    reg = []
    for _ in range(repeat):
        t = time.perf_counter(); register(); reg.append(time.perf_counter() - t)
    mlflow.pyfunc.load_model("models:/rf/1")
    load = []
    for i in range(repeat):
        t = time.perf_counter(); mlflow.pyfunc.load_model(f"models:/rf/{i + 2}"); load.append(time.perf_counter() - t)
    print(json.dumps({"register": reg, "load": load, "version": mlflow.__version__}))
""")

OURS_SCRIPT = textwrap.dedent("""
    import json, pickle, sys, time
    from jupyter_mlops import Workspace
    model = pickle.load(open(sys.argv[1], "rb"))
    repeat = int(sys.argv[3])
    ws = Workspace(sys.argv[2] + "/.mlops")
    ws.register(model, "rf")  # warm-up: creates the database and imports
    reg = []
    for _ in range(repeat):
        t = time.perf_counter(); ws.register(model, "rf"); reg.append(time.perf_counter() - t)
    ws.load("rf:1")
    load = []
    for i in range(repeat):
        t = time.perf_counter(); ws.load(f"rf:{i + 2}"); load.append(time.perf_counter() - t)
    import os
    os.environ["MLOPS_SAFE_LOAD"] = "1"
    safe = []
    for i in range(repeat):
        t = time.perf_counter(); ws.load(f"rf:{i + 2}"); safe.append(time.perf_counter() - t)
    print(json.dumps({"register": reg, "load": load, "safe_load": safe}))
""")

LOAD_EXT = ("from IPython.testing.globalipapp import start_ipython\nimport time\nip = start_ipython()\n"
            "t = time.perf_counter()\nip.run_line_magic('load_ext', 'jupyter_mlops')\n"
            "print(time.perf_counter() - t)")


def run_json(python, script: str, *args) -> dict:
    out = subprocess.run([str(python), "-c", script, *map(str, args)], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--trees", type=int, default=100)
    args = ap.parse_args()

    import sklearn
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    X, y = make_classification(n_samples=5000, n_features=20, random_state=0)
    model = RandomForestClassifier(n_estimators=args.trees, random_state=0, n_jobs=1).fit(X, y)
    mlflow_python = _venv.ensure("mlflow", ["mlflow==3.17.2", f"scikit-learn=={sklearn.__version__}"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.pkl"
        path.write_bytes(pickle.dumps(model))
        (Path(tmp) / "ours").mkdir()
        (Path(tmp) / "mlflow").mkdir()
        ours = run_json(sys.executable, OURS_SCRIPT, path, Path(tmp) / "ours", args.repeat)
        theirs = run_json(mlflow_python, MLFLOW_SCRIPT, path, Path(tmp) / "mlflow", args.repeat)
    load_ext = sorted(float(subprocess.run([sys.executable, "-c", LOAD_EXT], capture_output=True, text=True,
                                           check=True).stdout.split()[-1]) for _ in range(5))
    med = statistics.median
    print(f"\nRandomForest({args.trees} trees, 20 features), median of {args.repeat}; MLflow {theirs['version']}")
    print(f"{'':24}{'jupyter_mlops':>15}{'MLflow':>12}{'speed-up':>10}")
    for step in ("register", "load"):
        a, b = med(ours[step]), med(theirs[step])
        print(f"{step:24}{a * 1000:>12.1f} ms{b * 1000:>9.1f} ms{b / a:>9.1f}x")
    a, b = med(ours["safe_load"]), med(theirs["load"])
    print(f"{'load, skops only':24}{a * 1000:>12.1f} ms{b * 1000:>9.1f} ms{b / a:>9.1f}x   (MLOPS_SAFE_LOAD=1)")
    print(f"{'%load_ext jupyter_mlops':24}{med(load_ext) * 1000:>12.1f} ms   (median of 5 fresh IPython shells; goal < 300 ms)")


if __name__ == "__main__":
    main()
