"""In a real Jupyter kernel, ws.deploy(..., wait=True) with no on_update shows one display of the
rollout and updates it in place (display_data, then update_display_data with its display_id)."""

from __future__ import annotations

from real_kernel import start_kernel, stop_kernel

CELL = """
import jupyter_mlops
ws = jupyter_mlops.Workspace()
ws.deploy("churn:1", "k")
ep = ws.deploy("churn:2", "k", strategy="canary", percent=50, bake=1, wait=True)
print(ep.rollout["status"])
"""


def test_deploy_with_wait_in_a_kernel_updates_one_display(sws, tmp_path):
    km, client = start_kernel(sws.home, tmp_path)
    messages = []
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(CELL, timeout=180, output_hook=messages.append)
    finally:
        exit_code = stop_kernel(km, client)
    assert exit_code == 0
    assert reply["content"]["status"] == "ok", [m["content"] for m in messages if m["msg_type"] == "error"]
    shown = [m for m in messages if m["msg_type"] == "display_data"]
    updates = [m for m in messages if m["msg_type"] == "update_display_data"]
    assert len(shown) == 1 and "rollout on k" in shown[0]["content"]["data"]["text/html"]
    display_id = shown[0]["content"]["transient"]["display_id"]
    assert updates and {u["content"]["transient"]["display_id"] for u in updates} == {display_id}
    printed = "".join(m["content"].get("text", "") for m in messages if m["msg_type"] == "stream")
    assert "completed" in printed
