"""``python -m jupyter_mlops._core.scheduler``: run the scheduler daemon of the workspace named by
the environment (``MLOPS_HOME``, ``MLOPS_DB_URL``, ``MLOPS_ARTIFACTS``). ``control.start`` runs this
detached; run it in the foreground under systemd or in a container."""

import sys

from .daemon import main

sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
