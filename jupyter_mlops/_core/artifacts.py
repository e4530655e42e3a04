"""Content-addressed artifact store on fsspec.

Every artifact is stored under its sha256 (``sha256/ab/abcdef…``). Writes are atomic: a local
file is written to a temporary name in the same folder, fsynced and renamed; an object store
(``s3://…``) gets one put. Every read checks the sha256 again, so a changed or truncated file is
refused with an error that names the file and both hashes.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from .errors import ArtifactError, ArtifactIntegrityError, ArtifactNotFound, InvalidInput

_HEX = set("0123456789abcdef")


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ArtifactStore:
    def __init__(self, url: str, storage_options: dict | None = None):
        import fsspec

        self.url = url.rstrip("/")
        self.fs, self.root = fsspec.core.url_to_fs(self.url, **(storage_options or {}))
        self.is_local = self.fs.protocol in ("file", ("file", "local")) or "file" in (
            self.fs.protocol if isinstance(self.fs.protocol, tuple) else (self.fs.protocol,)
        )
        if self.is_local:
            Path(self.root).mkdir(parents=True, exist_ok=True)

    def _key(self, sha256: str) -> str:
        if len(sha256) != 64 or not set(sha256) <= _HEX:
            raise InvalidInput(f"{sha256!r} is not a sha256 hex digest.")
        return f"{self.root}/sha256/{sha256[:2]}/{sha256}"

    def location(self, sha256: str) -> str:
        """A human-readable location of the artifact (path or URL)."""
        key = self._key(sha256)
        return key if self.is_local else self.fs.unstrip_protocol(key)

    def local_path(self, sha256: str) -> Path | None:
        return Path(self._key(sha256)) if self.is_local else None

    def exists(self, sha256: str) -> bool:
        return self.fs.exists(self._key(sha256))

    def put_bytes(self, data: bytes) -> str:
        """Store ``data``; returns its sha256. Storing the same bytes again is a no-op."""
        digest = sha256_bytes(data)
        key = self._key(digest)
        try:
            if self.fs.exists(key) and self.fs.size(key) == len(data):
                return digest
            if self.is_local:
                self._atomic_local_write(Path(key), data)
            else:
                self.fs.pipe_file(key, data)
        except OSError as exc:
            raise ArtifactError(f"Could not write artifact {digest[:12]} to {self.url}: {exc}") from exc
        return digest

    @staticmethod
    def _atomic_local_write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise

    def get_bytes(self, sha256: str) -> bytes:
        """The artifact's bytes, after checking they still hash to ``sha256``."""
        key = self._key(sha256)
        try:
            data = self.fs.cat_file(key)
        except FileNotFoundError:
            raise ArtifactNotFound(
                f"The artifact {self.location(sha256)} is missing from the artifact store.",
                hint="It was deleted or the workspace points at another artifact store (MLOPS_ARTIFACTS).",
            ) from None
        actual = sha256_bytes(data)
        if actual != sha256:
            raise ArtifactIntegrityError(
                f"The artifact {self.location(sha256)} was changed after it was stored: expected "
                f"sha256 {sha256}, found {actual}. It is refused.",
                hint="Restore the original file or register the model again.",
            )
        return data

    def remove_stale_temporaries(self, older_than_s: float = 3600) -> int:
        """Delete temporary files left by writers that were killed mid-write."""
        if not self.is_local:
            return 0
        import time

        removed = 0
        cutoff = time.time() - older_than_s
        for tmp in Path(self.root).glob("sha256/*/.tmp-*"):
            try:
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
        return removed
