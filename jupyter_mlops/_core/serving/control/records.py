"""The endpoints table of the metadata store: which endpoints exist, their process (pid, port,
url) and the last status the kernel saw. Live status always comes from the process itself; the
row is what outlives it (a stopped endpoint, a failed start and its reason)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...errors import EndpointNotFound


@dataclass
class EndpointRecord:
    name: str
    status: str
    pid: int | None = None
    port: int | None = None
    url: str | None = None
    spec: dict[str, Any] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)


class EndpointRecords:
    def __init__(self, store):
        self.store = store

    def get(self, name: str) -> EndpointRecord | None:
        from ...store import orm

        with self.store.read() as s:
            row = s.get(orm.Endpoint, name)
            if row is None:
                return None
            return EndpointRecord(row.name, row.status, row.pid, row.port, row.url,
                                  dict(row.spec or {}), dict(row.state or {}))

    def save(self, name: str, **fields) -> EndpointRecord:
        from ...store import orm
        from ...store.orm import utcnow

        with self.store.write() as s:
            row = s.get(orm.Endpoint, name)
            if row is None:
                row = orm.Endpoint(name=name, status=fields.get("status", "starting"), spec={}, state={})
                s.add(row)
            for k, v in fields.items():
                setattr(row, k, v)
            row.updated_at = utcnow()
            return EndpointRecord(row.name, row.status, row.pid, row.port, row.url,
                                  dict(row.spec or {}), dict(row.state or {}))

    def all(self) -> list[EndpointRecord]:
        """Every endpoint's row, by name, in one query (a listing reads them all)."""
        from sqlalchemy import select

        from ...store import orm

        with self.store.read() as s:
            return [EndpointRecord(row.name, row.status, row.pid, row.port, row.url, dict(row.spec or {}),
                                   dict(row.state or {}))
                    for row in s.execute(select(orm.Endpoint).order_by(orm.Endpoint.name)).scalars()]

    def names(self) -> list[str]:
        from sqlalchemy import select

        from ...store import orm

        with self.store.read() as s:
            return list(s.execute(select(orm.Endpoint.name).order_by(orm.Endpoint.name)).scalars())

    def not_found(self, name: str) -> EndpointNotFound:
        return EndpointNotFound(f"There is no endpoint named {name!r}.",
                                hint=f"Endpoints: {', '.join(self.names()) or 'none'}. "
                                     "Create one with deploy().")
