"""In a real Jupyter kernel our errors reach the front end as one line, without ``%load_ext``:
IPython asks the exception for ``_render_traceback_`` and ipykernel sends what it returns."""

from __future__ import annotations

import re

from real_kernel import start_kernel, stop_kernel


def test_an_error_in_a_kernel_without_load_ext_is_one_line(home, tmp_path):
    km, client = start_kernel(home, tmp_path)
    errors = []
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(
            "import jupyter_mlops\njupyter_mlops.Workspace().get('chrun')", timeout=120,
            output_hook=lambda msg: errors.append(msg["content"]) if msg["msg_type"] == "error" else None)
    finally:
        exit_code = stop_kernel(km, client)
    assert exit_code == 0
    assert reply["content"]["status"] == "error"
    [error] = errors
    assert (error["ename"], error["evalue"]) == ("ModelNotFound", "No model named 'chrun'.")
    assert [re.sub(r"\x1b\[[0-9;]*m", "", line) for line in error["traceback"]] == [
        "ModelNotFound: No model named 'chrun'."]
