"""The panel in a real ipykernel: its refresher thread sends the live charts to the front end over
the widget's comm while the kernel is idle, closing the panel ends the thread, and a kernel with a
panel running shuts down cleanly."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import jupyter_mlops

SOURCE = str(Path(jupyter_mlops.__file__).resolve().parents[1])  # this checkout, not an installed copy


def execute(client, code: str) -> str:
    out: list[str] = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")

    reply = client.execute_interactive(code, timeout=120, output_hook=hook)
    assert reply["content"]["status"] == "ok", (reply["content"], out)
    return "".join(out)


@pytest.mark.slow
def test_the_refresher_updates_the_chart_through_the_comm_and_stops_with_the_kernel(served, tmp_path):
    from jupyter_client.manager import KernelManager

    env = {**os.environ, "MLOPS_HOME": str(served.home),
           "PYTHONPATH": os.pathsep.join(p for p in (SOURCE, os.environ.get("PYTHONPATH")) if p)}
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=env, cwd=str(tmp_path))
    process = km.provisioner.process
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        execute(client, "%load_ext jupyter_mlops\np = %mlops panel endpoints --interval 0.3\ndisplay(p)")
        assert execute(client, "print(p.refresher.running, __import__('jupyter_mlops').__file__)"
                       ).startswith(f"True {SOURCE}")

        handle = served.endpoint("churn")
        chart_updates = []
        deadline = time.monotonic() + 60
        while len(chart_updates) < 2 and time.monotonic() < deadline:
            handle.predict(served._test_rows)
            try:
                msg = client.get_iopub_msg(timeout=0.5)
            except Exception:  # queue.Empty: nothing this half second
                continue
            state = (msg["content"].get("data") or {}).get("state") or {}
            if msg["msg_type"] == "comm_msg" and 'class="mlops-chart' in str(state.get("value", "")):
                chart_updates.append(state["value"])
        assert len(chart_updates) >= 2, "the refresher sent no chart updates while the kernel was idle"
        assert "<polyline" in chart_updates[-1]

        assert execute(client, "p.close(); import threading\n"
                               "print(p.refresher.running, [t.name for t in threading.enumerate()"
                               " if t.name == 'mlops-panel-refresher'])").strip() == "False []"
        execute(client, "q = %mlops panel --interval 0.3\ndisplay(q)")  # left running: shutdown must end it
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=False)
    assert process.wait(30) == 0  # it exited on its own (a kernel killed after the grace would be -9)
