"""Who may make this process run code: signing keys, the keyring of trusted authors, signatures.

A workspace can be shared (PostgreSQL, S3) or simply written by someone else, so nothing read
from it is trusted by being there: a pickle (the fast-load companion, a cloudpickle model), the
list of types a skops artifact may rebuild, an endpoint's config and the audit log's head are
accepted only with an Ed25519 signature by a key this user trusts. The user's own key and the
keyring live outside the workspace, in ``$MLOPS_KEY_DIR`` (default
``$XDG_CONFIG_HOME/jupyter_mlops``, i.e. ``~/.config/jupyter_mlops``), a folder of mode 0700 with
files of mode 0600:

* ``signing-key.pem``   this user's private key, made on first use;
* ``trusted-keys.json`` other authors' public keys this user chose to trust (``mlops trust add``);
* ``checkpoints/``      the last audit head seen for each workspace (see ``audit.py``).

A signature covers a purpose and a canonical JSON document, so a signature made for one thing
(an artifact manifest) is never accepted for another (a config, an audit head).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InvalidInput, UntrustedArtifact
from .results import Result

KEY_FILE = "signing-key.pem"
KEYRING_FILE = "trusted-keys.json"
ALGORITHM = "ed25519"


def key_dir() -> Path:
    explicit = os.environ.get("MLOPS_KEY_DIR")
    if explicit:
        return Path(explicit).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "jupyter_mlops"


def private_folder(path: Path) -> Path:
    """``path`` as a folder only its owner can enter."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Atomically replace ``path`` with ``data``, readable by its owner only."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def open_private(path: Path, mode: str = "ab"):
    """Open ``path`` for appending, creating it readable by its owner only (logs)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    return os.fdopen(os.open(path, flags, 0o600), mode)


def canonical(document: Any) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode()


def key_id_of(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


@dataclass(frozen=True, repr=False)
class TrustedKey(Result):
    """A public key whose signatures this user accepts (``own``: this user's own key)."""

    key_id: str
    public_key: str    # base64 of the raw 32-byte Ed25519 public key
    name: str
    added_at: str
    own: bool = False

    @property
    def title(self) -> str:
        return f"signing key {self.key_id}"

    def __repr__(self) -> str:
        who = "your own key" if self.own else f"trusted as {self.name!r} since {self.added_at}"
        return f"key {self.key_id} ({who}): {self.public_key}"


class Keyring:
    """This user's signing key and the public keys they trust, in ``folder``."""

    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder is not None else key_dir()
        self._private = None
        self._trusted: dict[str, TrustedKey] | None = None
        self._keyring_stamp = None

    # -- this user's key -----------------------------------------------------------------------
    def _private_key(self):
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        if self._private is None:
            path = self.folder / KEY_FILE
            if not path.exists():
                private_folder(self.folder)
                pem = Ed25519PrivateKey.generate().private_bytes(
                    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption())
                try:  # O_EXCL: two kernels making the key at once keep the first one
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, "wb") as fh:
                        fh.write(pem)
                except FileExistsError:
                    pass
            self._private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        return self._private

    def own_public(self) -> bytes:
        from cryptography.hazmat.primitives import serialization

        return self._private_key().public_key().public_bytes(serialization.Encoding.Raw,
                                                            serialization.PublicFormat.Raw)

    def own_key_id(self) -> str:
        return key_id_of(self.own_public())

    def own_key(self) -> TrustedKey:
        """This user's public key, to give to whoever should trust what this user signs."""
        return self.trusted()[self.own_key_id()]

    def listing(self):
        """This user's key and every trusted key, as a DataFrame."""
        import pandas as pd

        return pd.DataFrame([k.to_dict() for k in self.trusted().values()],
                            columns=["key_id", "name", "own", "added_at", "public_key"])

    def sign(self, purpose: str, document: Any, author: str) -> dict:
        """A signature record for ``document`` made for ``purpose`` with this user's key."""
        signature = self._private_key().sign(canonical({"purpose": purpose, "document": document}))
        return {"alg": ALGORITHM, "key_id": self.own_key_id(), "author": author,
                "public_key": base64.b64encode(self.own_public()).decode(),
                "signature": base64.b64encode(signature).decode()}

    # -- trusted keys ----------------------------------------------------------------------------
    def trusted(self) -> dict[str, TrustedKey]:
        path = self.folder / KEYRING_FILE
        try:  # another process (``mlops trust add``) may have changed it since it was read
            st = path.stat()
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            stamp = None
        if self._trusted is None or stamp != self._keyring_stamp:
            self._keyring_stamp = stamp
            try:
                entries = json.loads(path.read_text())
            except FileNotFoundError:
                entries = []
            except ValueError as exc:
                raise InvalidInput(f"The keyring {path} is not valid JSON ({exc}).",
                                   hint="Fix or remove the file, then trust the authors again.") from None
            keys = {e["key_id"]: TrustedKey(**{**e, "own": False}) for e in entries}
            own = self.own_public()
            keys[key_id_of(own)] = TrustedKey(key_id_of(own), base64.b64encode(own).decode(),
                                              "this user", "", own=True)
            self._trusted = keys
        return self._trusted

    def add(self, public_key: str, name: str) -> TrustedKey:
        """Trust ``public_key`` (base64 of the raw Ed25519 key, as ``mlops trust key`` prints it)."""
        try:
            raw = base64.b64decode(public_key.strip(), validate=True)
        except (ValueError, AttributeError):
            raw = b""
        if len(raw) != 32:
            raise InvalidInput(f"{public_key!r} is not an Ed25519 public key.",
                               hint="Ask its owner for the line `mlops trust key` prints.")
        entry = TrustedKey(key_id_of(raw), base64.b64encode(raw).decode(), name,
                           dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
        self._save({**{k: v for k, v in self.trusted().items() if not v.own}, entry.key_id: entry})
        return entry

    def remove(self, key_id: str) -> TrustedKey:
        keys = {k: v for k, v in self.trusted().items() if not v.own}
        if key_id not in keys:
            raise InvalidInput(f"No trusted key {key_id!r}.", candidates=keys, wanted=key_id)
        removed = keys.pop(key_id)
        self._save(keys)
        return removed

    def _save(self, keys: dict[str, TrustedKey]) -> None:
        private_folder(self.folder)
        entries = [{"key_id": k.key_id, "public_key": k.public_key, "name": k.name, "added_at": k.added_at}
                   for k in keys.values()]
        write_private(self.folder / KEYRING_FILE, json.dumps(entries, indent=1).encode())
        self._trusted = None

    # -- verifying ------------------------------------------------------------------------------
    def check(self, purpose: str, document: Any, record: dict | None) -> str | None:
        """Why ``record`` does not prove that a trusted author made ``document`` for ``purpose``,
        or None when it does."""
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        if not record:
            return "it is not signed"
        key = self.trusted().get(record.get("key_id"))
        if key is None:
            return (f"it is signed by {record.get('author') or 'someone'} with key {record.get('key_id')}, "
                    "which you do not trust")
        try:
            Ed25519PublicKey.from_public_bytes(base64.b64decode(key.public_key)).verify(
                base64.b64decode(record.get("signature", "")),
                canonical({"purpose": purpose, "document": document}))
        except (InvalidSignature, ValueError):
            return f"its signature by key {key.key_id} ({key.name}) does not match its content"
        return None

    def require(self, purpose: str, document: Any, record: dict | None, what: str) -> None:
        problem = self.check(purpose, document, record)
        if problem is not None:
            key = (record or {}).get("public_key")
            hint = (f"If you trust its author, run: mlops trust add {key} --name NAME" if key and "do not trust" in problem
                    else "Register it again from a trusted kernel, or restore the workspace from a backup.")
            raise UntrustedArtifact(f"{what} is refused: {problem}.", hint=hint)


_KEYRINGS: dict[Path, Keyring] = {}


def keyring() -> Keyring:
    """The keyring of ``$MLOPS_KEY_DIR`` (one per folder per process: keys are read once)."""
    folder = key_dir()
    ring = _KEYRINGS.get(folder)
    if ring is None:
        ring = _KEYRINGS[folder] = Keyring(folder)
    return ring
