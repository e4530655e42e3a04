"""A real Jupyter kernel for tests: started on this checkout's jupyter_mlops (not an installed
copy), in a given workspace and folder, and shut down gracefully by the test that started it."""

from __future__ import annotations

import os
from pathlib import Path

import jupyter_mlops

SOURCE = str(Path(jupyter_mlops.__file__).resolve().parents[1])


def start_kernel(home, cwd, **env):
    """(kernel manager, started client) of a new python3 kernel with MLOPS_HOME=``home``."""
    from jupyter_client.manager import KernelManager

    env = {**os.environ, "MLOPS_HOME": str(home), **env,
           "PYTHONPATH": os.pathsep.join(p for p in (SOURCE, os.environ.get("PYTHONPATH")) if p)}
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=env, cwd=str(cwd))
    client = km.client()
    client.start_channels()
    return km, client


def stop_kernel(km, client) -> int:
    """Close the client, ask the kernel to shut down, and return its exit code (0: it exited by
    itself, not killed)."""
    process = km.provisioner.process
    client.stop_channels()
    km.shutdown_kernel(now=False)
    return process.wait(30)
