"""Listings show as formatted tables (figures rounded with units, relative times with the exact
time on hover, badges, links, "no traffic yet") while their values stay raw (``to_frame()``);
``endpoints()`` hides stopped endpoints unless ``all=True``; ``versions(name)`` charts each metric
across the versions."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal

import pandas as pd
import pytest

from jupyter_mlops._core import listing_cells
from jupyter_mlops._core.listing_frame import ListingFrame

AGO = re.compile(r'<time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC">(now|\d+ (s|min) ago)</time>')


def test_a_listing_shows_rounded_figures_badges_and_relative_times_but_keeps_raw_values(ws, clf):
    ws.register(clf, "churn", metrics={"auc": 0.812345678}, description="first try")
    ws.register(clf, "churn", metrics={"auc": 0.841234567})
    ws.approve("churn:2", comment="better auc")
    ws.promote("churn:2", "production")

    versions = ws.versions("churn")
    html = versions._repr_html_()
    assert "0.8412" in html and "0.841234567" not in html                 # rounded
    assert 'class="mlops-badge mlops-ok">Approved<' in html                 # a badge
    assert AGO.search(html)                                                  # "12 s ago", exact time on hover
    raw = versions.to_frame()
    assert type(raw) is pd.DataFrame and not isinstance(raw, ListingFrame)
    assert raw.loc[2, "auc"] == 0.841234567 and raw.loc[1, "auc"] == 0.812345678
    assert raw.loc[2, "created_at"] == ws.get("churn:2").created_at
    assert raw.loc[2, "approval"] == "Approved"

    models = ws.models()
    assert AGO.search(models._repr_html_()) and "first try" in models._repr_html_()
    assert models.to_frame().loc[0, "updated_at"] == models.loc[0, "updated_at"]  # the same raw value


def test_the_text_table_has_the_same_figures_and_times_to_the_second(ws, clf):
    ws.register(clf, "churn", metrics={"auc": 0.812345678})
    text = ws.versions("churn").to_text()
    assert "0.8123" in text and "0.812345678" not in text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?![.\d])", text)     # no microseconds
    assert "PendingManualApproval" in text


def test_figures_carry_their_units_and_times_read_relative_to_now():
    now = dt.datetime(2026, 11, 28, 12, 0, 0, tzinfo=dt.timezone.utc)
    assert listing_cells.relative(now - dt.timedelta(minutes=5, seconds=10), now) == "5 min ago"
    assert listing_cells.relative(now - dt.timedelta(seconds=12), now) == "12 s ago"
    assert listing_cells.relative(now + dt.timedelta(hours=3), now) == "in 3 h"
    assert listing_cells.relative(now - dt.timedelta(days=1), now) == "1 day ago"
    assert listing_cells.relative(now - dt.timedelta(days=30), now) == "2026-10-29"
    row = {"status": "running"}
    cell = lambda name, value: listing_cells.cell(None, name, value, row, now)  # noqa: E731
    assert cell("rss_mb", 212.511719) == "212.5 MB"
    assert cell("p99_ms", 3.2149) == "3.2 ms"
    assert cell("req_per_s", 12.4444) == "12.4 req/s"
    assert cell("error_rate", 0.0123) == "1.2 %"
    assert cell("cpu_percent", 3.14159) == "3.1 %"
    assert 'title="no traffic yet"' in cell("p50_ms", None)
    assert 'title="no traffic yet"' not in listing_cells.cell(None, "p50_ms", None, {"status": "stopped"}, now)
    assert cell("url", "http://127.0.0.1:8080") == ('<a href="http://127.0.0.1:8080" target="_blank" '
                                                    'rel="noopener">http://127.0.0.1:8080</a>')
    assert listing_cells.text(None, "rss_mb", 212.511719) == "212.5 MB"
    assert listing_cells.text(None, "created_at", now) == "2026-11-28 12:00:00"


def test_a_stopped_endpoint_is_hidden_unless_all_and_a_running_one_shows_units_and_no_traffic_yet(ws, clf,
                                                                                                 numeric_data):
    from jupyter_mlops._core.serving.control.processes import is_endpoint_process

    X, y = numeric_data
    ws.register(clf, "churn", data=X, target=y)
    ep = ws.deploy("churn:1", "listed")
    try:
        listing = ws.endpoints()
        row = listing.set_index("name").loc["listed"]
        html = listing._repr_html_()
        assert row["status"] == "running" and row["rss_mb"] > 0
        assert re.search(r">[\d,]+\.\d MB<", html)                                # rounded, with its unit
        assert 'class="mlops-badge mlops-ok">running<' in html
        assert f'<a href="{ep.url}"' in html
        if pd.isna(row["p50_ms"]):  # nothing served yet: a dash that says why
            assert 'title="no traffic yet"' in html
        assert listing.to_frame().loc[0, "rss_mb"] == row["rss_mb"]             # raw, not rounded
        assert " MB" in listing.to_text()
        ws.stop("listed")
        assert "listed" not in list(ws.endpoints()["name"])
        everything = ws.endpoints(all=True)
        assert everything.set_index("name").loc["listed", "status"] == "stopped"
        shown = everything._repr_html_()
        assert 'class="mlops-badge mlops-muted">stopped<' in shown and f'<a href="{ep.url}"' not in shown
    finally:
        if is_endpoint_process(ep.pid):
            os.kill(ep.pid, signal.SIGKILL)


def test_versions_chart_each_metric_across_versions_once_two_have_it(ws, clf):
    ws.register(clf, "churn", metrics={"auc": 0.81, "f1": 0.70})
    assert "<svg" not in ws.versions("churn")._repr_html_()      # one version: nothing to chart
    ws.register(clf, "churn", metrics={"auc": 0.84, "f1": 0.72})
    ws.register(clf, "churn", metrics={"auc": 0.83})
    ws.approve("churn:2")
    ws.promote("churn:2", "production")
    html = ws.versions("churn")._repr_html_()
    assert html.count("<svg") == 2                                # auc and f1
    assert "@production" in html and "version" in html
    assert "<svg" not in repr(ws.versions("churn"))               # drawn only for a notebook
    ws.register(clf, "other", metrics={"auc": 0.5})
    ws.register(clf, "other", metrics={"auc": 0.6})
    assert "<svg" not in ws.versions()._repr_html_()              # several models share no axis


def test_what_is_derived_from_a_listing_is_a_plain_dataframe(ws, clf):
    ws.register(clf, "churn")
    models = ws.models()
    assert isinstance(models, pd.DataFrame)
    for derived in (models.set_index("name"), models[models["versions"] > 0], models.copy(), models.head(1)):
        assert type(derived) is pd.DataFrame


@pytest.mark.parametrize("verb", ["models", "datasets", "audit", "schedules", "runs", "reports", "endpoints"])
def test_every_listing_shows_formatted_even_when_empty(ws, verb):
    frame = getattr(ws, verb)()
    assert isinstance(frame, ListingFrame) and frame.listing == verb
    assert 'class="mlops mlops-listing"' in frame._repr_html_()
    assert frame.to_text() == "(none)" or verb == "audit"
