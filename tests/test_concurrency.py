"""Many kernels, one workspace: nothing is lost, no number is handed out twice, a crash leaves
no half-written version."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

from conftest import stop_process

WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from sklearn.linear_model import LinearRegression
    from jupyter_mlops import Workspace
    ws = Workspace()
    model = LinearRegression().fit(np.arange(6.0).reshape(-1, 1), np.arange(6.0) * float(sys.argv[1]))
    for i in range(int(sys.argv[2])):
        ws.register(model, "shared", metrics={"writer": float(sys.argv[1]), "i": float(i)})
""")


def test_four_processes_registering_25_versions_each_get_1_to_100(ws, tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    ws.status()  # create the schema once, as a user's first cell would
    procs = [subprocess.Popen([sys.executable, str(script), str(w), "25"], stderr=subprocess.PIPE, text=True)
             for w in range(4)]
    try:
        errors = [p.communicate(timeout=300)[1] for p in procs]
    finally:
        for p in procs:
            stop_process(p)
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    versions = ws.versions("shared")
    assert sorted(versions.index) == list(range(1, 101))
    per_writer = versions.groupby("writer").size().to_dict()
    assert per_writer == {0.0: 25, 1.0: 25, 2.0: 25, 3.0: 25}
    assert ws.verify_audit().entries == 100 and ws.verify_audit().ok


BIG_WRITER = textwrap.dedent("""
    import numpy as np
    from jupyter_mlops import Workspace

    class Big:
        def __init__(self):
            self.weights = np.random.default_rng(0).random(40_000_000)  # 320 MB
        def predict(self, X):
            return np.zeros(len(X))

    Workspace().register(Big(), "big")
""")


def test_a_writer_killed_mid_artifact_leaves_no_version_and_the_next_register_works(ws, clf, tmp_path):
    ws.register(clf, "big")
    script = tmp_path / "big.py"
    script.write_text(BIG_WRITER)
    proc = subprocess.Popen([sys.executable, str(script)])
    artifacts = ws.home / "artifacts" / "sha256"
    try:
        deadline = time.time() + 120
        while time.time() < deadline and not any(artifacts.glob("*/.tmp-*")):
            assert proc.poll() is None, "the writer finished before it could be killed"
            time.sleep(0.005)
        assert any(artifacts.glob("*/.tmp-*")), "the writer never started writing its artifact"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        stop_process(proc)
    assert list(ws.versions("big").index) == [1]
    for v in ws.versions("big").index:  # every version row has its verified artifact
        ws.load(f"big:{v}")
    assert ws.register(clf, "big").version == 2
    assert ws.artifacts.remove_stale_temporaries(older_than_s=0) >= 1
    assert not any(artifacts.glob("*/.tmp-*"))
    assert ws.verify_audit().ok
