"""Nothing read from the workspace runs code unless a trusted author signed it; the audit log's
head is signed and checkpointed outside the workspace; workspace files are their owner's alone.

Each test plays the attacker the fault probe played: someone who can write the workspace (its
database and artifact store) but not this user's key folder.
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import re
import sqlite3
import stat

import numpy as np
import pytest

import jupyter_mlops as mlops
from jupyter_mlops._core.audit import GENESIS, entry_hash


class Planted:
    """A pickle that runs code when loaded: it leaves a file behind to prove it ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


class Doubler:
    """Not a scikit-learn estimator: registered with cloudpickle."""

    def predict(self, X):
        return np.asarray(X, dtype=float)[:, 0] * 2


def _db(ws):
    return sqlite3.connect(ws.home / "mlops.db")


def _set_format(ws, ref: str, fmt: dict, artifact_sha256: str | None = None) -> None:
    name, version = ref.split(":")
    with _db(ws) as db:
        model_id = db.execute("SELECT id FROM models WHERE name = ?", (name,)).fetchone()[0]
        db.execute("UPDATE model_versions SET format = ? WHERE model_id = ? AND version = ?",
                   (json.dumps(fmt), model_id, int(version)))
        if artifact_sha256:
            db.execute("UPDATE model_versions SET artifact_sha256 = ? WHERE model_id = ? AND version = ?",
                       (artifact_sha256, model_id, int(version)))


# -- pickles ------------------------------------------------------------------------------------

def test_a_swapped_companion_with_its_hash_updated_is_not_unpickled(ws, clf, numeric_data, tmp_path):
    v = ws.register(clf, "churn")
    marker = tmp_path / "companion-ran"
    evil = ws.artifacts.put_bytes(pickle.dumps(Planted(marker)))
    _set_format(ws, "churn:1", {**v.format, "fast_load": {**v.format["fast_load"], "sha256": evil}})
    model = ws.load("churn:1")  # the signature no longer matches: the skops artifact is used
    assert not marker.exists()
    X, _ = numeric_data
    assert (model.predict(X) == clf.predict(X)).all()


def test_a_format_edited_to_cloudpickle_is_refused(ws, clf, tmp_path):
    v = ws.register(clf, "churn")
    marker = tmp_path / "cloudpickle-ran"
    evil = ws.artifacts.put_bytes(pickle.dumps(Planted(marker)))
    _set_format(ws, "churn:1", {**v.format, "format": "cloudpickle"}, artifact_sha256=evil)
    with pytest.raises(mlops.UntrustedArtifact, match="Unpickling churn:1.*does not match"):
        ws.load("churn:1")
    assert not marker.exists()


def test_safe_load_means_no_pickle_even_a_signed_one(ws, monkeypatch):
    ws.register(Doubler(), "doubler")
    assert ws.load("doubler").predict([[2.0]]).tolist() == [4.0]
    monkeypatch.setenv("MLOPS_SAFE_LOAD", "1")
    with pytest.raises(mlops.UntrustedArtifact, match="MLOPS_SAFE_LOAD=1 allows no pickle"):
        ws.load("doubler")


def test_another_authors_pickle_loads_only_once_you_trust_their_key(ws, tmp_path, monkeypatch):
    mine = os.environ["MLOPS_KEY_DIR"]
    monkeypatch.setenv("MLOPS_KEY_DIR", str(tmp_path / "alice-keys"))  # alice registers
    ws.register(Doubler(), "doubler")
    alice_key = mlops.Workspace(ws.home).signing_key().public_key
    monkeypatch.setenv("MLOPS_KEY_DIR", mine)  # and this user loads
    me = mlops.Workspace(ws.home)
    with pytest.raises(mlops.UntrustedArtifact, match=f"which you do not trust.*mlops trust add {re.escape(alice_key)}"):
        me.load("doubler")
    me.trust(alice_key, "alice")
    assert me.load("doubler").predict([[1.5]]).tolist() == [3.0]
    me.untrust(mlops.Workspace(ws.home).trusted_keys().query("name == 'alice'").key_id.iloc[0])
    with pytest.raises(mlops.UntrustedArtifact):
        me.load("doubler")


def test_skops_types_beyond_the_libraries_need_a_trusted_signature(ws, numeric_data):
    """A FunctionTransformer holding ``os.system`` records ``posix.system`` among the types skops
    may rebuild. Signed by this user it loads; the same artifact and type list, with the record no
    longer matching its signature, is refused before anything is rebuilt."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.tree import DecisionTreeClassifier

    from jupyter_mlops._core.modelio import load_model

    X, y = numeric_data
    model = make_pipeline(FunctionTransformer(np.log1p), DecisionTreeClassifier(max_depth=2)).fit(X, y)
    model.steps[0][1].inverse_func = os.system  # reachable only by a rebuilt artifact, never called
    v = ws.register(model, "logged")
    assert any(t.endswith(".system") for t in v.format["trusted_types"])
    payload = ws.artifacts.get_bytes(v.artifact_sha256)
    assert load_model(payload, v.format, v.artifact_sha256).predict(X.head(2)).shape == (2,)
    unsigned = {k: val for k, val in v.format.items() if k != "signature"}
    with pytest.raises(mlops.ArtifactIntegrityError, match="author you trust"):
        load_model(payload, unsigned, v.artifact_sha256)


# -- the audit log --------------------------------------------------------------------------------

@pytest.fixture
def history(ws, clf):
    ws.register(clf, "churn")
    ws.register(clf, "churn")
    ws.approve("churn:1", comment="ok")
    ws.promote("churn:1", "production")
    assert ws.verify_audit().ok
    return ws


def _recompute_chain_from(ws, seq: int, details: dict) -> None:
    """Edit entry ``seq`` and recompute every hash after it and the stored head, as someone with
    write access to the database (but not to the signing key) can."""
    with _db(ws) as db:
        db.execute("UPDATE audit_log SET details = ? WHERE seq = ?", (json.dumps(details), seq))
        rows = db.execute("SELECT seq, ts, actor, action, target, details FROM audit_log ORDER BY seq").fetchall()
        prev = GENESIS
        for s, ts, actor, action, target, det in rows:
            digest = entry_hash(s, ts, actor, action, target, json.loads(det), prev)
            db.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, digest, s))
            prev = digest
        head = {"seq": rows[-1][0], "hash": prev}
        db.execute("UPDATE settings SET value = ? WHERE key = 'audit_head'", (json.dumps(head),))


def test_a_recomputed_chain_is_detected(history):
    _recompute_chain_from(history, 3, {"comment": "forged"})
    check = history.verify_audit()
    assert not check.ok and "recomputed" in check.problem


def test_a_recomputed_chain_is_detected_even_without_a_checkpoint(history):
    history.audit_log.checkpoints.path().unlink()  # only the signed head is left to tell
    _recompute_chain_from(history, 3, {"comment": "forged"})
    check = history.verify_audit()
    assert not check.ok and "cannot be trusted: it is not signed" in check.problem


def test_an_emptied_or_replaced_database_is_detected(history, tmp_path):
    fresh = mlops.Workspace(tmp_path / "elsewhere" / ".mlops")
    fresh.models()  # a brand-new, valid, empty database
    fresh.store.dispose()
    history.store.dispose()
    for suffix in ("", "-wal", "-shm"):
        (history.home / f"mlops.db{suffix}").unlink(missing_ok=True)
    (history.home / "mlops.db").write_bytes((tmp_path / "elsewhere" / ".mlops" / "mlops.db").read_bytes())
    check = mlops.Workspace(history.home).verify_audit()
    assert not check.ok and "replaced or emptied" in check.problem and check.checkpoint_seq == 4


def test_the_anchor_is_the_head_signed_by_this_users_key(history):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from jupyter_mlops._core.trust import canonical

    anchor = history.audit_anchor()
    assert anchor.seq == 4 and anchor.key_id == history.signing_key().key_id
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(history.signing_key().public_key))
    key.verify(base64.b64decode(anchor.signature),
               canonical({"purpose": "audit-head", "document": {"seq": anchor.seq, "hash": anchor.hash}}))
    assert history.verify_audit().signed_by.endswith(f"({anchor.key_id})")


# -- files --------------------------------------------------------------------------------------

def test_the_workspace_and_its_database_are_private_to_their_owner(ws, clf):
    previous = os.umask(0o022)  # the usual default: everything readable by everyone
    try:
        ws.register(clf, "churn")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(ws.home.stat().st_mode) == 0o700
    assert stat.S_IMODE((ws.home / "mlops.db").stat().st_mode) == 0o600
    key_dir = os.environ["MLOPS_KEY_DIR"]
    assert stat.S_IMODE(os.stat(os.path.join(key_dir, "signing-key.pem")).st_mode) == 0o600


def test_an_open_workspace_folder_is_closed(tmp_path, clf):
    home = tmp_path / ".mlops"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    mlops.Workspace(home).register(clf, "churn")
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
