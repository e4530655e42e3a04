"""Waiting for an endpoint's workers to acknowledge a config generation.

Every worker reports in ``workers/<index>.json`` the generation it serves, or the generation it
refused and why (a version that would not load, whose hash did not match, or that failed its
smoke test on the registered sample). A change is in effect once every worker serves it.
"""

from __future__ import annotations

import time
from typing import Callable

from ...errors import DeployError
from ..contract import ConfigFile, EndpointPaths, read_json

POLL_SECONDS = 0.03


def wait_for_generation(paths: EndpointPaths, generation: int, timeout: float,
                        alive: Callable[[], bool]) -> str | None:
    """None once every worker serves ``generation``; the reason a worker gives for refusing it.
    Raises ``DeployError`` if the endpoint dies or does not answer within ``timeout`` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        expected = ConfigFile(paths.config).read().workers
        reports = [read_json(paths.worker_report(i)) for i in range(expected)]
        for report in reports:
            if report and report.get("error_generation") == generation:
                return report["error"]
        # a serverless worker released for lack of traffic reads the newest config when it returns
        if all(report and ((report.get("generation") or 0) >= generation or report.get("released"))
               for report in reports):
            return None
        if not alive():
            raise DeployError(f"Endpoint {paths.name!r} is not running.")
        time.sleep(POLL_SECONDS)
    raise DeployError(f"Endpoint {paths.name!r} did not apply the change within {timeout:g} s.")
