"""In a kernel, what the first ``register`` needs is imported after the cell that imported
``jupyter_mlops``, on the kernel's main thread, before the next cell; elsewhere nothing is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from real_kernel import SOURCE, start_kernel, stop_kernel

NEEDED = ("skops.io", "sqlalchemy.orm", "alembic.command", "jupyter_mlops._core.registry.registry")


def _kernel(home, tmp_path, **env):
    km, client = start_kernel(home, tmp_path, **env)
    client.wait_for_ready(timeout=60)
    return km, client


def _run(client, code: str) -> str:
    out = []
    reply = client.execute_interactive(code, timeout=120, output_hook=lambda m: out.append(
        m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(out)


def _stop(km, client) -> None:
    assert stop_kernel(km, client) == 0


LOADED = "import sys, json; print(json.dumps({m: m in sys.modules for m in %r}))" % (NEEDED,)


def test_a_kernel_imports_what_register_needs_after_the_importing_cell(home, tmp_path):
    km, client = _kernel(home, tmp_path)
    try:
        during = json.loads(_run(client, "import jupyter_mlops\n" + LOADED))
        deadline = time.monotonic() + 60
        while True:  # a person reading the output while the kernel is idle; a cell between steps
            time.sleep(0.5)
            after = json.loads(_run(client, LOADED))
            if all(after.values()) or time.monotonic() > deadline:
                break
        created = _run(client, "import os; print(os.path.exists(os.environ['MLOPS_HOME']))")
    finally:
        _stop(km, client)
    assert not any(during.values()), during  # the importing cell itself stays light
    assert all(after.values()), after
    assert created.strip() == "False"  # warming up opens no workspace and creates no file


def test_cells_run_back_to_back_are_not_interleaved_with_the_warm_up(home, tmp_path):
    """papermill and nbval send the next cell at once and shut the kernel down after the last:
    the warm-up waits for a pause, so it neither slows such a run nor delays its shutdown."""
    km, client = _kernel(home, tmp_path)
    try:
        _run(client, "import jupyter_mlops")
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:  # cells one after the other, each ending in ~ms
            busy = json.loads(_run(client, "import time; time.sleep(0.1)\n" + LOADED))
    finally:
        _stop(km, client)  # right after the last cell: a graceful exit (code 0), not a kill
    assert not any(busy.values()), busy


def test_mlops_warmup_0_keeps_every_import_lazy(home, tmp_path):
    km, client = _kernel(home, tmp_path, MLOPS_WARMUP="0")
    try:
        _run(client, "import jupyter_mlops")
        time.sleep(1.0)
        after = json.loads(_run(client, LOADED))
    finally:
        _stop(km, client)
    assert not any(after.values()), after


def test_outside_a_kernel_importing_jupyter_mlops_imports_nothing_ahead():
    code = "import time, jupyter_mlops; time.sleep(0.3)\n" + LOADED
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": SOURCE})
    assert not any(json.loads(out.stdout).values())


def test_warm_up_reports_the_steps_that_failed_instead_of_raising():
    # skops made unimportable in a real process: that step fails, the others still run
    code = ("import sys; sys.modules['skops'] = None\n"
            "from jupyter_mlops._core.warmup import warm_up\n"
            "print(warm_up(), 'sqlalchemy.orm' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": SOURCE})
    assert out.stdout.split("]")[0] + "]" == "['artifact_format']" and out.stdout.strip().endswith("True")
