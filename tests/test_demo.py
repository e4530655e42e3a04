"""`mlops demo`, the README's first command, runs the quickstart end to end."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_mlops_demo_runs_the_quickstart_and_says_what_each_step_did(tmp_path):
    # PYTHONPATH: this checkout's code, in the command and in the kernel it starts
    out = subprocess.run([sys.executable, "-m", "jupyter_mlops", "demo"], capture_output=True, text=True,
                         cwd=tmp_path, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    text = out.stdout
    for expected in ("Register them", "<ModelVersion churn:2", "Approved", "('production',)",
                     "<AuditCheck intact", "Deploy it as a local endpoint", "churn-v1', 10.0",
                     "endpoint.rollback churn", "stopped", "Done in",
                     "Next: mlops notebooks mlops-examples && jupyter lab mlops-examples/quickstart.ipynb"):
        assert expected in text, expected
    assert not (tmp_path / ".mlops").exists()  # the demo used its own scratch workspace
