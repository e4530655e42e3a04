"""Data capture with a durability bound: every record is written and flushed to the operating
system (where a SIGKILL of the endpoint cannot lose it; a power cut can, as nothing is fsynced)
within ``MAX_DELAY_S`` of its answer (the writer thread's period, CPU permitting) or as soon as
``MAX_RECORDS`` records wait, whichever comes first. The record bound holds at any load: a SIGKILL
loses at most ``MAX_RECORDS`` records per worker, plus the request being answered at that instant.

The request handler appends a tuple to a deque; the writer thread encodes SageMaker's capture
records (``inference/capture_format.py``) and appends them to
``<capture dir>/<variant>/yyyy/mm/dd/hh/<mm>-<ss>-<writer>.jsonl`` every ``MAX_DELAY_S``. When the
records not yet written reach ``MAX_RECORDS`` (traffic faster than the thread's period), the
request that finds it so writes them itself: back-pressure instead of a backlog that a kill loses.
The work per record is the same either way (one GIL), so the bound costs no throughput
(``benchmarks/capture.py``).
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import random
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import orjson

from ..inference.capture_format import encode_part

MAX_DELAY_S = 0.05
MAX_RECORDS = 64


def _event_id() -> str:
    """A random (version 4) UUID string, without uuid4()'s syscall per call."""
    h = f"{random.getrandbits(128) & ~(0xF000 << 64) & ~(0xC << 60) | (0x4000 << 64) | (0x8 << 60):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class CaptureWriter:
    def __init__(self, directory: Path | str, worker: int = 0, max_delay: float = MAX_DELAY_S,
                 max_records: int = MAX_RECORDS):
        self.directory = Path(directory)
        self.worker = worker
        self.max_delay = max_delay
        self.max_records = max_records
        self._pending: collections.deque = collections.deque()  # appends and pops are atomic
        self._in_batch = 0                     # records taken off _pending, not yet written
        self._writing = threading.Lock()       # one batch at a time: file order, open files
        self._files: dict[tuple[str, str], Any] = {}
        self._outputs: dict[tuple[str, bytes], dict] = {}
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
        self._pending.append((variant, time.time(), in_type, in_data, out_type, out_data,
                              inference_id))
        if len(self._pending) + self._in_batch >= self.max_records:
            self.flush()

    def flush(self) -> None:
        """Write every pending record and flush the files to the OS."""
        with self._writing:
            take = self._pending.popleft
            batch = [take() for _ in range(len(self._pending))]
            self._in_batch = len(batch)
            try:
                if batch:
                    self._write(batch)
            finally:
                self._in_batch = 0

    def _run(self) -> None:
        while not self._stop.wait(self.max_delay):
            try:
                self.flush()
            except Exception as exc:  # a full disk: say so, keep serving, try again
                print(f"endpoint: data capture failed: {type(exc).__name__}: {exc}", flush=True)
        self.flush()
        for fh in self._files.values():
            fh.close()

    def _write(self, batch: list[tuple]) -> None:
        touched = set()
        outputs = self._outputs
        if len(outputs) > 1024:
            outputs.clear()
        for variant, t, in_type, in_data, out_type, out_data, inference_id in batch:
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
            out = outputs.get(out_key)  # identical answers (e.g. class labels) encode once
            if out is None:
                out = outputs[out_key] = {**encode_part(out_type, out_data), "mode": "OUTPUT"}
            record = {"captureData": {
                "endpointInput": {**encode_part(in_type, in_data), "mode": "INPUT"},
                "endpointOutput": out},
                "eventMetadata": meta, "eventVersion": "0"}
            fh = self._file(variant)
            fh.write(orjson.dumps(record) + b"\n")
            touched.add(fh)
        for fh in touched:
            fh.flush()
        self.written += len(batch)

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
