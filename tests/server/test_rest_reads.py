"""Each GET route of the REST API answers with the workspace's records: the results' ``to_dict()``
or the listings' documented record forms, the same the Python API returns."""

from __future__ import annotations

from urllib.parse import quote

from jupyter_mlops._core.listings import LISTINGS, records


def test_summary_is_a_sidebars_full_render_in_one_call(world):
    api, ws, root = world
    body = api.get("summary").json()
    assert body["workspace"] == str(ws.home) == str(root / ".mlops")
    assert {m["name"] for m in body["models"]} >= {"churn", "fraud", "ranker", "spare"}
    assert [e["name"] for e in body["endpoints"] if e["status"] == "running"] == ["churn"]
    assert "monitor-churn" in {s["id"] for s in body["schedules"]}
    assert body["runs"] and body["reports"] and body["reports"][0]["endpoint"] == "churn"


def test_models_and_versions_are_the_listing_records(world):
    api, ws, _ = world
    assert api.get("models").json() == {"models": records("models", ws.models())}
    versions = api.get("models/churn/versions").json()["versions"]
    assert [v["version"] for v in versions] == [1, 2] and versions[1]["auc"] == 0.82
    assert list(versions[0])[:len(LISTINGS["versions"].names)] == LISTINGS["versions"].names


def test_a_version_by_any_reference_is_its_to_dict(world):
    api, ws, _ = world
    assert api.get("versions/" + quote("churn:1", safe="")).json() == ws.get("churn:1").to_dict()
    assert api.get("versions/churn:2").json()["ref"] == "churn:2"
    assert api.get("versions/churn").json()["version"] == 2  # the latest


def test_a_versions_card_is_a_standalone_themed_page(world):
    api, _, _ = world
    r = api.get("versions/churn:1/html")
    assert r.headers["content-type"].startswith("text/html")
    assert r.text.startswith("<!DOCTYPE html>") and "churn" in r.text and "var(--jp-" in r.text
    assert "default-src 'none'" in r.headers["content-security-policy"]


def test_endpoints_carry_their_live_metrics(world):
    api, ws, _ = world
    listed = api.get("endpoints").json()["endpoints"]
    churn = next(e for e in listed if e["name"] == "churn")
    assert churn["status"] == "running" and churn["url"] == ws.endpoint("churn").url
    assert set(churn["metrics"]) == {"req_per_s", "p50_ms", "p99_ms", "error_rate", "cpu_percent", "rss_mb"}
    one = api.get("endpoints/churn").json()
    assert one["name"] == "churn" and one["variants"][0]["ref"] == "churn:1"
    assert set(one["metrics"]) == {"total", "last_minute"}
    assert one["metrics"]["total"]["churn-v1"]["requests"] >= 1


def test_reports_list_the_latest_and_open_by_id(world):
    api, ws, _ = world
    listed = api.get("reports").json()["reports"]
    assert listed == records("reports", ws.reports())
    assert api.get("reports?endpoint=churn&limit=1").json()["reports"] == listed[:1]
    assert api.get("reports?endpoint=nothing-here").json() == {"reports": []}
    first = listed[-1]
    report = api.get(f"reports/{first['id']}").json()
    assert report["report"] == "MonitoringReport" and report["n_rows"] == first["rows"] == 150
    assert report["summary"] == first["summary"]
    page = api.get(f"reports/{first['id']}/html")
    assert page.headers["content-type"].startswith("text/html") and "<title>Monitoring check" in page.text


def test_runs_schedules_and_audit_are_the_listing_records(world):
    api, ws, _ = world
    runs = api.get("runs?name=monitor-churn").json()["runs"]
    assert [r["id"] for r in runs] == [r["id"] for r in records("runs", ws.runs("monitor-churn"))]
    assert all("output_notebook" in r for r in runs)
    assert api.get("runs?limit=1").json()["runs"][0]["id"] == int(ws.runs(limit=1).index[0])
    assert api.get("schedules").json() == {"schedules": records("schedules", ws.schedules())}
    entries = api.get("audit?model=churn&limit=3").json()["entries"]
    assert entries == records("audit", ws.audit("churn"))[-3:]
    assert entries[-1]["seq"] > entries[0]["seq"]


def test_the_openapi_document_is_served_and_names_every_route(world):
    from jupyter_mlops.server.openapi import document
    from jupyter_mlops.server.routes import ROUTES

    api, _, _ = world
    served = api.get("openapi.json").json()
    assert served == document() and served["openapi"].startswith("3.1")
    for route in ROUTES:
        assert route.method.lower() in served["paths"]["/" + route.path], route.path


def test_jupyterlabs_cache_busting_timestamp_is_ignored_not_refused(world):
    api, _, _ = world
    busted = api.get("runs?limit=5&1795879658515")
    assert busted.status_code == 200, busted.text
    assert len(busted.json()["runs"]) <= 5
