"""The first ``register`` in a fresh kernel: seconds, median of N fresh processes.

Each process imports jupyter_mlops, opens a Workspace in a temporary folder and fits a small
LogisticRegression *before* the clock starts (a user has trained a model), then times
``ws.register(model, "churn", data=X, target=y)``. Anchors, each in fresh processes too:
- floor: ``pickle.dump`` of the same model to a file (sklearn already imported by the fit);
- previous: the same register as it was before: skops imported plainly (sklearn's full
  ``all_estimators`` walk, see ``_core/skops_import.py``) and the installed packages read with
  the e-mail parser of ``importlib.metadata`` (``lineage.installed_packages``);
- second: the next register in the same process (everything imported).
Each in two workspaces: a new one (its database is created by the register: SQLAlchemy and
Alembic's migrations) and an existing one (the usual case: a notebook run again in a new kernel).

Then in real Jupyter kernels (jupyter_client), as a notebook runs: cell 1 imports jupyter_mlops
and fits the model, cell 2 times the register. A kernel imports what the register needs while it
is idle after cell 1 (``_core/warmup.py``), so the figures are: cell 2 sent after a pause of 2 s
(a person's pace: reading cell 1's output, pressing Shift-Enter), cell 2 sent at once (the
worst case: it waits for the warm-up; reported as cell 2's whole wall time), and the same
with the warm-up off (``MLOPS_WARMUP=0``).

    python3 benchmarks/first_register.py [N]      (default 7)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import sys, tempfile, time, warnings, pickle
sys.path.insert(0, {root!r})
warnings.simplefilter("ignore")
import numpy as np
import jupyter_mlops
from sklearn.linear_model import LogisticRegression
rng = np.random.default_rng(0)
X = rng.random((500, 4)); y = (X[:, 0] > 0.5).astype(int)
model = LogisticRegression().fit(X, y)
mode, home = {mode!r}, {home!r}
if mode == "previous":  # as it was: sklearn's own all_estimators walk, the e-mail parser
    from jupyter_mlops._core import lineage, skops_import
    from sklearn.utils import all_estimators
    skops_import._estimators = all_estimators
    lineage._name_and_version = lambda dist: (dist.metadata.get("Name"), dist.version)
ws = jupyter_mlops.Workspace(home or tempfile.mkdtemp() + "/.mlops")
t = time.perf_counter()
if mode == "floor":
    with open(tempfile.mktemp(), "wb") as fh:
        pickle.dump(model, fh)
else:
    ws.register(model, "churn", data=X, target=y)
first = time.perf_counter() - t
t = time.perf_counter()
if mode == "now":
    ws.register(model, "churn", data=X, target=y)
print(first, time.perf_counter() - t)
"""


def run(mode: str, home: str = "") -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), mode=mode, home=home)],
                         capture_output=True, text=True, check=True, env={**os.environ, "MLOPS_HOME": ""})
    first, second = out.stdout.split()
    return float(first), float(second)


KERNEL_CELL_1 = r"""
import sys, tempfile, warnings
sys.path.insert(0, {root!r})
warnings.simplefilter("ignore")
import numpy as np
import jupyter_mlops
from sklearn.linear_model import LogisticRegression
rng = np.random.default_rng(0)
X = rng.random((500, 4)); y = (X[:, 0] > 0.5).astype(int)
model = LogisticRegression().fit(X, y)
ws = jupyter_mlops.Workspace({home!r} or tempfile.mkdtemp() + "/.mlops")
"""
KERNEL_CELL_2 = """
import time
t = time.perf_counter()
ws.register(model, "churn", data=X, target=y)
print(time.perf_counter() - t)
"""


def run_in_kernel(pause: float, home: str, warm_up: bool = True) -> tuple[float, float]:
    """(register seconds inside cell 2, cell 2's wall time from the client) in a fresh kernel."""
    import time

    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3")
    km.start_kernel(env={**os.environ, "MLOPS_HOME": "", "MLOPS_WARMUP": "1" if warm_up else "0"})
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        client.execute_interactive(KERNEL_CELL_1.format(root=str(ROOT), home=home), timeout=120)
        time.sleep(pause)
        out: list[str] = []
        start = time.perf_counter()
        client.execute_interactive(KERNEL_CELL_2, timeout=120, output_hook=lambda m: out.append(
            m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
        wall = time.perf_counter() - start
        return float("".join(out).split()[0]), wall
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(n: int = 7) -> None:
    import tempfile

    existing = tempfile.mkdtemp(prefix="mlops-bench-") + "/.mlops"
    run("now", existing)  # the workspace exists from here on
    print(f"load average before: {load()}")
    cases = [("now", ""), ("previous", ""), ("now", existing), ("previous", existing), ("floor", "")]
    runs: dict = {case: [] for case in cases}
    for _ in range(n):  # interleaved, so that a change of load hits every case alike
        for case in cases:
            runs[case].append(run(*case))
    median = {case: statistics.median(r[0] for r in rs) for case, rs in runs.items()}
    second = statistics.median(r[1] for r in runs[("now", existing)])
    print(f"first register in a fresh process, median of {n}:")
    for where, home in (("new workspace", ""), ("existing workspace", existing)):
        now, before = median[("now", home)], median[("previous", home)]
        print(f"  {where:<19} now {now:.3f} s   previous {before:.3f} s   ({before / now:.2f}x)")
    print(f"  second register in the same process  {second:.3f} s")
    print(f"  floor: pickle.dump of the model      {median[('floor', '')] * 1000:.1f} ms")
    kernel_cases = [("after a 2 s pause", 2.0, True), ("sent at once", 0.0, True),
                    ("after a 2 s pause, MLOPS_WARMUP=0", 2.0, False)]
    kernel_runs: dict = {case: [] for case in kernel_cases}
    for _ in range(n):
        for case in kernel_cases:
            kernel_runs[case].append(run_in_kernel(case[1], existing, case[2]))
    print(f"first register in a fresh Jupyter kernel (existing workspace), median of {n}:")
    for case, rs in kernel_runs.items():
        inside = statistics.median(r[0] for r in rs)
        wall = statistics.median(r[1] for r in rs)
        print(f"  cell 2 {case[0]:<35} register {inside:.3f} s   cell wall time {wall:.3f} s")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
