"""The workspace a Jupyter server serves: the one of its root folder.

``$MLOPS_HOME`` wins when set (as for every process of the package); else the nearest ``.mlops/``
walking up from ``ServerApp.root_dir``, else ``<root_dir>/.mlops`` (made on first write), the
same rule as ``Workspace()`` in a notebook opened in that folder, so the sidebar and the notebook's
kernel see one workspace.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


class ServerWorkspace:
    """One ``Workspace`` for the server's life, built on first use (loading the extension stays
    cheap) under a lock (requests run on several threads)."""

    def __init__(self, root_dir: str | os.PathLike):
        from .._core.home import find_home

        self.root_dir = Path(root_dir).expanduser().resolve()
        self.home = find_home(self.root_dir)
        self._workspace = None
        self._lock = threading.Lock()

    def get(self):
        if self._workspace is None:
            with self._lock:
                if self._workspace is None:
                    from .._core.workspace import Workspace

                    self._workspace = Workspace(self.home)
        return self._workspace

    def relative(self, path: str | None) -> str | None:
        """``path`` relative to the server's root when it lies inside it (what the lab opens),
        else as it is."""
        if not path:
            return path
        try:
            return Path(path).resolve().relative_to(self.root_dir).as_posix()
        except (ValueError, OSError):
            return path
