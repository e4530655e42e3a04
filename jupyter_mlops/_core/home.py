"""Where the workspace lives.

``$MLOPS_HOME`` if set; else the nearest ``.mlops/`` folder walking up from the working directory
(like git finds ``.git``); else ``./.mlops/``, created on first write.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_DIRNAME = ".mlops"


def find_home(start: str | os.PathLike | None = None) -> Path:
    env = os.environ.get("MLOPS_HOME")
    if env:
        return Path(env).expanduser().resolve()
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / HOME_DIRNAME
        if candidate.is_dir():
            return candidate
    return here / HOME_DIRNAME


def make_private(home: Path) -> Path:
    """Create ``home`` as a folder only its owner can enter (0700), or close one of ours that is
    open to others: it holds the database, endpoint configs, captured requests and logs."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = home.stat()
    if st.st_uid == os.getuid() and st.st_mode & 0o077:
        home.chmod(0o700)
    return home


def resolve_home(path: str | os.PathLike | None = None) -> Path:
    """The home for ``Workspace(path)``: a given folder is used as the home itself
    (``Workspace("proj/.mlops")``), or, when it holds a ``.mlops`` folder, that one."""
    if path is None:
        return find_home()
    p = Path(path).expanduser().resolve()
    if p.name != HOME_DIRNAME and (p / HOME_DIRNAME).is_dir():
        return p / HOME_DIRNAME
    return p


def pythonpath_for_children(current: str | None) -> str | None:
    """The ``PYTHONPATH`` a child process (the scheduler daemon, a run's kernel) needs to import
    this same jupyter_mlops: when it was imported from a source checkout (the notebook's folder,
    a worktree), that checkout goes first; an installed package needs nothing (and site-packages
    must never go ahead of the standard library)."""
    package_root = Path(__file__).resolve().parents[2]
    if package_root.name in ("site-packages", "dist-packages"):
        return current
    return os.pathsep.join(p for p in (str(package_root), current) if p)
