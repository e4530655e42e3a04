"""Watching a rollout on a real endpoint: deploy(wait=True) returns once a canary has completed
or rolled back, every look on the way shows weights, the bake's countdown and the new variant's
figures against its guardrails; %mlops watch updates one display; mlops watch exits 0 on a
completed rollout and 3 on a rolled-back one."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

import jupyter_mlops

from conftest import start_ipython, stop_process
from .endpoints import wait_until

ROOT = Path(jupyter_mlops.__file__).resolve().parent.parent
FAILING = {"instances": [[5, 70, 150]]}  # churn:3 (conftest.FlakyModel) raises on it


def _fail_until(url: str, done: threading.Event) -> threading.Thread:
    def send():
        with httpx.Client(base_url=url) as c:
            while not done.is_set():
                c.post("/invocations", json=FAILING)
                time.sleep(0.01)

    t = threading.Thread(target=send, daemon=True)
    t.start()
    return t


def test_deploy_with_wait_returns_the_completed_canary_and_showed_each_look(sws):
    ws = sws
    ws.deploy("churn:1", "w")
    looks = []
    ep = ws.deploy("churn:2", "w", strategy="canary", percent=25, bake=1, wait=True, on_update=looks.append,
                   guardrails={"max_error_rate": 0.05})
    assert ep.rollout["status"] == "completed" and ep.status == "running"
    assert [(v["name"], v["weight"]) for v in ep.variants] == [("churn-v2", 100.0)]
    baking = [look for look in looks if not look.finished]
    assert baking and baking[0].weights == {"churn-v1": 75.0, "churn-v2": 25.0}
    assert baking[0].bake_left_s is not None and baking[0].guardrails == {"max_error_rate": 0.05}
    assert "bake" in baking[0].to_text() and "max_error_rate" in baking[0]._repr_html_()
    assert looks[-1].status == "completed" and looks[-1].reason.endswith("completed")
    again = ws.watch("w")  # nothing bakes any more: at once, with how it ended
    assert again.status == "completed" and again.finished


def test_a_canary_that_breaches_its_guardrail_returns_rolled_back_with_the_reason(sws):
    ws = sws
    first = ws.deploy("churn:1", "bad")
    done = threading.Event()
    sender = _fail_until(first.url, done)
    looks = []
    try:
        ep = ws.deploy("churn:3", "bad", strategy="canary", percent=50, bake=30, wait=True, on_update=looks.append,
                       guardrails={"max_error_rate": 0.05, "min_requests": 10})
    finally:
        done.set()
        sender.join(10)
    assert ep.rollout["status"] == "rolled_back" and "max_error_rate" in ep.rollout["reason"]
    assert looks[-1].failed and "max_error_rate" in looks[-1].to_text()
    assert [(v["name"], v["weight"]) for v in ep.variants] == [("churn-v1", 100.0)]


def test_the_watch_magic_updates_one_display_until_the_rollout_ends(sws, monkeypatch):
    from IPython.utils.capture import capture_output

    ws = sws
    ws.deploy("churn:1", "m")
    ws.deploy("churn:2", "m", strategy="canary", percent=50, bake=1)
    ip = start_ipython()
    ip.run_line_magic("load_ext", "jupyter_mlops")
    # the test shell is a terminal one: ask it for the HTML a notebook would get as well
    monkeypatch.setattr(ip.display_formatter, "active_types", [*ip.display_formatter.active_types, "text/html"])
    with capture_output() as captured:
        look = ip.run_line_magic("mlops", "watch m --timeout 60")
    assert look.status == "completed"
    outputs = captured.outputs
    assert len(outputs) >= 2  # the first look, then updates of that same display
    assert "rollout on m" in outputs[0].data["text/html"] and "bake" in outputs[0].data["text/html"]
    assert all(o.update for o in outputs[1:])  # updates of the first display, never a new one
    assert outputs[-1].data == {"text/plain": ""}  # emptied at the end: the magic's result shows the outcome


def _cli_watch(home, endpoint):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MLOPS_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "jupyter_mlops", "watch", endpoint, "--timeout", "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_the_cli_watch_exits_0_on_completed_and_3_on_rolled_back(sws):
    ws = sws
    home = ws.home
    ws.deploy("churn:1", "c")
    ws.deploy("churn:2", "c", strategy="canary", percent=50, bake=1)
    proc = _cli_watch(home, "c")
    try:
        out, err = proc.communicate(timeout=90)
    finally:
        stop_process(proc)
    assert proc.returncode == 0, err
    assert "[completed]" in out and "churn-v2=100" in out
    assert "[baking]" in err  # the live line on stderr

    first = ws.deploy("churn:1", "r")
    ws.deploy("churn:3", "r", strategy="canary", percent=50, bake=60,
              guardrails={"max_error_rate": 0.05, "min_requests": 10})
    proc = _cli_watch(home, "r")
    done = threading.Event()
    sender = _fail_until(first.url, done)
    try:
        out, err = proc.communicate(timeout=90)
    finally:
        done.set()
        sender.join(10)
        stop_process(proc)
    assert proc.returncode == 3, (out, err)
    assert "[rolled_back]" in out and "max_error_rate" in out
    assert wait_until(lambda: ws.endpoint("r").info().rollout["status"] == "rolled_back")
