"""Jupyter's own authentication guards every route (no token: 403), a cookie-authenticated POST
needs the XSRF token, and hostile names in paths (``../``, very long, control characters, odd
encodings) are refused before they reach the workspace: never a 500, nothing written."""

from __future__ import annotations

import httpx
import pytest

from jupyter_mlops.server.routes import ROUTES

from .conftest import Api, start_server, stop_process

#: a value for each path parameter, so that every route can be called
SAMPLE = {"ref": "churn:1", "name": "churn", "id": "1"}


def _path(route) -> str:
    path = route.path
    for key, value in SAMPLE.items():
        path = path.replace("{" + key + "}", value)
    return path


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.method} {r.path}" for r in ROUTES])
def test_every_route_refuses_a_request_without_the_token(world, route):
    api, ws, _ = world
    before = len(ws.audit())
    r = api.request(route.method, _path(route), auth=False, json={} if route.method == "POST" else None)
    assert r.status_code == 403
    assert "churn" not in r.text  # nothing of the workspace leaks
    assert len(ws.audit()) == before


def test_a_wrong_token_is_refused_too(world):
    api, _, _ = world
    r = httpx.get(api.prefix + "models", headers={"Authorization": "token not-the-token"})
    assert r.status_code == 403


def test_the_openapi_document_also_needs_the_token(world):
    api, _, _ = world
    assert api.request("GET", "openapi.json", auth=False).status_code == 403


def test_a_cookie_authenticated_post_needs_the_xsrf_token(world):
    api, ws, _ = world
    browser = httpx.Client(timeout=60)
    # a browser's session: the token once in the URL sets the login cookie; a page sets _xsrf
    assert browser.get(f"{api.base}/api/status?token={api.token}").status_code == 200
    assert browser.get(f"{api.base}/lab").status_code == 200
    xsrf = browser.cookies.get("_xsrf")
    assert xsrf and any(name.startswith("username-") for name in browser.cookies)

    assert browser.get(api.prefix + "models").status_code == 200  # reading needs no XSRF token
    refused = browser.post(api.prefix + "versions/spare:1/approve", json={})
    assert refused.status_code == 403 and ws.get("spare:1").approval == "PendingManualApproval"

    accepted = browser.post(api.prefix + "versions/spare:1/approve", json={}, headers={"X-XSRFToken": xsrf})
    assert accepted.status_code == 200 and ws.get("spare:1").approval == "Approved"
    assert ws.audit("spare").iloc[-1]["action"] == "approve"


#: (a bare ".." is resolved by the client itself, so it never reaches the server as a name)
HOSTILE = [
    "%2E%2E", "..%2F..%2Fetc%2Fpasswd", "churn%2F..%2F..", "..%5C..%5Cwindows", "a" * 300, "a" * 5000,
    "churn%00", "churn%0Aadmin", "%1B%5B31m", "churn%7F", "%E2%80%AEnruhc", "%F0%9F%92%A5", "%20",
    "churn%3A0", "churn%3A-1", "churn%3A99999999999999999999", "churn%40%40x", "%25", "churn;rm%20-rf",
    "%3Cscript%3E", "%FF%FE",
]
TEMPLATES = ["versions/{}", "versions/{}/html", "models/{}/versions", "endpoints/{}", "reports/{}",
             "reports/{}/html"]
POST_TEMPLATES = ["versions/{}/approve", "versions/{}/archive", "endpoints/{}/stop", "endpoints/{}/rollback",
                  "schedules/{}/run"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_refused_and_change_nothing(world, name):
    api, ws, root = world
    before_audit, before_files = len(ws.audit()), sorted(p.name for p in root.iterdir())
    for template in TEMPLATES:
        r = api.get(template.format(name))
        assert r.status_code in (400, 404), (template, name, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("application/json")  # never echoed into a page
    for template in POST_TEMPLATES:
        r = api.post(template.format(name), {})
        assert r.status_code in (400, 404), (template, name, r.status_code, r.text[:200])
    assert len(ws.audit()) == before_audit
    assert sorted(p.name for p in root.iterdir()) == before_files


def test_a_long_name_is_refused_as_too_long_without_echoing_it_all(world):
    api, _, _ = world
    r = api.get("versions/" + "a" * 5000)
    assert r.status_code == 400 and len(r.text) < 1000


READ_ONLY = """
from jupyter_server.auth import Authorizer


class ReadOnly(Authorizer):
    def is_authorized(self, handler, user, action, resource):
        return action == "read" or resource != "jupyter_mlops"
"""


def test_a_deployments_authorizer_decides_too_read_for_get_write_for_post(world, tmp_path):
    _, ws, root = world
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "readonly_auth.py").write_text(READ_ONLY)
    proc, base = start_server(root, tmp_path, extra_path=[str(tmp_path / "site")],
                              server_config={"authorizer_class": "readonly_auth.ReadOnly"})
    try:
        api = Api(base)
        assert api.get("models").status_code == 200
        before = ws.get("spare:1").to_dict()
        refused = api.post("versions/spare:1/reject", {})
        assert refused.status_code == 403 and "not authorized" in refused.json()["error"]["message"]
        assert ws.get("spare:1").to_dict() == before
    finally:
        stop_process(proc, timeout=20)


def test_any_text_as_a_name_is_answered_never_with_a_500(world):
    """Reads only: a generated text that happens to name a real model or endpoint must not act on
    it while the other tests share this workspace (the actions get the hostile list above)."""
    from urllib.parse import quote

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    api, ws, _ = world
    before = len(ws.audit())

    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.text(max_size=300), st.sampled_from(TEMPLATES))
    def answered(name, template):
        r = api.get(template.format(quote(name, safe="")))
        assert r.status_code in (200, 400, 404), (template, name, r.status_code, r.text[:200])

    answered()
    assert len(ws.audit()) == before
