"""Stopping endpoints for good: workers die with their supervisor, ``ws.stop`` ends every process of
the endpoint (its process group) even when the supervisor is already dead and says what it ended,
and server.json follows a worker restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import cloudpickle
import httpx
import psutil
import pytest

from jupyter_mlops._core.serving.control.processes import is_endpoint_process
from scheduler.conftest import pid_gone, wait_for  # the daemon tests' polling helpers (tests/ is on the path)

ROW = {"instances": [[5, 70, 2]]}
HELPER = ("import signal, time\n"
          "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
          "time.sleep(600)\n")


class HelperStartingModel:
    """Predicts like the wrapped model; loaded in an endpoint worker it starts a helper process
    that ignores SIGTERM (as a model with a process pool of its own might): a process of the
    endpoint that only SIGKILL ends. Each helper's pid is a file in ``pid_dir``."""

    def __init__(self, inner, pid_dir: str):
        self.inner, self.pid_dir = inner, pid_dir

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "--worker-index" in sys.argv:  # in an endpoint worker, not in the test or the registry
            helper = subprocess.Popen([sys.executable, "-c", HELPER])
            Path(self.pid_dir, str(helper.pid)).touch()

    def predict(self, X):
        return self.inner.predict(X)


@pytest.fixture
def leftovers():
    """Pids a test saw; any still alive at the end is killed by pid (SIGKILL)."""
    pids: set[int] = set()
    yield pids
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            if proc.status() != psutil.STATUS_ZOMBIE:
                proc.kill()
                proc.wait(10)
        except psutil.Error:
            pass


def _group(pgid: int) -> set[int]:
    """Live (not zombie) processes of process group ``pgid``, read from ``/proc/<pid>/stat``
    (after the command's closing parenthesis: state, ppid, pgrp; man 5 proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _, pgrp = stat.read_text().rpartition(")")[2].split()[:3]
        except (OSError, ValueError):
            continue  # gone meanwhile
        if int(pgrp) == pgid and state != "Z":
            found.add(int(stat.parent.name))
    return found


def _deploy_two_workers(ws, name: str, leftovers: set[int], ref: str = "churn:1"):
    ep = ws.deploy(ref, name, workers=2)
    server = ws._serving._server_info(name)
    assert server["pid"] == ep.pid and len(server["worker_pids"]) == 2
    leftovers.update([ep.pid, *server["worker_pids"], *_group(ep.pid)])
    return ep, server


def test_workers_die_with_their_supervisor(sws, leftovers):
    ep, server = _deploy_two_workers(sws, "orphans", leftovers)
    os.kill(ep.pid, signal.SIGKILL)
    gone, alive = psutil.wait_procs([psutil.Process(p) for p in server["worker_pids"]], timeout=30)
    assert not alive, f"workers {[p.pid for p in alive]} outlived their supervisor"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{ep.url}/ping")


def test_stop_after_the_supervisor_was_killed_ends_every_process_of_the_endpoint(sws, leftovers, tmp_path):
    """A killed supervisor, workers, and helper processes a model started that ignore SIGTERM:
    ``ws.stop`` ends them all through the process group, and says how, pid by pid."""
    pid_dir = tmp_path / "helpers"
    pid_dir.mkdir()
    X, y = sws._test_data
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        sws.register(HelperStartingModel(sws.load("churn:1"), str(pid_dir)), "helped", data=X, target=y)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    ep, server = _deploy_two_workers(sws, "helped", leftovers, ref="helped:1")
    helpers = {int(p.name) for p in pid_dir.iterdir()}
    leftovers.update(helpers)
    assert helpers and helpers <= _group(ep.pid)  # the helpers belong to the endpoint's group

    os.kill(ep.pid, signal.SIGKILL)
    assert wait_for(lambda: pid_gone(ep.pid), 10)
    assert sws.stop("helped", timeout=3) is None  # the public contract: stop returns nothing

    for pid in [server["pid"], *server["worker_pids"], *helpers]:
        assert pid_gone(pid), f"pid {pid} of the endpoint is still alive"
    assert not _group(ep.pid)
    details = sws.audit("helped")
    details = details[details["action"] == "endpoint.stop"]["details"].iloc[-1]
    how = {e["pid"]: (e["role"], e["how"]) for e in details["ended"]}
    assert how[ep.pid] == ("supervisor", "already gone")
    assert {how[p][0] for p in server["worker_pids"]} == {"worker"}
    assert {how[p][1] for p in server["worker_pids"]} <= {"SIGTERM", "already gone"}
    assert {how[p] for p in helpers} == {("process", "SIGKILL")}
    reason = sws.endpoint("helped").info().status_reason
    assert reason.startswith(f"stop ended pid {ep.pid} (supervisor, already gone), ")
    assert all(f"pid {p} (process, SIGKILL)" in reason for p in helpers)
    assert sws.endpoints(all=True).set_index("name").loc["helped", "reason"] == reason


def test_a_stop_lists_each_process_it_ended(sws, leftovers):
    ep, server = _deploy_two_workers(sws, "listed", leftovers)
    sws.stop("listed")
    w1, w2 = sorted(server["worker_pids"])
    expected = (f"stop ended pid {ep.pid} (supervisor, SIGTERM), pid {w1} (worker, SIGTERM), "
                f"pid {w2} (worker, SIGTERM)")
    row = sws.endpoints(all=True).set_index("name").loc["listed"]
    assert row["status"] == "stopped" and row["reason"] == expected
    state = sws._serving.records.get("listed").state
    assert state["ended"] == [{"pid": ep.pid, "role": "supervisor", "how": "SIGTERM"},
                              {"pid": w1, "role": "worker", "how": "SIGTERM"},
                              {"pid": w2, "role": "worker", "how": "SIGTERM"}]


def test_a_restarted_worker_replaces_the_dead_pid_in_server_json(sws, leftovers):
    ep, server = _deploy_two_workers(sws, "restarts", leftovers)
    dead = server["worker_pids"][0]
    os.kill(dead, signal.SIGKILL)

    def replaced():
        pids = sws._serving._server_info("restarts").get("worker_pids") or []
        return pids if len(pids) == 2 and dead not in pids else None

    pids = wait_for(replaced, 30)
    assert pids, f"server.json still lists {sws._serving._server_info('restarts').get('worker_pids')}"
    leftovers.update(pids)
    config = sws.home / "endpoints" / "restarts" / "config.json"
    assert all(is_endpoint_process(p, config) for p in pids)
    assert all(psutil.Process(p).ppid() == ep.pid for p in pids)
    assert httpx.post(f"{ep.url}/invocations", json=ROW).status_code == 200
