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


def fire(url: str, body: bytes, n: int, *, content_type: str = "application/json",
         concurrency: int = 16, kill_pid: int | None = None, kill_after: int | None = None
         ) -> set[str]:
    """Send ``n`` requests as fast as one client process can (keep-alive connections, raw
    HTTP/1.1 on asyncio streams: several times httpx's rate), each with its own InferenceId;
    returns the ids answered 200. With ``kill_pid``, SIGKILLs that process once ``kill_after``
    answers arrived, in the middle of the load; the connections it cut end the run."""
    import asyncio
    import re
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    answered: set[str] = set()
    todo = iter(range(n))

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            for i in todo:
                rid = f"req-{i}"
                writer.write(f"POST /invocations HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                             f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                             f"X-Amzn-SageMaker-Inference-Id: {rid}\r\n\r\n".encode() + body)
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
                await reader.readexactly(int(length.group(1)) if length else 0)
                if head[9:12] == b"200":
                    answered.add(rid)
                if kill_pid is not None and len(answered) == kill_after:
                    os.kill(kill_pid, signal.SIGKILL)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the endpoint was killed
        finally:
            writer.close()

    async def main() -> None:
        await asyncio.gather(*(connection() for _ in range(concurrency)))

    asyncio.run(main())
    return answered


def wait_dead(pid: int, timeout: float = 10.0) -> bool:
    """True once ``pid`` is gone or a zombie (a killed child nobody reaped yet)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.02)
    return False


def wait_until(cond, timeout: float = 20.0, every: float = 0.1) -> bool:
    """Poll ``cond`` until it is true (True) or ``timeout`` passes (False)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(every)
    return False
