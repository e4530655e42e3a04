"""Jobs tab: schedules (kind, target, trigger, next and last run) and recent runs (status, time,
error, a link to the output notebook), and "Run now" for the chosen schedule (``ws.run_now``,
which returns at once: the run goes on in the background and shows up here as running)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import ipywidgets as w

from .._core import html
from .._core.listings import records
from .context import Context, button, set_html, set_options

RUNS_SHOWN = 20
#: the badge tone of each run status
RUN_TONES = {"succeeded": "ok", "running": "info", "violation": "bad", "failed": "bad", "gate_failed": "warn",
             "skipped": "muted", "interrupted": "warn"}


class JobsTab:
    title = "Jobs"
    part = "jobs"

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.schedules = w.HTML()
        self.schedule = w.Dropdown(description="schedule", options=[])
        self.run_now = button("Run now", "primary", "run the schedule's job once, now (in the background)", "play")
        self.runs = w.HTML()
        self.run_now.on_click(lambda _: self._run_now())
        row = w.HBox([self.schedule, self.run_now])
        row.add_class("mlops-panel-row")
        self.widget = w.VBox([self.schedules, row, self.runs])
        self.widget.add_class("mlops-panel-jobs")

    def refresh(self) -> None:
        ws = self.ctx.ws
        schedules = records("schedules", ws.schedules())
        runs = records("runs", ws.runs(None, limit=RUNS_SHOWN))
        with self.ctx.lock:
            set_html(self.schedules, _schedules_html(schedules))
            set_options(self.schedule, [(s["id"], s["id"]) for s in schedules])
            set_html(self.runs, _runs_html(runs))

    def _run_now(self) -> None:
        schedule = self.schedule.value
        if not schedule:
            self.ctx.message.show("error", "Choose a schedule first.")
            return
        self.ctx.actions.run(f"run {schedule} now", lambda: self.ctx.ws.run_now(schedule, wait=False))


def output_notebooks(result: Any) -> list[str]:
    """The executed notebooks a run's result names (a retraining run's steps' copies)."""
    if not isinstance(result, dict):
        return []
    steps = result.get("steps") or (result.get("run") or {}).get("steps") or []
    return [s["output_path"] for s in steps if isinstance(s, dict) and s.get("output_path")]


def notebook_link(path: str) -> str:
    """A link JupyterLab opens in a tab: relative to the kernel's folder (the notebook's) when the
    file is under it; else the path as text."""
    name = Path(path).name
    try:
        relative = os.path.relpath(path, os.getcwd())
    except ValueError:  # another drive
        relative = None
    if relative is None or relative.startswith(".."):
        return f'<span class="mlops-mono" title="{html.esc(path)}">{html.esc(name)}</span>'
    return f'<a href="{html.esc(relative)}" target="_blank" title="{html.esc(path)}">{html.esc(name)}</a>'


def _when(value: str | None) -> str | None:
    return value[:19].replace("T", " ") if value else None


def _schedules_html(schedules: list[dict]) -> str:
    if not schedules:
        return html.styled(html.note("No schedules: <code>%mlops monitor E --every 1h</code> or "
                                     "<code>%mlops schedule N --notebook PATH --every 1d</code>."), "panel-table")
    rows = [[s["id"], s["kind"], s["target"], s["trigger"], _when(s["next_run"]), _when(s["last_run"]),
             html.Raw(html.badge(s["last_status"], RUN_TONES.get(s["last_status"]))) if s["last_status"] else None,
             "yes" if s["enabled"] else "no (paused)"] for s in schedules]
    return html.styled("<h4>schedules</h4>" + html.table(
        ["schedule", "kind", "target", "trigger", "next run (UTC)", "last run (UTC)", "last status", "enabled"],
        rows), "panel-table")


def _runs_html(runs: list[dict]) -> str:
    if not runs:
        return html.styled(html.note("No runs yet."), "panel-table")
    rows, flagged = [], []
    for i, r in enumerate(runs):
        links = " ".join(notebook_link(p) for p in output_notebooks(r["result"]))
        rows.append([r["id"], r["schedule"], r["kind"], r["target"], html.Raw(html.badge(r["status"], RUN_TONES.get(r["status"]))),
                     _when(r["started"]), r["seconds"], html.Raw(links) if links else None, r["error"]])
        if r["status"] in ("failed", "violation", "gate_failed"):
            flagged.append(i)
    return html.styled("<h4>runs</h4>" + html.table(
        ["run", "schedule", "kind", "target", "status", "started (UTC)", "seconds", "output notebook", "error"],
        rows, flagged=flagged, numeric=[0, 6]), "panel-table")
