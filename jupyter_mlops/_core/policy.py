"""The workspace policy (``require_approval``, ``require_reproduction``, ``min_approvers``), kept in
the settings table; a change and its audit entry commit together."""

from __future__ import annotations

from dataclasses import dataclass

from . import html
from .collaborators import AuditAppender
from .errors import InvalidInput
from .results import Result

@dataclass(frozen=True)
class Policy(Result):
    require_approval: bool = False
    require_reproduction: bool = False
    min_approvers: int = 1

    title = "workspace policy"


_KEY = "policy"


class PolicyStore:
    def __init__(self, store, audit: AuditAppender):
        self.store = store
        self.audit = audit

    def current(self) -> Policy:
        from .store import orm

        with self.store.read() as s:
            row = s.get(orm.Setting, _KEY)
            return Policy(**row.value) if row else Policy()

    def update(self, require_approval: bool | None = None, require_reproduction: bool | None = None,
               min_approvers: int | None = None) -> Policy:
        """Change the settings given (``None`` leaves one as it is); with none given, the current
        policy."""
        from .store import orm

        changes = {k: v for k, v in (("require_approval", require_approval),
                                     ("require_reproduction", require_reproduction),
                                     ("min_approvers", min_approvers)) if v is not None}
        if "min_approvers" in changes and (not isinstance(min_approvers, int) or min_approvers < 1):
            raise InvalidInput(f"min_approvers must be a whole number >= 1, got {min_approvers!r}.")
        if not changes:
            return self.current()
        with self.store.write() as s:
            row = s.get(orm.Setting, _KEY)
            policy = Policy(**{**(row.value if row else {}), **changes})
            if row is None:
                s.add(orm.Setting(key=_KEY, value=policy.to_dict()))
            else:
                row.value = policy.to_dict()
            self.audit.append(s, "policy", "workspace", changes)
        return policy
