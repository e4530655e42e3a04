"""The endpoint's config file: the one source of truth shared by the kernel and the endpoint.

Writers (the kernel's deploy/traffic/rollback, the endpoint's rollout controller) do a
read-modify-write under an exclusive ``flock`` on ``config.lock`` and replace the file atomically,
bumping ``generation``; every endpoint worker polls the file's mtime and applies new generations.
Each worker acknowledges in ``workers/<index>.json`` (generation applied, or the error that made
it refuse the new generation) together with its metric snapshot.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path
from typing import Any, Iterator

DEFAULT_MAX_PAYLOAD = 6 * 1024 * 1024
DEFAULT_REQUEST_TIMEOUT = 60.0


def endpoint_dir(home: Path | str, name: str) -> Path:
    return Path(home) / "endpoints" / name


def config_path(home: Path | str, name: str) -> Path:
    return endpoint_dir(home, name) / "config.json"


def new_config(name: str, home: Path | str, *, token_sha256: str | None = None,
               max_payload_bytes: int = DEFAULT_MAX_PAYLOAD,
               request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT,
               capture_percent: float = 0.0, workers: int = 1) -> dict[str, Any]:
    return {
        "name": name,
        "home": str(home),
        "generation": 0,
        "token_sha256": token_sha256,
        "max_payload_bytes": int(max_payload_bytes),
        "request_timeout_s": float(request_timeout_s),
        "capture": {"percent": float(capture_percent),
                    "dir": str(Path(home) / "capture" / name)},
        "workers": int(workers),
        "variants": [],
        "rollout": None,
        "history": [],
        "status": "starting",
        "status_reason": None,
    }


def read_config(path: Path | str) -> dict[str, Any]:
    with open(path, "rb") as fh:
        return json.loads(fh.read())


def write_config(path: Path | str, config: dict[str, Any]) -> None:
    """Atomically replace the file (readers never see half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(config, indent=1, default=str))
    os.replace(tmp, path)


@contextlib.contextmanager
def locked(path: Path | str) -> Iterator[None]:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name("config.lock"), "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextlib.contextmanager
def updating(path: Path | str) -> Iterator[dict[str, Any]]:
    """Read-modify-write the config under the lock; the new generation is written on exit."""
    with locked(path):
        config = read_config(path)
        yield config
        config["generation"] = int(config.get("generation", 0)) + 1
        config["updated_at"] = time.time()
        write_config(path, config)


def production_weights(config: dict[str, Any]) -> dict[str, float]:
    return {v["name"]: float(v.get("weight", 0.0)) for v in config["variants"]
            if v.get("role", "production") == "production"}


def snapshot_variants(config: dict[str, Any]) -> list[dict[str, Any]]:
    """A copy of the variants, pushed onto ``history`` before a change so rollback can restore it."""
    return json.loads(json.dumps(config["variants"]))


def push_history(config: dict[str, Any], reason: str, limit: int = 10) -> None:
    config.setdefault("history", []).append(
        {"at": time.time(), "reason": reason, "variants": snapshot_variants(config)})
    del config["history"][:-limit]
