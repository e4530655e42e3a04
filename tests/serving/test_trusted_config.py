"""A running endpoint takes orders only from a config its owner signed: a config.json rewritten
by anyone else (pointing at a pickle that runs code) is refused and logged, and the endpoint goes on
serving what it served. Its files are its owner's alone, and the token is never on disk in the
clear or as a plain hash."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import stat
import time

import httpx

from jupyter_mlops._core.serving.contract import EndpointPaths


class Planted:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _wait(predicate, timeout: float = 10.0) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_rewritten_config_is_refused_and_logged(sws, tmp_path):
    X, _ = sws._test_data
    ep = sws.deploy("churn:1", "churn")
    paths = EndpointPaths(sws.home, "churn")
    marker = tmp_path / "endpoint-ran-the-pickle"
    planted = paths.dir / "planted.bin"
    planted.write_bytes(pickle.dumps(Planted(marker)))
    document = json.loads(paths.config.read_text())
    variant = document["variants"][0]
    variant.update(artifact_path=str(planted), companion_path=str(planted),
                   sha256=hashlib.sha256(planted.read_bytes()).hexdigest(),
                   format={**variant["format"], "format": "cloudpickle"})
    variant["format"]["fast_load"] = {**variant["format"]["fast_load"], "sha256": variant["sha256"]}
    document["generation"] += 1  # the old signature stays: it no longer matches the content
    paths.config.write_text(json.dumps(document))

    assert _wait(lambda: "refused config generation" in sws.endpoint("churn").logs())
    report = json.loads(paths.worker_report(0).read_text())
    assert report["error_generation"] == document["generation"] and "does not match" in report["error"]
    assert not marker.exists()
    r = httpx.post(f"{ep.url}/invocations", json={"instances": X.head(3).to_numpy().tolist()})
    assert r.status_code == 200
    assert r.json()["predictions"] == sws.load("churn:1").predict(X.head(3)).tolist()


def test_endpoint_files_are_private_and_the_token_is_salted(sws):
    previous = os.umask(0o022)
    try:
        X, _ = sws._test_data
        ep = sws.deploy("churn:1", "secure", capture=100, token="s3cret")
        r = httpx.post(f"{ep.url}/invocations", json={"instances": X.head(2).to_numpy().tolist()},
                       headers={"authorization": "Bearer s3cret"})
        assert r.status_code == 200
        assert _wait(lambda: len(sws.captured("secure")) >= 2)
    finally:
        os.umask(previous)
    paths = EndpointPaths(sws.home, "secure")
    config = paths.config.read_text()
    assert hashlib.sha256(b"s3cret").hexdigest() not in config and "s3cret" not in config
    for path in (paths.config, paths.token, paths.log, *paths.capture_dir.rglob("*.jsonl"), paths.worker_report(0)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
