"""Side environments for the tools we compare against (MLflow, Evidently), kept apart from ours
because their pins clash with our dependencies (e.g. pandas 3). Created once, reused after."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def ensure(name: str, requirements: list[str]) -> Path:
    """The python of ``benchmarks/.venv-<name>`` with ``requirements`` installed."""
    venv = HERE / f".venv-{name}"
    python = venv / "bin" / "python"
    marker = venv / "requirements.txt"
    wanted = "\n".join(sorted(requirements))
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        return python
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print(f"[setup] installing {', '.join(requirements)} into {venv} …", flush=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *requirements], check=True)
    marker.write_text(wanted)
    return python
