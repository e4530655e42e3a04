"""``python -m jupyter_mlops._core.scheduler [LOG_FILE]``: run the scheduler daemon of the workspace
named by the environment (``MLOPS_HOME``, ``MLOPS_DB_URL``, ``MLOPS_ARTIFACTS``). ``DaemonControl.start``
runs this detached; run it in the foreground under systemd or in a container.

This module is the daemon process's composition root: like ``Workspace`` in a kernel, it is the
one place that builds the parts (through ``Workspace``) and hands the daemon what it needs.
"""

import os
import sys

from ..progress import disable_everywhere
from ..workspace import Workspace

os.umask(0o077)  # its log, reports and pid file are the workspace owner's alone
disable_everywhere()  # nobody watches a daemon's stderr: it is its log file

sys.exit(Workspace().run_scheduler(sys.argv[1] if len(sys.argv) > 1 else None))
