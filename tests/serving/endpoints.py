"""Test helpers: fitted models saved as variant specs, and endpoint processes started from a
config file and always stopped by pid."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from jupyter_mlops._core.modelio import dump_model
from jupyter_mlops._core.serving.contract import SERVER_MODULE, ConfigFile, EndpointConfig
from jupyter_mlops._core.signature import infer_signature


def variant_spec(folder: Path, model, X, y=None, *, name: str, model_name: str = "churn",
                 version: int = 1, weight: float = 100.0, role: str = "production",
                 sample_rows: int = 5) -> dict:
    payload, fmt = dump_model(model)
    sha = hashlib.sha256(payload).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{sha}.bin"
    path.write_bytes(payload)
    sig = infer_signature(X, y, model)
    head = X.head(sample_rows).to_numpy().tolist() if hasattr(X, "head") else X[:sample_rows].tolist()
    return {"name": name, "model": model_name, "version": version, "ref": f"{model_name}:{version}",
            "artifact_path": str(path), "sha256": sha, "format": fmt, "signature": sig,
            "weight": weight, "role": role, "sample": {"data": head}}


@dataclass
class RunningEndpoint:
    name: str
    url: str
    port: int
    proc: subprocess.Popen
    config_file: Path
    log: Path

    def stop(self, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def new_config(name: str, home: Path, **settings) -> dict:
    """The JSON document of a new endpoint's config, as the kernel would write it."""
    return EndpointConfig.new(name, home, **settings).to_dict()


def write_config(path: Path, config: dict) -> None:
    ConfigFile(path).write(EndpointConfig.from_dict(config))


def start_endpoint(home: Path, name: str, variants: list[dict], *, workers: int = 1,
                   token_sha256: str | None = None, capture_percent: float = 0,
                   max_payload_bytes: int = 6 * 1024 * 1024, **extra) -> RunningEndpoint:
    config = new_config(name, home, token_sha256=token_sha256, capture_percent=capture_percent,
                        max_payload_bytes=max_payload_bytes, workers=workers)
    config["variants"] = variants
    config["generation"] = 1
    config.update(extra)
    folder = home / "endpoints" / name
    config_file = folder / "config.json"
    write_config(config_file, config)
    log = folder / "log"
    with open(log, "ab") as fh:
        proc = subprocess.Popen([sys.executable, "-m", SERVER_MODULE,
                                 "--config", str(config_file)], stdout=fh, stderr=subprocess.STDOUT,
                                env={**os.environ, "MLOPS_HOME": str(home)})
    deadline = time.time() + 60
    server = folder / "server.json"
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"endpoint died: {log.read_text()[-3000:]}")
        if server.exists():
            info = json.loads(server.read_text())
            try:
                if httpx.get(info["url"] + "/ping", timeout=2).status_code == 200:
                    return RunningEndpoint(name, info["url"], info["port"], proc, config_file, log)
            except httpx.HTTPError:
                pass
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"endpoint did not become healthy: {log.read_text()[-3000:]}")
