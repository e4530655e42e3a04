"""Append-only, hash-chained audit log with signed checkpoints.

Each entry stores the sha256 of the previous entry and its own sha256 over its canonical JSON,
so editing, removing or reordering entries by hand breaks the chain; ``verify()`` names the first
entry where it breaks. Entries are written in the same transaction as the change they describe: a
change without its entry (or the reverse) cannot be committed.

A chain alone has no secret: whoever can write the database can edit an entry and recompute every
hash after it. So the head (last seq and hash) is kept in ``settings`` *signed* by the key of the
user who appended (``trust.py``), and each user's process also keeps the last head it wrote or
verified in a checkpoint file outside the workspace (``<key dir>/checkpoints/``). ``verify()``
then also sees a recomputed chain (the head's signature fails, or is made with a key this user does
not trust; or the checkpointed entry's hash changed), a truncated log, and a database that was
replaced or emptied (it holds fewer entries than this user's checkpoint). ``anchor()`` signs the
current head and returns it for an outside witness (a commit message, a ticket).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from . import html
from .lineage import actor as default_actor
from .results import Result

GENESIS = "0" * 64
_HEAD_KEY = "audit_head"
HEAD_SIGNATURE = "audit-head"


@dataclass(frozen=True)
class AuditCheck(Result):
    """The outcome of walking the audit chain."""

    ok: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str | None = None
    head_hash: str | None = None
    #: who signed the head (author and key id), when it verified
    signed_by: str | None = None
    #: the entry this machine's checkpoint pinned, when there is one
    checkpoint_seq: int | None = None

    def __bool__(self) -> bool:
        return self.ok

    def _repr_html_(self) -> str:
        status = "intact" if self.ok else "broken"
        rows = [("entries", self.entries), ("head", self.head_hash), ("head signed by", self.signed_by),
                ("checkpoint", self.checkpoint_seq)]
        if not self.ok:
            rows += [("first bad entry", self.first_bad_seq), ("problem", self.problem)]
        return html.card("audit log", html.badge(status), [("", html.kv_table(rows))])

    def __repr__(self) -> str:
        if self.ok:
            return f"<AuditCheck intact: {self.entries} entries>"
        return f"<AuditCheck BROKEN at entry {self.first_bad_seq}: {self.problem}>"


@dataclass(frozen=True, repr=False)
class AuditAnchor(Result):
    """The signed head of the audit chain, for a witness outside the workspace."""

    workspace: str
    seq: int
    hash: str
    signed_by: str
    key_id: str
    signature: str
    at: str

    @property
    def title(self) -> str:
        return "audit anchor"

    def __repr__(self) -> str:
        return (f"audit head of {self.workspace}: entry {self.seq} sha256 {self.hash}, signed by "
                f"{self.signed_by} (key {self.key_id}) at {self.at}")


def _canonical(entry: dict) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def entry_hash(seq: int, ts: str, actor: str, action: str, target: str, details: dict, prev_hash: str) -> str:
    body = {"seq": seq, "ts": ts, "actor": actor, "action": action, "target": target,
            "details": details, "prev_hash": prev_hash}
    return hashlib.sha256(_canonical(body)).hexdigest()


class AuditLog:
    def __init__(self, store):
        self.store = store
        self.checkpoints = Checkpoints(store.url)

    def append(self, session, action: str, target: str, details: dict | None = None,
               actor: str | None = None) -> int:
        """Append inside ``session`` (which must come from ``store.write()``). Returns the seq."""
        from sqlalchemy import select

        from .store.orm import AuditEntry

        details = json.loads(json.dumps(details or {}, default=str))
        last = session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar_one_or_none()
        seq = (last.seq + 1) if last else 1
        prev = last.hash if last else GENESIS
        ts = dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")
        who = actor or default_actor()
        digest = entry_hash(seq, ts, who, action, target, details, prev)
        session.add(AuditEntry(seq=seq, ts=ts, actor=who, action=action, target=target,
                               details=details, prev_hash=prev, hash=digest))
        self._sign_head(session, seq, digest)
        session.flush()
        return seq

    def _sign_head(self, session, seq: int, digest: str) -> dict:
        """Keep the signed head in the same transaction; checkpoint it once that commits."""
        from sqlalchemy import event

        from .store.orm import Setting
        from .trust import keyring

        head = {"seq": seq, "hash": digest}
        value = {**head, "signature": keyring().sign(HEAD_SIGNATURE, head, default_actor())}
        row = session.get(Setting, _HEAD_KEY)
        if row is None:
            session.add(Setting(key=_HEAD_KEY, value=value))
        else:
            row.value = value
        if not session.info.get("mlops.checkpoint"):
            event.listen(session, "after_commit", lambda s: self.checkpoints.save(s.info.pop("mlops.checkpoint")))
        session.info["mlops.checkpoint"] = value
        return value

    def record(self, action: str, target: str, details: dict | None = None, actor: str | None = None) -> int:
        """Append in a transaction of its own (for parts whose change is not in the database)."""
        with self.store.write() as session:
            return self.append(session, action, target, details, actor)

    def entries(self, name: str | None = None):
        """Every entry, or those whose target is ``name`` or one of its versions and aliases."""
        import pandas as pd
        from sqlalchemy import or_, select

        from .listing_frame import listing
        from .store.orm import AuditEntry

        with self.store.read() as session:
            q = select(AuditEntry).order_by(AuditEntry.seq)
            if name:
                q = q.where(or_(AuditEntry.target == name,
                                AuditEntry.target.like(f"{name}:%"),
                                AuditEntry.target.like(f"{name}@%")))
            rows = [
                {"seq": e.seq, "time": pd.Timestamp(e.ts), "actor": e.actor, "action": e.action,
                 "target": e.target, "details": e.details, "hash": e.hash[:12]}
                for e in session.execute(q).scalars()
            ]
        return listing("audit", pd.DataFrame(rows, columns=["seq", "time", "actor", "action", "target", "details",
                                                            "hash"]))

    # -- verifying ------------------------------------------------------------------------------
    def verify(self) -> AuditCheck:
        """Walk the chain, then check the signed head and this machine's checkpoint against it."""
        from sqlalchemy import select

        from .store.orm import AuditEntry, Setting

        with self.store.read() as session:
            hashes: dict[int, str] = {}
            prev, expected_seq, count = GENESIS, 1, 0
            for e in session.execute(select(AuditEntry).order_by(AuditEntry.seq)).scalars():
                count += 1
                if e.seq != expected_seq:
                    return AuditCheck(False, count, expected_seq,
                                      f"entry {expected_seq} is missing (the next one is {e.seq}): it was removed")
                if e.prev_hash != prev:
                    return AuditCheck(False, count, e.seq,
                                      f"entry {e.seq} does not follow entry {e.seq - 1}: an earlier entry was "
                                      "altered or removed")
                actual = entry_hash(e.seq, e.ts, e.actor, e.action, e.target, e.details, e.prev_hash)
                if actual != e.hash:
                    return AuditCheck(False, count, e.seq, f"entry {e.seq} ({e.action} {e.target}) was altered")
                hashes[e.seq] = e.hash
                prev, expected_seq = e.hash, expected_seq + 1
            head = session.get(Setting, _HEAD_KEY)
            head = dict(head.value) if head is not None else None
        return self._check_head(head, hashes, count, prev)

    def _check_head(self, head: dict | None, hashes: dict[int, str], count: int, last: str) -> AuditCheck:
        from .trust import keyring

        checkpoint = self.checkpoints.load()
        pinned = checkpoint.get("seq") if checkpoint else None
        broken = lambda seq, problem: AuditCheck(False, count, seq, problem, checkpoint_seq=pinned)  # noqa: E731
        if head is not None and (head.get("seq") != count or head.get("hash") != (last if count else None)):
            return broken(count + 1, f"the log ends at entry {count} but entry {head.get('seq')} was written: "
                                     "entries were removed from the end")
        if checkpoint and hashes.get(pinned) != checkpoint.get("hash"):
            if pinned > count:
                return broken(count + 1, f"the database holds {count} audit entries, but this machine saw entry "
                                         f"{pinned} on {checkpoint.get('at')}: the log was cut, or the database "
                                         "was replaced or emptied (if you started this workspace over on purpose, "
                                         f"remove {self.checkpoints.path()})")
            return broken(pinned, f"entry {pinned} is not the one this machine saw on {checkpoint.get('at')}: "
                                  "the chain was recomputed from there or earlier")
        if head is None:
            return AuditCheck(True, 0, checkpoint_seq=pinned) if not count else \
                broken(None, "the recorded head of the log is missing")
        problem = keyring().check(HEAD_SIGNATURE, {"seq": head["seq"], "hash": head["hash"]}, head.get("signature"))
        if problem is not None:
            return broken(count, f"the recorded head (entry {count}) cannot be trusted: {problem}. If this log "
                                 "was written before signed heads, check it and anchor it with ws.audit_anchor()")
        signature = head["signature"]
        if not checkpoint or pinned < head["seq"]:
            self.checkpoints.save(head)
        return AuditCheck(True, count, head_hash=last, signed_by=f"{signature['author']} ({signature['key_id']})",
                          checkpoint_seq=pinned)

    def anchor(self) -> AuditAnchor:
        """Sign the current head with this user's key (after the chain itself checks out) and
        return it for an outside witness."""
        from .errors import AuditError
        from .store.orm import Setting

        check = self.verify()
        if not check.ok and "cannot be trusted" not in (check.problem or ""):
            raise AuditError(f"The audit log is broken, so it is not anchored: {check.problem}",
                             hint="ws.verify_audit() names the entry; restore the database from a backup.")
        with self.store.write() as session:
            row = session.get(Setting, _HEAD_KEY)
            if row is None:
                raise AuditError("The audit log is empty: there is no head to anchor yet.")
            value = self._sign_head(session, row.value["seq"], row.value["hash"])
        sig = value["signature"]
        return AuditAnchor(self.checkpoints.workspace, value["seq"], value["hash"], sig["author"], sig["key_id"],
                           sig["signature"], dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))


class Checkpoints:
    """This user's last trusted head of one workspace's log, kept outside the workspace."""

    def __init__(self, url: str):
        from sqlalchemy.engine import make_url

        self.workspace = make_url(url).render_as_string(hide_password=True)
        self.name = hashlib.sha256(self.workspace.encode()).hexdigest()[:24] + ".json"

    def path(self):
        from .trust import key_dir

        return key_dir() / "checkpoints" / self.name

    def load(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path().read_text())
        except (OSError, ValueError):
            return None

    def save(self, head: dict) -> None:
        from .trust import private_folder, write_private

        path = self.path()
        private_folder(path.parent)
        write_private(path, json.dumps({"workspace": self.workspace, "seq": head["seq"], "hash": head["hash"],
                                        "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")},
                                       indent=1).encode())
