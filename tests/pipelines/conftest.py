"""Fixtures for the retraining tests: the ``python3`` kernelspec every run uses (installed here if
missing), and notebooks written by the tests themselves (``notebooks.py``)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.fixture(scope="session", autouse=True)
def python3_kernel():
    """Runs start the kernel named ``python3``, as on a Jupyter install; a bare environment may lack
    its kernelspec, so the tests install it the way a user would."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--user", "--name", "python3"], check=True)


@pytest.fixture
def daemons():
    """Scheduler daemons started through the public API, stopped by pid at the end (the
    scheduler tests' helper)."""
    from scheduler.conftest import Daemons

    d = Daemons()
    yield d
    d.stop_all()
