"""`mlops demo`, the README's first command, runs the quickstart end to end."""

import subprocess
import sys


def test_mlops_demo_runs_the_quickstart_and_says_what_each_step_did(tmp_path):
    out = subprocess.run([sys.executable, "-m", "jupyter_mlops", "demo"], capture_output=True, text=True,
                         cwd=tmp_path, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    text = out.stdout
    for expected in ("Register them", "<ModelVersion churn:2", "Approved", "('production',)",
                     "<AuditCheck intact", "Deploy it as a local endpoint", "churn-v1', 10.0",
                     "endpoint.rollback churn", "stopped", "Done in"):
        assert expected in text, expected
    assert not (tmp_path / ".mlops").exists()  # the demo used its own scratch workspace
