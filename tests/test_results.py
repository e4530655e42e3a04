"""Results as wire models: every result type is a ``Result`` whose ``to_dict`` is strict JSON,
whose HTML carries the one stylesheet and whose repr is short; every listing's real DataFrame has
the columns ``listings.LISTINGS`` documents and its ``records`` are strict JSON.

One workspace serves the module: a registered model with data, a dataset, monitoring reports, a
real endpoint with captured traffic, a monitor schedule that ran once, and a batch job."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import time
from html.parser import HTMLParser

import httpx
import numpy as np
import pandas as pd
import pytest

import jupyter_mlops
from jupyter_mlops._core import html
from jupyter_mlops._core.listings import JSON_TYPES, LISTINGS, records
from jupyter_mlops._core.pipelines.gate import parse_gate
from jupyter_mlops._core.results import Result, jsonable

#: exported result types made outside ``world`` (none left)
CONVERTED_ELSEWHERE: set[str] = set()
INPUTS = ["tenure", "monthly", "support_calls"]


def strict_json(value) -> str:
    return json.dumps(value, allow_nan=False)


def exported_result_types() -> dict[str, type]:
    out = {}
    for name in jupyter_mlops.__all__:
        obj = getattr(jupyter_mlops, name)
        if isinstance(obj, type) and callable(getattr(obj, "_repr_html_", None)):
            out[name] = obj
    return out


def _wait_for(condition, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    return None


def _retraining_notebook(path):
    """The smallest retraining notebook: a parameter, and an output the run records."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell("rows = 1")
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell("import jupyter_mlops as mlops\nmlops.output('rows', rows)")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, str(path))
    return path


def _reproducible_notebook(path):
    """A seeded notebook that registers a version: a run of it reproduces."""
    import nbformat

    nb = nbformat.read(str(_retraining_notebook(path)), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import numpy as np, pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
        "X = pd.DataFrame(np.random.default_rng(0).normal(size=(40, 2)), columns=['a', 'b'])\n"
        "y = (X.a > X.b).astype(int)\n"
        "mlops.Workspace().register(LogisticRegression().fit(X, y), 'reproducible', data=X, target=y, "
        "metrics={'rows': rows})"))
    nbformat.write(nb, str(path))
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory, numeric_data, clf):
    """Real results and real listing frames from one workspace; its endpoint is stopped by pid."""
    from jupyter_mlops._core.scheduler.runner import run_schedule
    from jupyter_mlops._core.serving.control import processes as process
    from jupyter_mlops._core.serving.control.results import ShadowReport

    root = tmp_path_factory.mktemp("results")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLOPS_HOME", str(root / ".mlops"))
        for var in ("MLOPS_DB_URL", "MLOPS_ARTIFACTS"):
            mp.delenv(var, raising=False)
        ws = jupyter_mlops.Workspace(root / ".mlops")
        X, y = numeric_data
        shifted = X.assign(monthly=X.monthly + 60, support_calls=X.support_calls * 4)
        results: dict[str, object] = {}
        frames: dict[str, pd.DataFrame] = {}
        v1 = ws.register(clf, "churn", data=X, target=y, metrics={"auc": 0.9}, params={"C": 1.0})
        ws.register(clf, "churn", data=X.iloc[:200], target=y.iloc[:200], metrics={"auc": 0.8})
        ep = ws.deploy("churn:1", "churn", capture=100)
        try:
            results["ModelVersion"] = v1
            results["DatasetVersion"] = ws.save_dataset(X.assign(churned=y), "churn-train")
            results["Policy"] = ws.policy()
            results["WorkspaceStatus"] = ws.status()
            results["TrustedKey"] = ws.signing_key()
            results["AuditCheck"] = ws.verify_audit()
            results["Baseline"] = ws.baseline("churn:1")
            results["MonitoringReport"] = ws.check("churn:1", data=shifted)
            results["DriftReport"] = ws.drift(X, shifted)
            results["QualityReport"] = ws.quality("churn:1", ground_truth=y, data=shifted)
            facet = X.assign(senior=(X.tenure > 50).astype(float))
            results["BiasReport"] = ws.bias("churn:1", facet, y, facet="senior", facet_value=1.0)
            results["AttributionReport"] = ws.attribution_drift("churn:1", shifted)
            results["ConceptDriftReport"] = ws.concept_drift("churn:1", ground_truth=y, data=shifted)

            httpx.post(f"{ep.url}/invocations", json={"instances": X.iloc[:40].to_numpy().tolist()},
                       timeout=30).raise_for_status()
            assert _wait_for(lambda: len(ws.captured("churn")) >= 40), "no captured traffic"
            results["Endpoint"] = ws.endpoint("churn").info()
            results["RolloutWatch"] = ws.watch("churn")  # no rollout: at once, with the endpoint's state
            results["ShadowReport"] = ws.shadow_report("churn")
            results["EndpointHistory"] = ws.endpoint_history("churn", last="15 min")
            first_request = ws.captured("churn")["event_id"].iloc[0]
            results["GroundTruthUpload"] = ws.ground_truth("churn", {first_request: 1, "never-captured": 0})
            results["Replay"] = ws.replay("churn:2", "churn")
            results["GateVerdict"] = parse_gate("auc >= production.auc and replay.agreement > 0.9").evaluate(
                ws.get("churn:2"), ws.registry, replay=results["Replay"])
            results["Schedule"] = ws.monitor("churn", every="1h", since="1h")
            run_schedule(ws.scheduler, ws.job_context(), "monitor-churn")
            # by hand, right after: no new traffic, so the run is recorded skipped (no report)
            results["ScheduledRun"] = ws.run_now("monitor-churn")
            results["DriftHistory"] = ws.drift_history("churn")
            results["SchedulerStatus"] = ws.scheduler_status()
            results["Run"] = ws.retrain("churn", str(_retraining_notebook(root / "retrain.ipynb")),
                                        parameters={"rows": 2})
            results["Sweep"] = ws.sweep("churn", str(root / "retrain.ipynb"), grid={"rows": [1, 2]}, workers=2)
            ws.retrain("reproducible", str(_reproducible_notebook(root / "reproducible.ipynb")))
            results["Reproduction"] = ws.reproduce("reproducible:1")
            results["AuditAnchor"] = ws.audit_anchor()
            X.to_csv(root / "in.csv", index=False)
            results["BatchJob"] = ws.batch("churn:1", str(root / "in.csv"), str(root / "out.csv"))
            # a shadow that saw no traffic: its agreement and latencies are NaN
            results["ShadowReport (no traffic)"] = ShadowReport("churn", [], [{
                "variant": "shadow", "requests": 0, "errors": 0, "rows": 0, "agreement": float("nan"),
                "mean_abs_diff": float("inf"), "shadow_p50_ms": np.float64("nan"), "shadow_p99_ms": None,
                "production_p50_ms": 1.5, "production_p99_ms": 3.0}])

            frames["models"] = ws.models()
            frames["versions"] = ws.versions("churn")
            frames["datasets"] = ws.datasets()
            frames["audit"] = ws.audit()
            frames["diff"] = ws.diff("churn:1", "churn:2")
            frames["endpoints"] = ws.endpoints()
            frames["captured"] = ws.captured("churn")
            frames["schedules"] = ws.schedules()
            frames["runs"] = ws.runs()
            frames["reports"] = ws.reports()
            results["MonitoringReport (kept)"] = ws.report(int(frames["reports"].index[0]))
            yield results, frames
        finally:
            try:
                ws.stop("churn")
            finally:
                if ep.pid and process.is_endpoint_process(ep.pid):
                    process.stop_pid(ep.pid, timeout=15)
                ws.store.dispose()


# -- Result -------------------------------------------------------------------------------------

def test_every_exported_result_type_is_a_result():
    types = exported_result_types()
    assert {"ModelVersion", "DriftReport", "Endpoint", "BatchJob", "Schedule"} <= set(types)
    for name, cls in types.items():
        if name not in CONVERTED_ELSEWHERE:
            assert issubclass(cls, Result), name


def test_every_result_type_is_made_for_real_here(world):
    results, _ = world
    made = {type(r).__name__ for r in results.values()}
    assert set(exported_result_types()) - CONVERTED_ELSEWHERE <= made


def test_to_dict_is_strict_json(world):
    results, _ = world
    for name, r in results.items():
        d = r.to_dict()
        assert isinstance(d, dict), name
        assert json.loads(strict_json(d)) == d, name
        assert json.loads(r.to_json()) == d, name


def test_html_carries_the_one_stylesheet_once(world):
    results, _ = world
    for name, r in results.items():
        out = r._repr_html_()
        assert out.startswith(f'<div class="{html.ROOT_CLASS} '), name
        assert out.count("<style>") == 1 and html.CSS in out, name


def test_repr_is_short(world):
    results, _ = world
    for name, r in results.items():
        text = repr(r)
        lines = text.splitlines()
        assert 1 <= len(lines) <= 6 and max(map(len, lines)) <= 400, (name, text)


def test_to_frame_is_a_dataframe(world):
    results, _ = world
    for name, r in results.items():
        assert isinstance(r.to_frame(), pd.DataFrame), name


def test_the_keys_users_rely_on_stay(world):
    results, _ = world
    assert results["ModelVersion"].to_dict()["ref"] == "churn:1"
    for name in ("MonitoringReport", "DriftReport", "Baseline", "QualityReport"):
        d = results[name].to_dict()
        assert d["report"] == name and d["status"] == results[name].status() and d["summary"], name
    assert results["BatchJob"].to_dict()["rows_per_second"] > 0
    schedule = results["Schedule"].to_dict()
    assert schedule["id"] == "monitor-churn"
    assert "window_start" not in schedule and "scheduler_running" not in schedule
    assert bool(results["AuditCheck"]) is True
    assert results["MonitoringReport"].to_dict()["drift"]["report"] == "DriftReport"
    run = results["Run"].to_dict()
    assert run["status"] == "succeeded" and run["kind"] == "retrain" and run["parameters"] == {"rows": 2}
    assert run["steps"][0]["outputs"]["rows"]["value"] == 2 and run["metrics"] == {"rows": 2.0}
    sweep = results["Sweep"].to_dict()
    assert sweep["status"] == "succeeded" and sweep["metric"] == "rows" and sweep["best_trial"] == 2
    assert [t["parameters"] for t in sweep["trials"]] == [{"rows": 1}, {"rows": 2}]
    reproduction = results["Reproduction"].to_dict()
    assert reproduction["status"] == "PASS" and reproduction["reproduced_as"] == "reproducible:2"
    assert [c["name"] for c in reproduction["checks"]] == ["run", "data", "metrics", "predictions"]


def test_nan_and_infinity_become_null(world):
    results, _ = world
    shadow = results["ShadowReport (no traffic)"].to_dict()["shadows"][0]
    assert shadow["agreement"] is None and shadow["mean_abs_diff"] is None and shadow["shadow_p50_ms"] is None


def test_results_stay_frozen_and_comparable(world):
    import dataclasses

    results, _ = world
    v = results["ModelVersion"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.version = 2
    assert v == dataclasses.replace(v) and hash(results["Policy"]) == hash(jupyter_mlops.Policy())


def test_standalone_report_pages_embed_the_stylesheet(world, tmp_path):
    results, _ = world
    page = results["DriftReport"].to_html()
    assert page.startswith("<!DOCTYPE html>") and html.CSS in page and "http" not in page.split("<body")[0]


def test_jsonable_makes_strict_json_of_numpy_pandas_and_time():
    value = {
        1: np.int64(3), "f": np.float32(0.5), "nan": float("nan"), "inf": -math.inf, "b": np.bool_(True),
        "arr": np.array([[1.0, np.nan], [np.inf, 2.0]]), "t": dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone.utc),
        "ts": pd.Timestamp("2024-05-01T12:00Z"), "nat": pd.NaT, "na": pd.NA, "d": dt.date(2024, 5, 1),
        "np_t": np.datetime64("2024-05-01T12:00:00"), "gap": dt.timedelta(minutes=2), "set": {1},
        "series": pd.Series([1.0, None]), "odd": object,
    }
    out = jsonable(value)
    strict_json(out)
    assert out["1"] == 3 and out["f"] == 0.5 and out["nan"] is None and out["inf"] is None and out["b"] is True
    assert out["arr"] == [[1.0, None], [None, 2.0]]
    assert out["t"] == out["ts"] == "2024-05-01T12:00:00+00:00" and out["nat"] is None and out["na"] is None
    assert out["d"] == "2024-05-01" and out["np_t"] == "2024-05-01T12:00:00" and out["gap"] == 120.0
    assert out["set"] == [1] and out["series"] == [1.0, None] and isinstance(out["odd"], str)


# -- listings -----------------------------------------------------------------------------------

def _frame_columns(name: str, frame: pd.DataFrame) -> list[str]:
    return [str(c) for c in (frame.reset_index() if LISTINGS[name].indexed else frame).columns]


def test_every_listing_verb_is_documented():
    assert set(LISTINGS) == {"models", "versions", "datasets", "audit", "diff", "endpoints", "captured",
                             "schedules", "runs", "reports"}
    for name, listing in LISTINGS.items():
        for column in (*listing.columns, *([listing.more] if listing.more else [])):
            assert column.type in JSON_TYPES and column.meaning, (name, column)
        assert callable(getattr(jupyter_mlops.Workspace, listing.verb.split(".")[1].split("(")[0]))


def test_real_frames_have_exactly_the_documented_columns(world):
    _, frames = world
    decided_by_the_data = {"versions": ["auc"], "diff": ["churn:1", "churn:2"], "captured": INPUTS}
    for name, frame in frames.items():
        assert len(frame), name
        listing = LISTINGS[name]
        columns = _frame_columns(name, frame)
        assert [c for c in columns if c in listing.names] == listing.names, name
        assert [c for c in columns if c not in listing.names] == decided_by_the_data.get(name, []), name


def test_records_are_strict_json_with_utc_times_and_integers(world):
    _, frames = world
    for name, frame in frames.items():
        listing = LISTINGS[name]
        rows = records(name, frame)
        assert len(rows) == len(frame), name
        assert json.loads(strict_json(rows)) == rows, name
        assert list(rows[0]) == _frame_columns(name, frame), name
        for column in listing.columns:
            for row in rows:
                value = row[column.name]
                if value is None:
                    assert column.nullable, (name, column.name)
                elif column.type == "date-time":
                    assert dt.datetime.fromisoformat(value).utcoffset() == dt.timedelta(0), (name, column.name)
                elif column.type == "integer":
                    assert isinstance(value, int) and not isinstance(value, bool), (name, column.name)
                elif column.type == "number":
                    assert isinstance(value, (int, float)) and not isinstance(value, bool), (name, column.name)
                elif column.type in ("string", "boolean", "object"):
                    kind = {"string": str, "boolean": bool, "object": dict}[column.type]
                    assert isinstance(value, kind), (name, column.name, value)


def test_records_of_an_indexed_listing_start_with_the_index(world):
    _, frames = world
    rows = records("versions", frames["versions"])
    assert [r["version"] for r in rows] == [1, 2] and rows[0]["auc"] == 0.9
    assert records("schedules", frames["schedules"])[0]["id"] == "monitor-churn"


def test_records_fill_documented_columns_a_frame_lacks():
    rows = records("endpoints", pd.DataFrame([{"name": "e", "status": "stopped", "pid": float("nan")}]))
    assert rows == [{"name": "e", "status": "stopped", "pid": None,
                     **{c: None for c in LISTINGS["endpoints"].names if c not in ("name", "status", "pid")}}]


def test_a_new_result_type_gets_every_form_from_the_base():
    import dataclasses

    from jupyter_mlops._core.results import NOT_ON_THE_WIRE

    @dataclasses.dataclass(frozen=True, repr=False)
    class Probe(Result):
        name: str
        when: dt.datetime
        score: float
        local: object = dataclasses.field(default=None, metadata=NOT_ON_THE_WIRE)

    p = Probe("p", dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc), float("nan"), local=object())
    assert p.to_dict() == {"name": "p", "when": "2024-01-02T00:00:00+00:00", "score": None}
    assert list(p.to_frame().columns) == ["name", "when", "score"]
    assert "Probe" in p._repr_html_() and p._repr_html_().count("<style>") == 1
    assert repr(p) == "<Probe name=p when=2024-01-02T00:00:00+00:00 score=—>"


# --- the one HTML kit: classes, colours and specificity (issue 11, point 1) ---------------------

_SVG = re.compile(r"<svg\b.*?</svg>", re.S)
_STYLE = re.compile(r"<style>.*?</style>", re.S)
_KIT_CLASSES = set(re.findall(r"\.(mlops[\w-]*)", html.CSS))
_COLOUR_ATTRS = {"style", "color", "bgcolor", "fill", "stroke", "background"}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(markup: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(markup)
    return parser.tags


def test_every_result_uses_only_the_kits_classes_and_no_colour_of_its_own(world):
    """Outside the one stylesheet and the charts, a result's HTML is tags and the kit's classes:
    no inline style, no colour attribute, no class the stylesheet does not define."""
    results, _ = world
    for name, r in results.items():
        markup = _SVG.sub("", _STYLE.sub("", r._repr_html_()))
        (root_tag, root), *rest = _tags(markup)
        assert root_tag == "div" and root["class"].split()[0] == html.ROOT_CLASS, name
        for tag, attrs in rest:
            assert not _COLOUR_ATTRS & set(attrs), (name, tag, attrs)
            for cls in (attrs.get("class") or "").split():
                assert cls in _KIT_CLASSES, (name, tag, cls)


def test_charts_draw_in_the_themes_colours(world):
    """Every colour in a chart is the page's text colour, a kit's series colour (a CSS variable
    with its fallback) or none: a dark theme redraws titles, ticks, legends and series light."""
    results, _ = world
    charted = {n: r._repr_html_() for n, r in results.items() if "<svg" in r._repr_html_()}
    assert {"DriftReport", "MonitoringReport", "QualityReport", "Sweep"} <= set(charted)
    for name, out in charted.items():
        for svg in _SVG.findall(out):
            colours = set(re.findall(r"(?:fill|stroke)(?::\s*|=\")([^;\"]+)", svg))
            assert colours, name
            for colour in colours:
                assert colour in ("none", "currentColor") or re.fullmatch(
                    r"var\(--mlops-chart-[a-z]+,#[0-9a-f]{6}\)", colour), (name, colour)


def _contrast(a: str, b: str) -> float:
    def lum(hex_: str) -> float:
        def ch(v: float) -> float:
            v /= 255
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
        r, g, b_ = (int(hex_[i:i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b_)

    x, y = lum(a), lum(b)
    return (max(x, y) + 0.05) / (min(x, y) + 0.05)


def test_the_palette_meets_wcag_aa_in_both_themes():
    """Badges are white on their tone in every theme; tone and muted text meet 4.5:1 on the
    themes' page colours (JupyterLab Light #ffffff, JupyterLab Dark #111111). The browser test
    measures the rendered page; this catches a palette edit before it."""
    for tone, colour in html._BADGE.items():
        assert _contrast(colour, "#ffffff") >= 4.5, tone

    def palette(block: str) -> dict[str, str]:
        return dict(re.findall(r"--mlops-(muted|ok|bad|warn|info):(#[0-9a-f]{6})", block))

    for block, page in ((html._LIGHT, "#ffffff"), (html._DARK, "#111111")):
        colours = palette(block)
        assert set(colours) == {"muted", "ok", "bad", "warn", "info"}
        for name, colour in colours.items():
            assert _contrast(colour, page) >= 4.5, (name, colour, page)


def test_the_stylesheet_outranks_the_hosts_table_rules_and_falls_back_outside_jupyterlab():
    """JupyterLab's ``:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon th`` (right-aligned) and
    ``.jp-RenderedHTMLCommon tbody tr:nth-child(odd)`` (striped) are (0,2,x): every rule of the kit
    that styles a table part starts with the triple class, (0,3,x). Every JupyterLab variable has a
    fallback for the classic notebook, VS Code and exported pages; a dark JupyterLab or VS Code
    switches the palette."""
    assert html.SCOPE == ".mlops.mlops.mlops"
    for rule in re.findall(r"([^{}]+)\{[^}]*\}", html.CSS):
        for selector in rule.split(","):
            if re.search(r"\b(table|thead|tbody|tr|th|td)\b", selector):
                assert selector.strip().startswith(html.SCOPE), selector
    assert not re.search(r"var\(--jp-[\w-]+\)", html.CSS)
    assert '[data-jp-theme-light="false"] .mlops' in html.CSS and ".vscode-dark .mlops" in html.CSS
