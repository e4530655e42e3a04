"""Registry tab: models, their versions with metrics, approval and aliases; the chosen version's
card (lineage, metrics, signature, artifact); approve, reject (with a comment), promote, archive,
and a diff of two versions. Each button is one ``Workspace`` call through ``Actions``."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from .._core import html
from .._core.listings import records
from .context import Context, button, set_html, set_options

ALIASES = ["production", "staging"]


class RegistryTab:
    title = "Registry"
    part = "registry"

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.models = w.HTML()
        self.model = w.Dropdown(description="model", options=[])
        self.versions = w.HTML()
        self.version = w.Dropdown(description="version", options=[])
        self.comment = w.Text(placeholder="comment (approve / reject)", layout=w.Layout(width="260px"))
        self.alias = w.Combobox(value="production", options=ALIASES, placeholder="alias",
                                layout=w.Layout(width="130px"))
        self.approve = button("Approve", "success", "approve the version (with the comment)", "check")
        self.reject = button("Reject", "warning", "reject the version (with the comment)", "times")
        self.promote = button("Promote to", "info", "point the alias at the version", "arrow-up")
        self.archive = button("Archive", "danger", "archive the version (asks first)", "archive")
        self.diff_a = w.Dropdown(description="diff", options=[], layout=w.Layout(width="200px"))
        self.diff_b = w.Dropdown(description="with", options=[], layout=w.Layout(width="200px"))
        self.diff = button("Diff", "", "params, metrics, data hash and lineage side by side", "columns")
        self.detail = w.HTML()
        self.detail.add_class("mlops-panel-detail")
        self._detail_mode = "card"  # "card": the chosen version's card; "diff": the last diff

        self.approve.on_click(lambda _: self._decide("approve"))
        self.reject.on_click(lambda _: self._decide("reject"))
        self.promote.on_click(lambda _: self._promote())
        self.archive.on_click(lambda _: self._archive())
        self.diff.on_click(lambda _: self._diff())
        self.model.observe(self._chosen, "value")
        self.version.observe(self._chosen, "value")

        actions = w.HBox([self.comment, self.approve, self.reject, self.alias, self.promote, self.archive])
        actions.add_class("mlops-panel-row")
        diff_row = w.HBox([self.diff_a, self.diff_b, self.diff])
        diff_row.add_class("mlops-panel-row")
        self.widget = w.VBox([self.models, w.HBox([self.model, self.version]), self.versions, actions, diff_row,
                              self.detail])
        self.widget.add_class("mlops-panel-registry")

    # -- reading --------------------------------------------------------------------------------
    def refresh(self) -> None:
        ws = self.ctx.ws
        models = records("models", ws.models())
        name = self.model.value if self.model.value in {m["name"] for m in models} else (
            models[0]["name"] if models else None)
        versions = records("versions", ws.versions(name))[::-1] if name else []  # newest first
        refs = [f"{name}:{v['version']}" for v in versions]
        ref = self.version.value if self.version.value in refs else (refs[0] if refs else None)
        card = ws.get(ref) if ref and self._detail_mode == "card" else None
        with self.ctx.lock:
            set_html(self.models, _models_html(models))
            set_options(self.model, [(m["name"], m["name"]) for m in models], keep=name)
            labels = [f"v{v['version']} · {v['approval']}" + (f" · @{v['aliases']}" if v["aliases"] else "")
                      + (" · archived" if v["status"] == "archived" else "") for v in versions]
            set_options(self.version, list(zip(labels, refs)), keep=ref)
            plain = [(r, r) for r in refs]
            set_options(self.diff_a, plain, keep=self.diff_a.value if self.diff_a.value in refs else (
                refs[1] if len(refs) > 1 else None))
            set_options(self.diff_b, plain, keep=self.diff_b.value if self.diff_b.value in refs else ref)
            set_html(self.versions, _versions_html(name, versions))
            if self._detail_mode == "card":
                set_html(self.detail, card._repr_html_() if card is not None else "")

    def _chosen(self, change: dict) -> None:
        # a new model or version was picked: show its card at the next tick, which comes now
        self._detail_mode = "card"
        self.ctx.poke()

    # -- actions: one Workspace call each -----------------------------------------------------------
    def _ref(self) -> str | None:
        if not self.version.value:
            self.ctx.message.show("error", "Choose a version first.")
        return self.version.value

    def _show_version(self, version: Any) -> None:
        self._detail_mode = "card"
        with self.ctx.lock:
            set_html(self.detail, version._repr_html_())

    def _decide(self, verb: str) -> None:
        ref = self._ref()
        if ref:
            comment = self.comment.value.strip() or None
            call = getattr(self.ctx.ws, verb)
            if self.ctx.actions.run(f"{verb} {ref}", lambda: call(ref, comment=comment), self._show_version):
                self.comment.value = ""

    def _promote(self) -> None:
        ref, alias = self._ref(), self.alias.value.strip()
        if ref:
            self.ctx.actions.run(f"promote {ref} to @{alias}", lambda: self.ctx.ws.promote(ref, alias),
                                 self._show_version)

    def _archive(self) -> None:
        ref = self._ref()
        if ref:
            self.ctx.confirm.ask(f"Archive {ref}? It stays loadable but is no longer the latest.", "Archive",
                                 lambda: self.ctx.actions.run(f"archive {ref}", lambda: self.ctx.ws.archive(ref),
                                                              self._show_version))

    def _diff(self) -> None:
        a, b = self.diff_a.value, self.diff_b.value
        if not a or not b:
            self.ctx.message.show("error", "Choose two versions to compare.")
            return

        def shown(frame) -> None:
            self._detail_mode = "diff"
            with self.ctx.lock:
                set_html(self.detail, _diff_html(a, b, frame))

        self.ctx.actions.run(f"diff {a} {b}", lambda: self.ctx.ws.diff(a, b), shown)


def _models_html(models: list[dict]) -> str:
    if not models:
        return html.styled(html.note("No models yet: <code>%mlops register MODEL --name N</code>."), "panel-table")
    rows = [[m["name"], m["versions"], m["latest"], m["aliases"] or None,
             html.Raw(html.badge(m["latest_approval"])) if m["latest_approval"] else None,
             (m["updated_at"] or "")[:19].replace("T", " ")] for m in models]
    return html.styled(html.table(["model", "versions", "latest", "aliases", "latest approval", "updated (UTC)"],
                                  rows, numeric=[1, 2]), "panel-table")


def _versions_html(name: str | None, versions: list[dict]) -> str:
    if not name:
        return ""
    fixed = {"version", "created_at", "created_by", "approval", "aliases", "status", "reproduction", "data_sha256"}
    metrics = [k for k in (versions[0] if versions else {}) if k not in fixed]
    rows, flagged = [], []
    for i, v in enumerate(versions):
        rows.append([v["version"], (v["created_at"] or "")[:19].replace("T", " "),
                     html.Raw(html.badge(v["approval"])),
                     html.Raw("".join(html.badge("@" + a.strip(), "info") for a in v["aliases"].split(",")
                                      if a.strip())) if v["aliases"] else None,
                     html.Raw(html.badge(v["status"])) if v["status"] != "active" else "active",
                     v["reproduction"], *[v.get(m) for m in metrics]])
        if v["approval"] == "Rejected":
            flagged.append(i)
    columns = ["version", "created (UTC)", "approval", "aliases", "status", "reproduction", *metrics]
    return html.styled(f"<h4>{html.esc(name)}: versions</h4>" + html.table(
        columns, rows, flagged=flagged, numeric=[0, *range(6, 6 + len(metrics))]), "panel-table")


def _diff_html(a: str, b: str, frame) -> str:
    table = frame.reset_index()
    rows = [[r["field"], r.get(a), r.get(b), bool(r["changed"])] for r in table.to_dict(orient="records")]
    flagged = [i for i, r in enumerate(rows) if r[3]]
    return html.styled(f"<h3>diff {html.esc(a)} → {html.esc(b)}</h3>"
                       + html.table(["field", a, b, "changed"], rows, flagged=flagged), "panel-diff")
