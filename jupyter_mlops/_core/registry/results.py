"""Result objects of the registry: a model version and a dataset version (see ``results.Result``).
They are detached from the database: holding one never holds a session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .. import html
from ..names import Versioned
from ..results import Result

APPROVAL_STATES = ("PendingManualApproval", "Approved", "Rejected")


def lineage_gaps(lineage: dict, dataset: str | None = None) -> list[tuple[str, str]]:
    """What a version's lineage could not capture, each with how to capture it next time, so
    that a card says so instead of leaving the row out."""
    gaps = []
    if not lineage.get("git"):
        gaps.append(("git", "not a git repository (or no git): register from inside a git checkout to record "
                            "the commit"))
    if not lineage.get("notebook"):
        gaps.append(("notebook", "unknown: set MLOPS_NOTEBOOK=path/to/notebook.ipynb or register from Jupyter"))
    if not lineage.get("data") and not dataset:
        gaps.append(("data hash", "no data passed: register(..., data=X) (or data=\"dataset:N\")"))
    if lineage.get("data") and not lineage.get("target"):
        gaps.append(("target hash", "no target passed: register(..., data=X, target=y)"))
    if (lineage.get("kernel") or {}).get("basis") == "no kernel history" and not lineage.get("run"):
        gaps.append(("kernel", "no kernel history: register from a notebook kernel to check that its cells ran "
                               "in order"))
    return gaps


class _Versioned(Versioned, Result):
    """A numbered version of something named: a reference wherever one is taken (``names.Versioned``),
    and its ``ref`` is part of its JSON."""

    def to_dict(self) -> dict:
        return {**super().to_dict(), "ref": self.ref}


@dataclass(frozen=True)
class ModelVersion(_Versioned):
    name: str
    version: int
    created_at: datetime
    created_by: str
    artifact_sha256: str
    artifact_size: int
    format: dict
    signature: dict | None
    metrics: dict
    params: dict
    tags: dict
    lineage: dict
    approval: str
    aliases: tuple[str, ...] = ()
    status: str = "active"
    description: str | None = None
    dataset: str | None = None
    approval_history: tuple[dict, ...] = ()
    reproduction: dict | None = None  # the latest ``Reproduction``'s JSON (Workspace.reproduce)

    @property
    def reproduced(self) -> bool:
        """Whether its latest reproduction passed (what ``Policy.require_reproduction`` asks)."""
        return (self.reproduction or {}).get("status") == "PASS"

    def to_frame(self):
        import pandas as pd

        row = {"name": self.name, "version": self.version, "created_at": self.created_at,
               "approval": self.approval, "aliases": ", ".join(self.aliases), "status": self.status,
               "reproduction": (self.reproduction or {}).get("status"),
               "data_sha256": (self.lineage.get("data") or {}).get("sha256"),
               "artifact_sha256": self.artifact_sha256}
        row.update({f"metric.{k}": v for k, v in self.metrics.items()})
        row.update({f"param.{k}": v for k, v in self.params.items()})
        return pd.DataFrame([row])

    def _lineage_rows(self) -> list[tuple[str, Any]]:
        lin = self.lineage
        rows: list[tuple[str, Any]] = []
        git = lin.get("git")
        if git:
            rows.append(("git", f"{(git.get('commit') or '')[:10]} on {git.get('branch')}"
                                + (" (dirty)" if git.get("dirty") else "")))
        nb = lin.get("notebook")
        if nb:
            rows.append(("notebook", f"{nb.get('path')} sha256 {(nb.get('sha256') or '')[:12]}"))
        run = lin.get("run")
        if run:
            rows.append(("run", f"{run.get('kind')} run {run.get('id')}, step {run.get('step')}"))
        if lin.get("papermill_parameters"):
            rows.append(("parameters", lin["papermill_parameters"]))
        for key in ("data", "target"):
            d = lin.get(key)
            if d:
                rows.append((key, f"sha256 {d['sha256'][:12]}… shape {tuple(d['shape'])}"))
        if self.dataset:
            rows.append(("dataset", self.dataset))
        kernel = lin.get("kernel") or {}
        if kernel.get("in_order") is not None:
            rows.append(("kernel", "cells ran in order" if kernel["in_order"] else
                         "cells ran out of order or twice: the model may come from stale state"))
        if lin.get("python"):
            rows.append(("python", lin["python"]))
        if lin.get("user"):
            rows.append(("by", f"{lin.get('user')}@{lin.get('host')}"))
        return rows

    def _approval_table(self) -> str:
        """Each approval and rejection: the decision, who, when (relative, exact on hover), why."""
        from ..listing_cells import TONES, absolute, relative, utc

        now = datetime.now(timezone.utc)
        rows = []
        for h in self.approval_history:
            when = utc(_parse_time(h.get("at")))
            at = (html.Raw(f'<time datetime="{html.esc(h.get("at"))}" title="{absolute(when)} UTC">'
                           f"{html.esc(relative(when, now))}</time>") if when else h.get("at"))
            rows.append([html.Raw(html.badge(h.get("state"), TONES.get(str(h.get("state"))))), h.get("by"), at,
                         h.get("comment")])
        return html.table(["decision", "by", "when", "comment"], rows)

    def _repr_html_(self) -> str:
        badges = html.badge(self.approval) + "".join(html.badge("@" + a) for a in self.aliases)
        if self.status != "active":
            badges += html.badge(self.status)
        if self.reproduction:
            badges += html.badge(f"reproduction {self.reproduction.get('status')}", "ok" if self.reproduced else "bad")
        sections = []
        if self.description:
            sections.append(("Description", f'<div class="mlops-note" style="white-space:pre-wrap">'
                                            f"{html.esc(self.description)}</div>"))
        sections += [
            ("Metrics", html.kv_table(self.metrics.items())),
            ("Params", html.kv_table(self.params.items())),
        ]
        if self.tags:
            sections.append(("Tags", html.kv_table(self.tags.items())))
        if self.approval_history:
            sections.append(("Approvals", self._approval_table()))
        sections.append(("Lineage", html.kv_table(self._lineage_rows())))
        gaps = lineage_gaps(self.lineage, self.dataset)
        if gaps:
            sections.append(("Lineage not captured", html.kv_table(
                (name, html.Raw(f'<span class="mlops-muted">{html.esc(why)}</span>')) for name, why in gaps)))
        if self.reproduction:
            sections.append(("Reproduction", html.kv_table(self._reproduction_rows(html_badge=True))))
        if self.signature and self.signature.get("inputs"):
            inputs = self.signature["inputs"]
            shown = ", ".join(f"{c['name']}:{c['dtype']}" for c in inputs[:12])
            more = f" … (+{len(inputs) - 12})" if len(inputs) > 12 else ""
            out = self.signature.get("output", {})
            sections.append(("Signature", html.kv_table([("inputs", shown + more), ("output", out.get("kind"))])))
        sections.append(("Artifact", html.kv_table([
            ("format", f"{self.format.get('format')} ({self.format.get('class')})"),
            ("sha256", self.artifact_sha256), ("size", f"{self.artifact_size:,} bytes"),
            ("created", f"{self.created_at:%Y-%m-%d %H:%M:%S} by {self.created_by}")])))
        return html.card(f"{self.name} v{self.version}", badges, sections)

    def _reproduction_rows(self, html_badge: bool = False) -> list[tuple[str, Any]]:
        r = self.reproduction or {}
        status = r.get("status")
        rows: list[tuple[str, Any]] = [("verdict", html.Raw(html.badge(status)) if html_badge else status),
                                       ("run", (r.get("run") or {}).get("id")), ("at", r.get("at")),
                                       ("reproduced as", r.get("reproduced_as"))]
        differences = r.get("differences") or []
        if differences:
            more = f"; … ({len(differences) - 3} more)" if len(differences) > 3 else ""
            rows.append(("differences", "; ".join(differences[:3]) + more))
        return rows

    def to_text(self) -> str:
        lines = [repr(self)]
        if self.description:
            lines.append(f"  description: {self.description}")
        for label, values in (("metrics", self.metrics), ("params", self.params), ("tags", self.tags)):
            if values:
                lines.append(f"  {label}: " + ", ".join(f"{k}={html.format_text(v)}" for k, v in values.items()))
        lines += [f"  {k}: {html.format_text(v)}" for k, v in self._lineage_rows()]
        lines += [f"  {k}: not captured: {why}" for k, why in lineage_gaps(self.lineage, self.dataset)]
        for h in self.approval_history:
            from ..listing_cells import absolute, utc

            when = utc(_parse_time(h.get("at")))
            comment = f": {h['comment']}" if h.get("comment") else ""
            lines.append(f"  {h.get('state')} by {h.get('by')} at {absolute(when) if when else h.get('at')}{comment}")
        if self.reproduction:
            lines.append("  reproduction: " + ", ".join(f"{k} {html.format_text(v)}" for k, v in self._reproduction_rows()))
        lines.append(f"  artifact: {self.format.get('format')} {self.artifact_sha256} ({self.artifact_size:,} bytes)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        aliases = f" @{', @'.join(self.aliases)}" if self.aliases else ""
        return f"<ModelVersion {self.ref} {self.approval}{aliases} sha256={self.artifact_sha256[:12]}>"


def _parse_time(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


@dataclass(frozen=True)
class DatasetVersion(_Versioned):
    ref_kind = "dataset"
    name: str
    version: int
    content_sha256: str
    artifact_sha256: str
    rows: int
    columns: int
    schema: dict
    created_at: datetime
    created_by: str

    def _repr_html_(self) -> str:
        cols = ", ".join(f"{c}:{t}" for c, t in list(self.schema.items())[:15])
        return html.card(f"dataset {self.name} v{self.version}", "", [("", html.kv_table([
            ("shape", f"{self.rows:,} rows × {self.columns} columns"), ("columns", cols),
            ("content sha256", self.content_sha256), ("created", f"{self.created_at:%Y-%m-%d %H:%M:%S} by {self.created_by}")]))])

    def __repr__(self) -> str:
        return f"<DatasetVersion {self.ref} {self.rows}x{self.columns} sha256={self.content_sha256[:12]}>"
