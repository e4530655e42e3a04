"""``Reproduction``: the verdict of re-running what made a model version (``reproduce.py``), kept on
the version (``ModelVersion.reproduction`` is its JSON) for the policy ``require_reproduction``.

PASS when the notebook ran again and registered a version whose training data hashes as recorded,
whose metrics are within the tolerance and whose predictions on the kept sample rows are the same
(classes) or within the tolerance (numbers, probabilities); a check that has nothing to compare
(a version registered without data keeps no sample) is skipped and says why. FAIL otherwise, with
each difference in one sentence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from .. import html
from ..results import Result
from .runs import _link

PASS, FAIL = "PASS", "FAIL"
_TONES = {"pass": "ok", "fail": "bad", "skipped": "muted"}


@dataclass(frozen=True)
class Reproduction(Result):
    """A version's reproduction: PASS or FAIL, every check with what was recorded and what the
    re-run gave, each difference, and the run that re-ran the notebook."""

    ref: str                          # the version reproduced
    status: str                       # PASS | FAIL
    checks: list                      # dicts: name, status (pass | fail | skipped), expected, actual, differences, note
    differences: list                 # every check's differences, "check: sentence"
    run: dict                         # the reproduction run: id, status, notebooks, output notebook, failure
    original_run: int | None          # the run that registered the version
    reproduced_as: str | None         # the version the re-run registered (archived: never the latest, no alias)
    tolerance: dict                   # abs, rel
    inputs: list = field(default_factory=list)   # files the notebook names: path, sha256, modified, changed, why
    notes: list = field(default_factory=list)    # how it was re-run (a notebook changed since: its executed copy)
    at: dt.datetime | None = None
    by: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == PASS

    def summary(self) -> str:
        if self.passed:
            ran = [c["name"] for c in self.checks if c["status"] == "pass"]
            return f"{self.ref} reproduced: {', '.join(ran)} as recorded (run {self.run.get('id')})"
        failed = [c["name"] for c in self.checks if c["status"] == "fail"]
        return f"{self.ref} did not reproduce: {', '.join(failed)} differ (run {self.run.get('id')})"

    def to_text(self) -> str:
        lines = [f"{self.status}: {self.summary()}"]
        for c in self.checks:
            lines.append(f"  {c['name']}: {c['status']}" + (f" ({c['note']})" if c.get("note") else ""))
            lines += [f"    - {d}" for d in c["differences"]]
        if self.reproduced_as:
            lines.append(f"  re-run registered {self.reproduced_as} (archived)")
        if self.run.get("output_notebook"):
            lines.append(f"  output notebook: {self.run['output_notebook']}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = [[c["name"], html.Raw(html.badge(c["status"], _TONES.get(c["status"]))), _shown(c["expected"]),
                 _shown(c["actual"]), "; ".join(c["differences"]) or c.get("note") or None] for c in self.checks]
        sections = [("", html.note(html.esc(self.summary()), "muted" if self.passed else "warn")),
                    ("checks", html.table(["check", "result", "recorded", "reproduced", "differences"], rows,
                                          flagged=[i for i, c in enumerate(self.checks) if c["status"] == "fail"]))]
        about = [("run", self.run.get("id")), ("run status", self.run.get("status")),
                 ("output notebook", html.Raw(_link(self.run["output_notebook"])) if self.run.get("output_notebook")
                  else None),
                 ("reproduced as", f"{self.reproduced_as} (archived)" if self.reproduced_as else None),
                 ("original run", self.original_run),
                 ("tolerance", f"{self.tolerance.get('abs'):g} absolute or {self.tolerance.get('rel'):g} relative"),
                 ("at", self.at.isoformat(sep=" ", timespec="seconds") if self.at else None), ("by", self.by)]
        sections.append(("reproduction", html.kv_table(about)))
        if self.inputs:
            sections.append(("files the notebook names", html.table(
                ["file", "named by", "sha256", "changed"],
                [[f["path"], f["named_by"], f["sha256"][:12], f.get("why") or False] for f in self.inputs],
                flagged=[i for i, f in enumerate(self.inputs) if f.get("changed")])))
        if self.notes:
            sections.append(("notes", "".join(html.note(html.esc(n)) for n in self.notes)))
        return html.card(f"Reproduction of {self.ref}", html.badge(self.status), sections)

    def __repr__(self) -> str:
        text = f"<Reproduction {self.status}: {self.summary()}"
        if self.differences:
            text += "".join(f"\n  - {d}" for d in self.differences)
        return text + ">"


def _shown(value) -> str | None:
    text = html.format_text(value) if value not in (None, {}, []) else None
    return text if text is None or len(text) <= 160 else text[:159] + "…"
