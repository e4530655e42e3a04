"""Versioned datasets: DataFrames stored as Parquet artifacts, addressed by their content hash.

Saving the same content again (same rows, columns and dtypes) returns the existing version.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from typing import Any

from ..collaborators import ArtifactSource, AuditAppender
from ..errors import DatasetNotFound, InvalidInput
from ..hashing import data_fingerprint
from ..lineage import actor
from ..names import parse_ref, validate_name
from .results import DatasetVersion


def _as_utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts


class Datasets:
    def __init__(self, store, artifacts: ArtifactSource, audit: AuditAppender):
        self.store = store
        self.artifacts = artifacts
        self.audit = audit

    @staticmethod
    def _entity(ds_name: str, v) -> DatasetVersion:
        return DatasetVersion(name=ds_name, version=v.version, content_sha256=v.content_sha256,
                              artifact_sha256=v.artifact_sha256, rows=v.rows, columns=v.columns,
                              schema=dict(v.schema), created_at=_as_utc(v.created_at), created_by=v.created_by)

    def save(self, df: Any, name: str) -> DatasetVersion:
        import pandas as pd
        from sqlalchemy import func, select

        from ..store import orm

        validate_name(name, "dataset name")
        if isinstance(df, pd.Series):
            df = df.to_frame()
        if not isinstance(df, pd.DataFrame):
            raise InvalidInput(f"save_dataset needs a pandas DataFrame, got {type(df).__name__}.")
        if not all(isinstance(c, str) for c in df.columns):
            raise InvalidInput("Dataset columns must be strings (Parquet requires it); rename them first.",
                               hint="df.columns = df.columns.astype(str)")
        fp = data_fingerprint(df)
        existing = self.find_by_content(fp["sha256"], name=name)
        if existing is not None:
            return existing
        buf = io.BytesIO()
        df.to_parquet(buf, engine="pyarrow")
        artifact = self.artifacts.put_bytes(buf.getvalue())
        with self.store.write() as s:
            ds = s.execute(select(orm.Dataset).where(orm.Dataset.name == name)).scalar_one_or_none()
            if ds is None:
                ds = orm.Dataset(name=name)
                s.add(ds)
                s.flush()
            same = s.execute(select(orm.DatasetVersion).where(
                orm.DatasetVersion.dataset_id == ds.id,
                orm.DatasetVersion.content_sha256 == fp["sha256"])).scalar_one_or_none()
            if same is not None:  # another kernel saved the same content meanwhile
                return self._entity(name, same)
            latest = s.execute(select(func.max(orm.DatasetVersion.version))
                               .where(orm.DatasetVersion.dataset_id == ds.id)).scalar()
            v = orm.DatasetVersion(dataset_id=ds.id, version=(latest or 0) + 1, content_sha256=fp["sha256"],
                                   artifact_sha256=artifact, rows=int(df.shape[0]), columns=int(df.shape[1]),
                                   schema={str(c): str(t) for c, t in df.dtypes.items()}, created_by=actor())
            s.add(v)
            s.flush()
            self.audit.append(s, "dataset.save", f"{name}:{v.version}",
                              {"content_sha256": fp["sha256"], "shape": list(df.shape)})
            return self._entity(name, v)

    def _resolve(self, s, ref: Any):
        from sqlalchemy import select

        from ..store import orm

        r = parse_ref(ref, kind="dataset")
        if r.alias is not None:
            raise InvalidInput(f"Datasets have no aliases; use {r.name} or {r.name}:N.")
        ds = s.execute(select(orm.Dataset).where(orm.Dataset.name == r.name)).scalar_one_or_none()
        if ds is None:
            names = s.execute(select(orm.Dataset.name)).scalars().all()
            raise DatasetNotFound(f"No dataset named {r.name!r}.", candidates=names, wanted=r.name)
        q = select(orm.DatasetVersion).where(orm.DatasetVersion.dataset_id == ds.id)
        if r.version is not None:
            v = s.execute(q.where(orm.DatasetVersion.version == r.version)).scalar_one_or_none()
            if v is None:
                raise DatasetNotFound(f"Dataset {r.name} has no version {r.version}.")
        else:
            v = s.execute(q.order_by(orm.DatasetVersion.version.desc()).limit(1)).scalar_one()
        return ds, v

    def get(self, ref: Any) -> DatasetVersion:
        with self.store.read() as s:
            ds, v = self._resolve(s, ref)
            return self._entity(ds.name, v)

    def load(self, ref: Any):
        import pandas as pd

        dv = self.get(ref)
        return pd.read_parquet(io.BytesIO(self.artifacts.get_bytes(dv.artifact_sha256)), engine="pyarrow")

    def find_by_content(self, content_sha256: str, name: str | None = None) -> DatasetVersion | None:
        from sqlalchemy import select

        from ..store import orm

        with self.store.read() as s:
            q = (select(orm.Dataset.name, orm.DatasetVersion)
                 .join(orm.Dataset, orm.Dataset.id == orm.DatasetVersion.dataset_id)
                 .where(orm.DatasetVersion.content_sha256 == content_sha256))
            if name is not None:
                q = q.where(orm.Dataset.name == name)
            row = s.execute(q.order_by(orm.DatasetVersion.id).limit(1)).first()
            return self._entity(row[0], row[1]) if row else None

    @staticmethod
    def row_id(s, dv: DatasetVersion) -> int:
        from sqlalchemy import select

        from ..store import orm

        return s.execute(select(orm.DatasetVersion.id)
                         .join(orm.Dataset, orm.Dataset.id == orm.DatasetVersion.dataset_id)
                         .where(orm.Dataset.name == dv.name, orm.DatasetVersion.version == dv.version)).scalar_one()

    def list(self):
        import pandas as pd
        from sqlalchemy import select

        from ..listing_frame import listing
        from ..store import orm

        with self.store.read() as s:
            rows = [{"name": n, "version": v.version, "rows": v.rows, "columns": v.columns,
                     "content_sha256": v.content_sha256[:12], "created_at": _as_utc(v.created_at),
                     "created_by": v.created_by}
                    for n, v in s.execute(select(orm.Dataset.name, orm.DatasetVersion)
                                          .join(orm.Dataset, orm.Dataset.id == orm.DatasetVersion.dataset_id)
                                          .order_by(orm.Dataset.name, orm.DatasetVersion.version))]
        return listing("datasets", pd.DataFrame(rows, columns=["name", "version", "rows", "columns", "content_sha256",
                                                               "created_at", "created_by"]))
