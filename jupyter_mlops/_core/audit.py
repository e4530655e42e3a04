"""Append-only, hash-chained audit log.

Each entry stores the sha256 of the previous entry and its own sha256 over its canonical JSON,
so editing, removing or reordering entries by hand breaks the chain; ``verify()`` names the first
entry where it breaks. The head (last seq and hash) is also kept in ``settings`` so that cutting
entries off the end is seen too. Entries are written in the same transaction as the change they
describe: a change without its entry (or the reverse) cannot be committed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from dataclasses import dataclass

from . import html
from .lineage import actor as default_actor
from .results import Result

@dataclass(frozen=True)
class AuditCheck(Result):
    """The outcome of walking the audit chain."""

    ok: bool
    entries: int
    first_bad_seq: int | None = None
    problem: str | None = None
    head_hash: str | None = None

    def __bool__(self) -> bool:
        return self.ok

    def _repr_html_(self) -> str:
        status = "intact" if self.ok else "broken"
        rows = [("entries", self.entries), ("head", self.head_hash)]
        if not self.ok:
            rows += [("first bad entry", self.first_bad_seq), ("problem", self.problem)]
        return html.card("audit log", html.badge(status), [("", html.kv_table(rows))])

    def __repr__(self) -> str:
        if self.ok:
            return f"<AuditCheck intact: {self.entries} entries>"
        return f"<AuditCheck BROKEN at entry {self.first_bad_seq}: {self.problem}>"


GENESIS = "0" * 64
_HEAD_KEY = "audit_head"


def _canonical(entry: dict) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def entry_hash(seq: int, ts: str, actor: str, action: str, target: str, details: dict, prev_hash: str) -> str:
    body = {"seq": seq, "ts": ts, "actor": actor, "action": action, "target": target,
            "details": details, "prev_hash": prev_hash}
    return hashlib.sha256(_canonical(body)).hexdigest()


class AuditLog:
    def __init__(self, store):
        self.store = store

    def append(self, session, action: str, target: str, details: dict | None = None,
               actor: str | None = None) -> int:
        """Append inside ``session`` (which must come from ``store.write()``). Returns the seq."""
        from sqlalchemy import select

        from .store.orm import AuditEntry, Setting

        details = json.loads(json.dumps(details or {}, default=str))
        last = session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).scalar_one_or_none()
        seq = (last.seq + 1) if last else 1
        prev = last.hash if last else GENESIS
        ts = datetime.now(timezone.utc).isoformat(timespec="microseconds")
        who = actor or default_actor()
        digest = entry_hash(seq, ts, who, action, target, details, prev)
        session.add(AuditEntry(seq=seq, ts=ts, actor=who, action=action, target=target,
                               details=details, prev_hash=prev, hash=digest))
        head = session.get(Setting, _HEAD_KEY)
        if head is None:
            session.add(Setting(key=_HEAD_KEY, value={"seq": seq, "hash": digest}))
        else:
            head.value = {"seq": seq, "hash": digest}
        session.flush()
        return seq

    def record(self, action: str, target: str, details: dict | None = None, actor: str | None = None) -> int:
        """Append in a transaction of its own (for parts whose change is not in the database)."""
        with self.store.write() as session:
            return self.append(session, action, target, details, actor)

    def entries(self, name: str | None = None):
        """Every entry, or those whose target is ``name`` or one of its versions and aliases."""
        import pandas as pd
        from sqlalchemy import or_, select

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
        return pd.DataFrame(rows, columns=["seq", "time", "actor", "action", "target", "details", "hash"])

    def verify(self) -> AuditCheck:
        from sqlalchemy import select

        from .store.orm import AuditEntry, Setting

        with self.store.read() as session:
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
                prev, expected_seq = e.hash, expected_seq + 1
            head = session.get(Setting, _HEAD_KEY)
            if head is not None:
                want = head.value
                if want.get("seq") != expected_seq - 1 or want.get("hash") != (prev if count else None):
                    return AuditCheck(False, count, expected_seq,
                                      f"the log ends at entry {expected_seq - 1} but entry {want.get('seq')} "
                                      "was written: entries were removed from the end")
            elif count:
                return AuditCheck(False, count, None, "the recorded head of the log is missing")
            return AuditCheck(True, count, head_hash=prev if count else None)
