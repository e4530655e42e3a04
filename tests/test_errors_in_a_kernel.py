"""In a real Jupyter kernel our errors reach the front end as one line, without ``%load_ext``:
IPython asks the exception for ``_render_traceback_`` and ipykernel sends what it returns."""

from __future__ import annotations

import os
import re
from pathlib import Path

import jupyter_mlops

SOURCE = str(Path(jupyter_mlops.__file__).resolve().parents[1])  # this checkout, not an installed copy


def test_an_error_in_a_kernel_without_load_ext_is_one_line(home, tmp_path):
    from jupyter_client.manager import KernelManager

    env = {**os.environ, "MLOPS_HOME": str(home),
           "PYTHONPATH": os.pathsep.join(p for p in (SOURCE, os.environ.get("PYTHONPATH")) if p)}
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=env, cwd=str(tmp_path))
    process = km.provisioner.process
    client = km.client()
    client.start_channels()
    errors = []
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(
            "import jupyter_mlops\njupyter_mlops.Workspace().get('chrun')", timeout=120,
            output_hook=lambda msg: errors.append(msg["content"]) if msg["msg_type"] == "error" else None)
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=False)
    assert process.wait(30) == 0
    assert reply["content"]["status"] == "error"
    [error] = errors
    assert (error["ename"], error["evalue"]) == ("ModelNotFound", "No model named 'chrun'.")
    assert [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in error["traceback"]] == [
        "ModelNotFound: No model named 'chrun'."]
