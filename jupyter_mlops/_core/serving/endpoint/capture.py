"""Data capture, written off the request path: the request handler only puts a tuple on a queue;
a writer thread encodes SageMaker's capture records (``inference/capture_format.py``) and appends
them to ``<capture dir>/<variant>/yyyy/mm/dd/hh/<mm>-<ss>-<writer>.jsonl`` about five times a
second and on shutdown.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

from ..inference.capture_format import encode_part


def _event_id() -> str:
    """A random (version 4) UUID string, without uuid4()'s syscall per call."""
    h = f"{random.getrandbits(128) & ~(0xF000 << 64) & ~(0xC << 60) | (0x4000 << 64) | (0x8 << 60):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class CaptureWriter:
    def __init__(self, directory: Path | str, worker: int = 0, flush_seconds: float = 0.2):
        self.directory = Path(directory)
        self.worker = worker
        self.flush_seconds = flush_seconds
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self._files: dict[tuple[str, str], Any] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mlops-capture", daemon=True)
        self._tag = f"{os.getpid()}-{worker}-{uuid.uuid4().hex[:8]}"
        self.written = 0
        self._second = None
        self._prefix = self._hour = self._minute_second = ""

    def start(self) -> "CaptureWriter":
        self._thread.start()
        return self

    def put(self, variant: str, in_type: str, in_data: bytes, out_type: str, out_data: bytes,
            inference_id: str | None) -> None:
        self.queue.put((variant, time.time(), in_type, in_data, out_type, out_data, inference_id))

    def _run(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            self._drain()
        self._drain()
        for fh in self._files.values():
            fh.close()

    def _drain(self) -> None:
        touched = set()
        n = 0
        encoded: dict[tuple[str, bytes], dict] = {}
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                break
            variant, t, in_type, in_data, out_type, out_data, inference_id = item
            second = int(t)
            if second != self._second:  # the folder and time prefix change once a second
                self._second = second
                stamp = dt.datetime.fromtimestamp(second, dt.timezone.utc)
                self._prefix = stamp.strftime("%Y-%m-%dT%H:%M:%S")
                self._hour = stamp.strftime("%Y/%m/%d/%H")
                self._minute_second = stamp.strftime("%M-%S")
            meta = {"eventId": _event_id(),
                    "inferenceTime": f"{self._prefix}.{int((t - second) * 1000):03d}Z"}
            if inference_id:
                meta["inferenceId"] = inference_id
            out_key = (out_type, out_data)
            out = encoded.get(out_key)  # identical answers (e.g. class labels) encode once
            if out is None:
                out = encoded[out_key] = {**encode_part(out_type, out_data), "mode": "OUTPUT"}
            record = {"captureData": {
                "endpointInput": {**encode_part(in_type, in_data), "mode": "INPUT"},
                "endpointOutput": out},
                "eventMetadata": meta, "eventVersion": "0"}
            fh = self._file(variant)
            fh.write(orjson.dumps(record) + b"\n")
            touched.add(fh)
            self.written += 1
            n += 1
            if n % 256 == 0:
                time.sleep(0)  # let the event loop thread take the GIL between short batches
                if len(encoded) > 1024:
                    encoded.clear()
        for fh in touched:
            fh.flush()

    def _file(self, variant: str):
        key = (variant, self._hour)
        fh = self._files.get(key)
        if fh is None:
            for old in [k for k in self._files if k[0] == variant]:
                self._files.pop(old).close()
            folder = self.directory / variant / self._hour
            folder.mkdir(parents=True, exist_ok=True)
            fh = self._files[key] = open(folder / f"{self._minute_second}-{self._tag}.jsonl", "ab")
        return fh

    def close(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)


# -- reading back ----------------------------------------------------------------------------
