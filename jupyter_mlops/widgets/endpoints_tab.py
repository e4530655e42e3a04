"""Endpoints tab: every endpoint's status and last-minute figures; for the chosen one, live charts
of req/s, p50, p99 and error rate (sampled at each refresh), the rollout's progress, a weight
slider per production variant with Apply (``ws.traffic``), rollback and stop (both ask first), and
a deploy form whose deploy runs in the background with its elapsed time on the message line."""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import ipywidgets as w

from .._core import html
from .._core.listings import records
from .context import Context, button, set_html, set_options
from .sparkline import chart, figure_text

HISTORY = 60  # samples kept per endpoint: 3 minutes at the default interval
FIGURES = [("req/s", "req_per_s", "", 3), ("p50", "p50_ms", " ms", 3), ("p99", "p99_ms", " ms", 3),
           ("error rate", "error_rate", "", 2)]
STRATEGIES = [("new endpoint or replace", ""), ("canary", "canary"), ("linear", "linear"),
              ("blue/green", "blue_green"), ("shadow", "shadow"), ("A/B", "ab")]


class EndpointsTab:
    title = "Endpoints"
    part = "endpoints"

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.history: dict[str, deque] = {}
        self.table = w.HTML()
        self.endpoint = w.Dropdown(description="endpoint", options=[])
        self.status = w.HTML()
        self.charts = w.HTML()
        # the container is a .mlops-chart too: it stays in the page while each refresh replaces the
        # sparklines inside it, so a browser test can hold it and watch its content change
        for cls in ("mlops-panel-charts", "mlops-chart", "mlops-live-charts"):
            self.charts.add_class(cls)
        self.rollout_bar = w.FloatProgress(min=0, max=1, value=0, description="rollout",
                                           layout=w.Layout(display="none", width="420px"))
        self.rollout_text = w.HTML()
        self.sliders: dict[str, w.FloatSlider] = {}
        self.variants = w.VBox([])
        self.apply = button("Apply weights", "primary", "ws.traffic(endpoint, {variant: weight})", "sliders")
        self.rollback = button("Rollback", "warning", "abort the rollout, or undo the last change (asks first)", "undo")
        self.stop = button("Stop", "danger", "stop the endpoint's processes (asks first)", "stop")
        self.deploy_ref = w.Text(placeholder="churn:3 or churn@staging", description="deploy",
                                 layout=w.Layout(width="280px"))
        self.deploy_endpoint = w.Text(placeholder="endpoint", layout=w.Layout(width="140px"))
        self.deploy_strategy = w.Dropdown(options=STRATEGIES, value="", layout=w.Layout(width="200px"))
        self.deploy_percent = w.BoundedFloatText(value=10, min=0, max=100, description="percent",
                                                 style={"description_width": "initial"},
                                                 layout=w.Layout(width="150px"))
        self.deploy = button("Deploy", "primary", "ws.deploy(ref, endpoint, strategy=…, percent=…)", "rocket")
        self._shown: tuple | None = None  # (endpoint, ((variant, weight), …)) the sliders were set from

        self.apply.on_click(lambda _: self._apply())
        self.rollback.on_click(lambda _: self._rollback())
        self.stop.on_click(lambda _: self._stop())
        self.deploy.on_click(lambda _: self._deploy())
        self.endpoint.observe(lambda _: self.ctx.poke(), "value")

        buttons = w.HBox([self.apply, self.rollback, self.stop])
        buttons.add_class("mlops-panel-row")
        deploy_row = w.HBox([self.deploy_ref, self.deploy_endpoint, self.deploy_strategy, self.deploy_percent,
                             self.deploy])
        deploy_row.add_class("mlops-panel-row")
        self.widget = w.VBox([self.table, self.endpoint, self.status, self.charts, self.rollout_bar,
                              self.rollout_text, self.variants, buttons, deploy_row])
        self.widget.add_class("mlops-panel-endpoints")

    # -- reading --------------------------------------------------------------------------------
    def refresh(self) -> None:
        listing = records("endpoints", self.ctx.ws.endpoints(all=True))  # a stopped one stays selectable
        now = time.time()
        for row in listing:
            if row["status"] in ("running", "updating"):
                self.history.setdefault(row["name"], deque(maxlen=HISTORY)).append(
                    {"t": now, **{key: row[key] for _, key, _, _ in FIGURES}})
        names = [row["name"] for row in listing]
        name = self.endpoint.value if self.endpoint.value in names else (names[0] if names else None)
        info = self.ctx.ws.endpoint(name).info() if name else None
        with self.ctx.lock:
            set_html(self.table, _listing_html(listing))
            set_options(self.endpoint, [(n, n) for n in names], keep=name)
            if self.deploy_endpoint.value == "" and name:
                self.deploy_endpoint.value = name
            self._show(info, next((r for r in listing if r["name"] == name), None))

    def _show(self, info: Any, row: dict | None) -> None:
        if info is None:
            set_html(self.status, html.styled(html.note(
                "No endpoints yet: deploy a version below, or <code>%mlops deploy REF --endpoint E</code>."),
                "panel-status"))
            set_html(self.charts, "")
            self.rollout_bar.layout.display = "none"
            set_html(self.rollout_text, "")
            self._set_sliders(None)
            return
        reason = f" {html.esc(info.status_reason)}" if info.status_reason else ""
        url = f' <span class="mlops-mono">{html.esc(info.url)}</span>' if info.url else ""
        set_html(self.status, html.styled(f"<h3>{html.esc(info.name)} {html.badge(info.status)}{url}</h3>"
                                          f'<div class="mlops-meta">{reason}</div>', "panel-status"))
        samples = list(self.history.get(info.name, ()))
        boxes = []
        for title, key, unit, digits in FIGURES:
            values = [s[key] for s in samples]
            latest = (row or {}).get(key)
            alert = key == "error_rate" and bool(latest)
            boxes.append(chart(title, values, figure_text(latest, unit, digits), alert))
        set_html(self.charts, '<div class="mlops mlops-spark-row">' + "".join(boxes) + "</div>")
        self._show_rollout(info.rollout)
        self._set_sliders(info)

    def _show_rollout(self, rollout: dict | None) -> None:
        if not rollout:
            self.rollout_bar.layout.display = "none"
            set_html(self.rollout_text, "")
            return
        steps = rollout.get("steps") or [100]
        step = int(rollout.get("step") or 0)
        status = str(rollout.get("status"))
        fraction = 0.0
        if status == "baking" and rollout.get("bake") and rollout.get("step_started_at"):
            fraction = min(1.0, (time.time() - rollout["step_started_at"]) / rollout["bake"])
        done = status != "baking"
        with self.rollout_bar.hold_sync():
            self.rollout_bar.value = 1.0 if done else (step + fraction) / len(steps)
            self.rollout_bar.bar_style = {"completed": "success", "rolled_back": "danger"}.get(status, "info")
            self.rollout_bar.layout.display = "flex"
        share = steps[min(step, len(steps) - 1)]
        text = (f"{rollout.get('strategy')} of {rollout.get('variant')}: step {min(step + 1, len(steps))} of "
                f"{len(steps)} ({share:g}%), {status}")
        if rollout.get("reason"):
            text += f": {rollout['reason']}"
        set_html(self.rollout_text, html.styled(html.note(html.esc(text)), "panel-rollout"))

    def _set_sliders(self, info: Any) -> None:
        """One slider per production variant. They are rebuilt when the variants change and reset
        when the weights change on the endpoint (another kernel, a rollout step); otherwise a
        slider the user moved keeps its place until Apply."""
        variants = info.variants if info else []
        production = [v for v in variants if v.get("role") != "shadow"]
        shown = (info.name if info else None, tuple((v["name"], float(v.get("weight") or 0)) for v in production))
        if shown == self._shown:
            return
        previous, self._shown = self._shown, shown
        if previous is not None and previous[0] == shown[0] and [n for n, _ in previous[1]] == [n for n, _ in shown[1]]:
            for variant, weight in shown[1]:
                slider = self.sliders[variant]
                with slider.hold_sync():
                    slider.max = max(slider.max, weight)
                    slider.value = weight
            return
        self.sliders = {variant: w.FloatSlider(
            value=weight, min=0, max=max(100.0, weight), step=1, description=variant, readout_format=".0f",
            continuous_update=False, style={"description_width": "initial"}, layout=w.Layout(width="420px"))
            for variant, weight in shown[1]}
        notes = [w.HTML(html.styled(html.note(f"{html.esc(v['name'])} ({html.esc(v.get('ref'))}): shadow, takes "
                                              "copies of requests, no traffic"), "panel-shadow"))
                 for v in variants if v.get("role") == "shadow"]
        self.variants.children = [*self.sliders.values(), *notes]

    # -- actions --------------------------------------------------------------------------------
    def _name(self) -> str | None:
        if not self.endpoint.value:
            self.ctx.message.show("error", "Choose an endpoint first.")
        return self.endpoint.value

    def _apply(self) -> None:
        name = self._name()
        if name:
            weights = {variant: float(slider.value) for variant, slider in self.sliders.items()}
            self.ctx.actions.run(f"traffic {name} " + " ".join(f"{k}={v:g}" for k, v in weights.items()),
                                 lambda: self.ctx.ws.traffic(name, weights))

    def _rollback(self) -> None:
        name = self._name()
        if name:
            self.ctx.confirm.ask(f"Roll back endpoint {name}? The rollout in progress is aborted, or the last "
                                 "change undone.", "Roll back",
                                 lambda: self.ctx.actions.run(f"rollback {name}", lambda: self.ctx.ws.rollback(name)))

    def _stop(self) -> None:
        name = self._name()
        if name:
            self.ctx.confirm.ask(f"Stop endpoint {name}? Its processes end; in-flight requests drain.", "Stop",
                                 lambda: self.ctx.actions.run(f"stop {name}", lambda: self.ctx.ws.stop(name)))

    def _deploy(self) -> None:
        ref, name = self.deploy_ref.value.strip(), self.deploy_endpoint.value.strip()
        strategy = self.deploy_strategy.value or None
        percent = float(self.deploy_percent.value) if strategy in ("canary", "linear", "shadow", "ab") else None
        label = f"deploy {ref} to {name}" + (f" ({strategy} {percent:g}%)" if percent is not None else
                                               f" ({strategy})" if strategy else "")

        def shown(_endpoint) -> None:
            with self.ctx.lock:
                self.endpoint.value = name if name in self.endpoint.options else self.endpoint.value
        self.ctx.actions.run(label, lambda: self.ctx.ws.deploy(ref, name, strategy=strategy, percent=percent), shown)


def _listing_html(listing: list[dict]) -> str:
    if not listing:
        return ""
    rows = [[r["name"], html.Raw(html.badge(r["status"])), r["variants"] or None, r["req_per_s"], r["p50_ms"],
             r["p99_ms"], r["error_rate"], r["url"]] for r in listing]
    flagged = [i for i, r in enumerate(listing) if r["status"] == "failed" or (r["error_rate"] or 0) > 0]
    return html.styled(html.table(["endpoint", "status", "variants", "req/s", "p50 ms", "p99 ms", "error rate", "url"],
                                  rows, flagged=flagged, numeric=[3, 4, 5, 6]), "panel-table")
