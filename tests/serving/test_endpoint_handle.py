"""``ws.endpoint(name)`` has every attribute of the ``Endpoint`` it stands for, read live."""

from __future__ import annotations

from dataclasses import fields

from jupyter_mlops import Endpoint


def test_the_handle_has_every_endpoint_attribute(module_ws, churn_endpoint):
    handle = module_ws.endpoint("churn")
    info = handle.info()
    for field in fields(Endpoint):
        assert getattr(handle, field.name) == getattr(info, field.name), field.name
    assert handle.port == churn_endpoint.port and handle.pid == churn_endpoint.pid
    assert handle.status == "running" and handle.capture_percent == 100.0
    assert [{k: v[k] for k in ("name", "ref", "weight", "role")} for v in handle.variants] == [
        {"name": "churn-v1", "ref": "churn:1", "weight": 100.0, "role": "production"},
        {"name": "churn-v2", "ref": "churn:2", "weight": 0.0, "role": "production"}]
    assert handle.to_dict() == info.to_dict() and handle.to_json() == info.to_json()
    assert handle.to_frame().equals(info.to_frame())
    assert repr(handle) == repr(info) and handle._repr_html_() == info._repr_html_()


def test_a_kept_handle_reads_the_endpoint_as_it_is_now(module_ws, churn_endpoint):
    handle = module_ws.endpoint("churn")
    module_ws.traffic("churn", {"churn-v1": 40, "churn-v2": 60})
    try:
        assert {v["name"]: v["weight"] for v in handle.variants} == {"churn-v1": 40.0, "churn-v2": 60.0}
    finally:
        module_ws.traffic("churn", {"churn-v1": 100, "churn-v2": 0})
