"""Alerts of scheduled jobs: the report saved under ``<home>/reports/<schedule>/``, an ``alert``
entry in the audit log, and an optional webhook POST (JSON, stdlib ``urllib`` with a timeout, so
a slow or dead receiver cannot stall the scheduler)."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

WEBHOOK_TIMEOUT = 10.0


def report_path(home: Path, schedule_id: str, when: dt.datetime) -> Path:
    """``<home>/reports/<schedule>/<UTC time>.html``; never overwrites an earlier report."""
    folder = Path(home) / "reports" / schedule_id
    stem = when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H-%M-%S.%fZ")
    path, n = folder / f"{stem}.html", 1
    while path.exists():
        path, n = folder / f"{stem}-{n}.html", n + 1
    return path


def save_report(report: Any, path: Path) -> dict[str, str]:
    html_path = Path(report.save(path))
    return {"html": str(html_path), "json": str(html_path.with_suffix(".json"))}


def post_webhook(url: str, payload: dict, timeout: float = WEBHOOK_TIMEOUT) -> dict:
    """POST ``payload`` as JSON. Returns what happened (for the run's result); never raises, since a
    receiver being down must not turn a recorded alert into a failed run."""
    body = json.dumps(payload, default=str).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "User-Agent": "jupyter_mlops-scheduler"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - the user's own URL
            return {"url": url, "ok": 200 <= response.status < 300, "status": response.status}
    except urllib.error.HTTPError as exc:
        return {"url": url, "ok": False, "status": exc.code, "error": f"HTTP {exc.code} {exc.reason}"}
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return {"url": url, "ok": False, "error": f"{type(exc).__name__}: {reason}"}
