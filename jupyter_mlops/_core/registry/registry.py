"""The model registry: versions, aliases, approval, archive, diff, loading back hash-verified.

The artifact is written (atomically, content-addressed) before the version row, and the row and
its audit entry are committed together under the workspace write lock: a crash at any point
leaves either a complete version or none, and two kernels never get the same version number.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any, Callable

from .. import lineage as lineage_mod
from ..collaborators import ArtifactSource, AuditAppender
from ..errors import InvalidInput, ModelNotFound, PolicyViolation, RegistryError
from ..hashing import data_fingerprint
from ..modelio import (companion_record, dump_model, fast_companion, load_companion, load_model, sign,
                       usable_companion)
from ..names import Ref, parse_ref, validate_name, validate_text
from ..policy import Policy
from ..signature import infer_signature
from .datasets import Datasets
from .results import ModelVersion

PENDING, APPROVED, REJECTED = "PendingManualApproval", "Approved", "Rejected"
SAMPLE_ROWS = 5
#: the alias ``Policy.require_reproduction`` guards: what serves users
PRODUCTION = "production"


def as_utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=timezone.utc) if ts.tzinfo is None else ts


def _clean_metrics(metrics: dict | None) -> dict:
    out = {}
    for k, v in (metrics or {}).items():
        validate_name(str(k), "metric name")
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise InvalidInput(f"Metric {k!r} must be a number, got {v!r}.") from None
        if math.isnan(f) or math.isinf(f):
            raise InvalidInput(f"Metric {k!r} is {v!r}; metrics must be finite numbers.")
        out[str(k)] = f
    return out


def _clean_mapping(values: dict | None, kind: str) -> dict:
    out = {}
    for k, v in (values or {}).items():
        validate_name(str(k), f"{kind} name")
        try:
            json.dumps(v)
        except (TypeError, ValueError):
            v = repr(v)
        if isinstance(v, str):
            validate_text(v, f"{kind} {k!r}")
        out[str(k)] = v
    return out


def reproduction_run(lineage: dict | None) -> int | None:
    """The id of the reproduction run that registered a version (``pipelines/reproduce.py``), or
    None: such a version is the evidence of a reproduction, archived from the start so that it is
    never the model's latest, and it holds no alias."""
    run = (lineage or {}).get("run") or {}
    return run.get("id") if run.get("kind") == "reproduce" else None


def _sample(data: Any) -> dict | None:
    """A few training rows, kept with the version to smoke-test it before it takes traffic."""
    import numpy as np
    import pandas as pd

    if data is None:
        return None
    if isinstance(data, pd.DataFrame):
        head = data.head(SAMPLE_ROWS)
        return json.loads(head.to_json(orient="split", index=False, date_format="iso"))
    arr = np.asarray(data)[:SAMPLE_ROWS]
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    return {"columns": [f"f{i}" for i in range(arr.shape[1])], "data": arr.tolist()}


class Registry:
    def __init__(self, store, artifacts: ArtifactSource, audit: AuditAppender, datasets: Datasets,
                 policy: Callable[[], Policy]):
        self.store = store
        self.artifacts = artifacts
        self.audit = audit
        self.datasets = datasets
        self._policy = policy

    # -- writing ----------------------------------------------------------------------------
    def register(self, model: Any, name: str, data: Any = None, target: Any = None,
                 metrics: dict | None = None, params: dict | None = None, tags: dict | None = None,
                 description: str | None = None, alias: str | None = None,
                 lineage: dict | None = None, dataset: str | None = None) -> ModelVersion:
        """``data`` is the training data itself; ``dataset`` the dataset version it was loaded
        from, when it was (otherwise a saved dataset with the same content is found by hash)."""
        validate_name(name, "model name")
        if alias is not None:
            validate_name(alias, "alias")
        if description is not None:
            validate_text(description, "description", max_len=20000)
        metrics, params, tags = _clean_metrics(metrics), _clean_mapping(params, "param"), _clean_mapping(tags, "tag")
        if isinstance(data, str):
            raise InvalidInput(f"data={data!r} is a dataset reference: load it first, or pass dataset={data!r}.")
        if data is not None and target is not None and len(data) != len(target):
            raise InvalidInput(f"data has {len(data)} rows but target has {len(target)}; they must match.")
        payload, fmt = dump_model(model)  # an object that cannot be saved stops here, before any write
        record, dataset_version = self._lineage(model, data, target, lineage, dataset)
        companion = fast_companion(model, fmt)
        if companion is not None:
            fmt["fast_load"] = companion_record(self.artifacts.put_bytes(companion))
        # the artifacts go first: a crash before the row leaves only an unreferenced file
        sha = self.artifacts.put_bytes(payload)
        columns = dict(description=description, artifact_sha256=sha, artifact_size=len(payload),
                       format=sign(fmt, sha, lineage_mod.actor()), signature=infer_signature(data, target, model),
                       metrics=metrics, params=params, tags=tags, lineage=record, sample=_sample(data))
        version = self._insert_version(name, columns, dataset_version, alias)
        return self.get(Ref(name, version=version))

    def _lineage(self, model, data, target, extra: dict | None, dataset: str | None):
        """The version's lineage record and the dataset version its data is, if any."""
        dataset_version = self.datasets.get(dataset) if dataset is not None else None
        record = lineage_mod.collect(model)
        record.update(extra or {})
        if data is not None:
            record["data"] = data_fingerprint(data)
            if dataset_version is None:
                dataset_version = self.datasets.find_by_content(record["data"]["sha256"])
        if target is not None:
            record["target"] = data_fingerprint(target)
        record["environment"] = {
            "pip_freeze_sha256": self.artifacts.put_bytes("\n".join(lineage_mod.installed_packages()).encode())
        }
        if dataset_version is not None:
            record["dataset"] = dataset_version.ref
        return record, dataset_version

    def _insert_version(self, name: str, columns: dict, dataset_version, alias: str | None) -> int:
        """The next version number of ``name``, its row and its audit entry, in one transaction
        under the workspace write lock: two kernels never get the same number."""
        from sqlalchemy import func, select

        from ..store import orm

        with self.store.write() as s:
            row = s.execute(select(orm.Model).where(orm.Model.name == name)).scalar_one_or_none()
            if row is None:
                row = orm.Model(name=name, description=columns["description"])
                s.add(row)
                s.flush()
            latest = s.execute(select(func.max(orm.ModelVersion.version))
                               .where(orm.ModelVersion.model_id == row.id)).scalar()
            version = (latest or 0) + 1
            mv = orm.ModelVersion(
                model_id=row.id, version=version, created_by=lineage_mod.actor(), approval=PENDING,
                approval_history=[], status="archived" if reproduction_run(columns["lineage"]) else "active",
                **columns,
                dataset_version_id=self.datasets.row_id(s, dataset_version) if dataset_version else None)
            s.add(mv)
            row.updated_at = datetime.now(timezone.utc)
            s.flush()
            self.audit.append(s, "register", f"{name}:{version}", {
                "artifact_sha256": columns["artifact_sha256"],
                "data_sha256": (columns["lineage"].get("data") or {}).get("sha256"),
                "metrics": columns["metrics"], "format": columns["format"]["format"]})
            if alias is not None:
                self._set_alias(s, row, mv, alias)
        return version

    def _set_alias(self, s, model_row, version_row, alias: str) -> int | None:
        from ..store import orm

        policy = self._policy()
        ref = f"{model_row.name}:{version_row.version}"
        made_by = reproduction_run(version_row.lineage)
        if made_by is not None:
            raise RegistryError(f"{ref} was registered by reproduction run {made_by}: it is kept, archived, as the "
                                f"evidence of that reproduction and cannot be @{alias}.",
                                hint="Promote the version that was reproduced; a notebook run for a reproduction "
                                     "should register without alias=.")
        if policy.require_approval and version_row.approval != APPROVED:
            raise PolicyViolation(
                f"{model_row.name}:{version_row.version} is {version_row.approval}; the workspace policy "
                f"requires approval before it can be @{alias}.",
                hint=f"Approve it first: %mlops approve {model_row.name}:{version_row.version}",
            )
        if version_row.status == "archived":
            raise RegistryError(f"{model_row.name}:{version_row.version} is archived and cannot be @{alias}.")
        if alias == PRODUCTION and policy.require_reproduction:
            _check_reproduced(ref, version_row.reproduction)
        existing = s.get(orm.Alias, (model_row.id, alias))
        previous = None
        if existing is None:
            s.add(orm.Alias(model_id=model_row.id, alias=alias, version_id=version_row.id))
        else:
            previous = s.get(orm.ModelVersion, existing.version_id).version
            existing.version_id = version_row.id
            existing.updated_at = datetime.now(timezone.utc)
        self.audit.append(s, "promote", f"{model_row.name}:{version_row.version}",
                          {"alias": alias, "previous_version": previous})
        return previous

    def record_reproduction(self, ref: Any, reproduction: dict) -> ModelVersion:
        """Keep ``reproduction`` (a ``Reproduction``'s JSON) as the latest of ``ref``, with its audit
        entry, in one transaction under the write lock: ``require_reproduction`` reads it."""
        with self.store.write() as s:
            model_row, mv = self._resolve(s, ref)
            mv.reproduction = reproduction
            self.audit.append(s, "reproduction", f"{model_row.name}:{mv.version}", {
                "status": reproduction.get("status"), "run": (reproduction.get("run") or {}).get("id"),
                "reproduced_as": reproduction.get("reproduced_as"),
                "failed_checks": [c.get("name") for c in reproduction.get("checks") or [] if c.get("status") == "fail"]})
            key = Ref(model_row.name, version=mv.version)
        return self.get(key)

    def promote(self, ref: str, alias: str) -> ModelVersion:
        validate_name(alias, "alias")
        with self.store.write() as s:
            model_row, mv = self._resolve(s, ref)
            self._set_alias(s, model_row, mv, alias)
            key = Ref(model_row.name, version=mv.version)
        return self.get(key)

    def _decide(self, ref: str, state: str, comment: str | None) -> ModelVersion:
        if comment is not None:
            validate_text(comment, "comment")
        actor = lineage_mod.actor()
        with self.store.write() as s:
            model_row, mv = self._resolve(s, ref)
            history = list(mv.approval_history or [])
            history.append({"state": state, "by": actor, "at": datetime.now(timezone.utc).isoformat(),
                            "comment": comment})
            if state == REJECTED:
                mv.approval = REJECTED
            else:
                needed = self._policy().min_approvers
                approvers = set()
                for h in history:
                    if h["state"] == REJECTED:
                        approvers.clear()
                    elif h["state"] == APPROVED:
                        approvers.add(h["by"])
                mv.approval = APPROVED if len(approvers) >= needed else PENDING
            mv.approval_history = history
            self.audit.append(s, "approve" if state == APPROVED else "reject", f"{model_row.name}:{mv.version}",
                              {"comment": comment, "approval": mv.approval})
            key = Ref(model_row.name, version=mv.version)
        return self.get(key)

    def approve(self, ref: str, comment: str | None = None) -> ModelVersion:
        return self._decide(ref, APPROVED, comment)

    def reject(self, ref: str, comment: str | None = None) -> ModelVersion:
        return self._decide(ref, REJECTED, comment)

    def archive(self, ref: str) -> ModelVersion:
        from sqlalchemy import select

        from ..store import orm

        with self.store.write() as s:
            model_row, mv = self._resolve(s, ref)
            held = s.execute(select(orm.Alias.alias).where(orm.Alias.version_id == mv.id)).scalars().all()
            if held:
                raise RegistryError(
                    f"{model_row.name}:{mv.version} is @{', @'.join(held)}; it cannot be archived while it holds an alias.",
                    hint=f"Promote another version first: %mlops promote {model_row.name}:N --to {held[0]}",
                )
            mv.status = "archived"
            self.audit.append(s, "archive", f"{model_row.name}:{mv.version}", {})
            key = Ref(model_row.name, version=mv.version)
        return self.get(key)

    # -- reading ----------------------------------------------------------------------------
    def _resolve(self, s, ref: Any):
        """(model row, version row) for a reference, inside session ``s``."""
        from sqlalchemy import select

        from ..store import orm

        r = parse_ref(ref)
        model_row = s.execute(select(orm.Model).where(orm.Model.name == r.name)).scalar_one_or_none()
        if model_row is None:
            names = s.execute(select(orm.Model.name)).scalars().all()
            raise ModelNotFound(f"No model named {r.name!r}.", candidates=names, wanted=r.name)
        q = select(orm.ModelVersion).where(orm.ModelVersion.model_id == model_row.id)
        if r.version is not None:
            mv = s.execute(q.where(orm.ModelVersion.version == r.version)).scalar_one_or_none()
            if mv is None:
                have = s.execute(select(orm.ModelVersion.version).where(
                    orm.ModelVersion.model_id == model_row.id)).scalars().all()
                raise ModelNotFound(
                    f"{r.name} has no version {r.version}; it has versions {_ranges(have)}.",
                    candidates=[f"{r.name}:{v}" for v in have], wanted=str(r))
        elif r.alias is not None:
            alias = s.get(orm.Alias, (model_row.id, r.alias))
            if alias is None:
                have = s.execute(select(orm.Alias.alias).where(orm.Alias.model_id == model_row.id)).scalars().all()
                raise ModelNotFound(
                    f"{r.name} has no alias @{r.alias}" + (f"; its aliases are @{', @'.join(have)}." if have else "; it has no aliases yet."),
                    candidates=[f"{r.name}@{a}" for a in have], wanted=str(r))
            mv = s.get(orm.ModelVersion, alias.version_id)
        else:
            mv = s.execute(q.where(orm.ModelVersion.status == "active")
                           .order_by(orm.ModelVersion.version.desc()).limit(1)).scalar_one_or_none()
            if mv is None:
                mv = s.execute(q.order_by(orm.ModelVersion.version.desc()).limit(1)).scalar_one_or_none()
            if mv is None:
                raise ModelNotFound(f"{r.name} has no versions.")
        return model_row, mv

    def _entity(self, s, model_row, mv) -> ModelVersion:
        from sqlalchemy import select

        from ..store import orm

        aliases = tuple(sorted(s.execute(select(orm.Alias.alias).where(orm.Alias.version_id == mv.id)).scalars()))
        return ModelVersion(
            name=model_row.name, version=mv.version, created_at=as_utc(mv.created_at), created_by=mv.created_by,
            artifact_sha256=mv.artifact_sha256, artifact_size=mv.artifact_size, format=dict(mv.format),
            signature=mv.signature, metrics=dict(mv.metrics or {}), params=dict(mv.params or {}),
            tags=dict(mv.tags or {}), lineage=dict(mv.lineage or {}), approval=mv.approval, aliases=aliases,
            status=mv.status, description=mv.description, dataset=(mv.lineage or {}).get("dataset"),
            approval_history=tuple(mv.approval_history or ()), reproduction=mv.reproduction,
        )

    def get(self, ref: Any) -> ModelVersion:
        with self.store.read() as s:
            model_row, mv = self._resolve(s, ref)
            return self._entity(s, model_row, mv)

    def version_id(self, ref: Any) -> int:
        """The database id of the version ``ref`` names (other parts' rows point at it)."""
        with self.store.read() as s:
            return self._resolve(s, ref)[1].id

    def sample(self, ref: Any) -> dict | None:
        """The training rows kept with the version (``{"columns", "data"}``)."""
        with self.store.read() as s:
            return self._resolve(s, ref)[1].sample

    def load(self, ref: Any) -> Any:
        mv = self.get(ref)
        payload = self.artifacts.get_bytes(mv.artifact_sha256)  # verified, whichever file is loaded
        companion = usable_companion(mv.format, mv.artifact_sha256)
        if companion is not None:
            return load_companion(self.artifacts.get_bytes(companion))
        return load_model(payload, mv.format, mv.artifact_sha256, mv.ref)

    def names(self) -> list[str]:
        from sqlalchemy import select

        from ..store import orm

        with self.store.read() as s:
            return list(s.execute(select(orm.Model.name).order_by(orm.Model.name)).scalars())

    def models(self):
        import pandas as pd
        from sqlalchemy import select

        from ..listing_frame import listing
        from ..store import orm

        # three queries whatever the number of models (the sidebar lists them every few seconds)
        with self.store.read() as s:
            models = s.execute(select(orm.Model).order_by(orm.Model.name)).scalars().all()
            versions: dict[int, list] = {}
            for row in s.execute(select(orm.ModelVersion.model_id, orm.ModelVersion.id, orm.ModelVersion.version,
                                        orm.ModelVersion.approval).order_by(orm.ModelVersion.version)):
                versions.setdefault(row.model_id, []).append(row)
            aliases: dict[int, list] = {}
            for a in s.execute(select(orm.Alias.model_id, orm.Alias.alias, orm.Alias.version_id)):
                aliases.setdefault(a.model_id, []).append(a)
            rows = []
            for m in models:
                mine = versions.get(m.id, [])
                by_id = {v.id: v.version for v in mine}
                latest = mine[-1] if mine else None
                rows.append({
                    "name": m.name, "versions": len(mine),
                    "latest": latest.version if latest else None,
                    "aliases": ", ".join(f"{a.alias}={by_id.get(a.version_id)}"
                                         for a in sorted(aliases.get(m.id, []), key=lambda a: a.alias)),
                    "latest_approval": latest.approval if latest else None,
                    "updated_at": as_utc(m.updated_at), "description": m.description,
                })
        return listing("models", pd.DataFrame(rows, columns=["name", "versions", "latest", "aliases",
                                                             "latest_approval", "updated_at", "description"]))

    def versions(self, name: str | None = None):
        """The versions of ``name``, indexed by version; with no name, every model's versions, a
        ``model`` column first (by model name, then version)."""
        import pandas as pd
        from sqlalchemy import select

        from ..listing_frame import listing
        from ..store import orm
        from .charts import metrics_across_versions

        if name is not None:
            validate_name(name, "model name")
        with self.store.read() as s:
            if name is not None:
                model_ids = {self._resolve(s, name)[0].id: None}
            else:
                model_ids = dict(s.execute(select(orm.Model.id, orm.Model.name).order_by(orm.Model.name)).all())
            aliases: dict[int, list[str]] = {}
            for a in s.execute(select(orm.Alias).where(orm.Alias.model_id.in_(model_ids))).scalars():
                aliases.setdefault(a.version_id, []).append(a.alias)
            rows, metric_names = [], []
            versions = s.execute(select(orm.ModelVersion).where(orm.ModelVersion.model_id.in_(model_ids))).scalars()
            for v in sorted(versions, key=lambda v: (model_ids[v.model_id] or "", v.version)):
                row = {} if name is not None else {"model": model_ids[v.model_id]}
                row |= {"version": v.version, "created_at": as_utc(v.created_at), "created_by": v.created_by,
                       "approval": v.approval, "aliases": ", ".join(sorted(aliases.get(v.id, []))),
                       "status": v.status, "reproduction": (v.reproduction or {}).get("status"),
                       "data_sha256": ((v.lineage or {}).get("data") or {}).get("sha256", "")[:12] or None}
                for k, val in (v.metrics or {}).items():
                    if k not in metric_names:
                        metric_names.append(k)
                    row[k] = val
                rows.append(row)
        cols = ["version", "created_at", "created_by", "approval", "aliases", "status", "reproduction", "data_sha256",
                *metric_names]
        frame = pd.DataFrame(rows, columns=cols if name is not None else ["model", *cols]).set_index("version")
        return listing("versions", frame, charts=metrics_across_versions)

    def diff(self, a: Any, b: Any, changed_only: bool = False):
        """Params, metrics, hashes and lineage of two versions side by side (only the fields that
        differ with ``changed_only``)."""
        import pandas as pd

        from ..listing_frame import listing

        va, vb = self.get(a), self.get(b)
        fa, fb = _flatten_for_diff(va), _flatten_for_diff(vb)
        keys = list(dict.fromkeys([*fa, *fb]))
        rows = [{"field": k, va.ref: fa.get(k), vb.ref: fb.get(k), "changed": fa.get(k) != fb.get(k)} for k in keys]
        frame = pd.DataFrame(rows).set_index("field")
        return listing("diff", frame[frame["changed"]] if changed_only else frame)


def _check_reproduced(ref: str, reproduction: dict | None) -> None:
    """``Policy.require_reproduction``: @production needs the version's latest reproduction to
    have passed (a later FAIL replaces an earlier PASS)."""
    status = (reproduction or {}).get("status")
    if status == "PASS":
        return
    differences = (reproduction or {}).get("differences") or []
    more = f"; and {len(differences) - 1} more difference(s)" if len(differences) > 1 else ""
    state = ("has not been reproduced" if status is None else
             f"failed its latest reproduction (run {(reproduction.get('run') or {}).get('id')}: "
             f"{differences[0] if differences else 'FAIL'}{more})")
    raise PolicyViolation(
        f"{ref} {state}; the workspace policy (require_reproduction) requires a passing reproduction before "
        f"a version can be @{PRODUCTION}.",
        hint=f"Reproduce it: ws.reproduce({ref!r}) or %mlops reproduce {ref}; other aliases (staging) need none.")


def _ranges(numbers) -> str:
    nums = sorted(numbers)
    if not nums:
        return "none"
    if nums == list(range(nums[0], nums[-1] + 1)):
        return f"{nums[0]}..{nums[-1]}" if len(nums) > 1 else str(nums[0])
    return ", ".join(map(str, nums))


def _flatten_for_diff(v: ModelVersion) -> dict:
    lin = v.lineage
    out: dict[str, Any] = {"version": v.version, "created_at": v.created_at.isoformat(timespec="seconds"),
                           "approval": v.approval, "aliases": ", ".join(v.aliases), "status": v.status,
                           "format": v.format.get("format"), "class": v.format.get("class"),
                           "artifact_sha256": v.artifact_sha256}
    out.update({f"metric.{k}": val for k, val in sorted(v.metrics.items())})
    out.update({f"param.{k}": val for k, val in sorted(v.params.items())})
    out.update({f"tag.{k}": val for k, val in sorted(v.tags.items())})
    for key in ("data", "target"):
        d = lin.get(key) or {}
        out[f"{key}.sha256"] = d.get("sha256")
        out[f"{key}.shape"] = tuple(d["shape"]) if d.get("shape") else None
    out["dataset"] = v.dataset
    git = lin.get("git") or {}
    out["git.commit"], out["git.dirty"] = git.get("commit"), git.get("dirty")
    nb = lin.get("notebook") or {}
    out["notebook.path"], out["notebook.sha256"] = nb.get("path"), nb.get("sha256")
    out["kernel.in_order"] = (lin.get("kernel") or {}).get("in_order")
    out["reproduction"] = (v.reproduction or {}).get("status")
    out["python"] = lin.get("python")
    out.update({f"package.{k}": val for k, val in sorted((lin.get("packages") or {}).items())})
    out["environment.pip_freeze_sha256"] = (lin.get("environment") or {}).get("pip_freeze_sha256")
    sig = v.signature or {}
    out["signature.inputs"] = ", ".join(f"{c['name']}:{c['dtype']}" for c in sig.get("inputs", [])) or None
    return out
