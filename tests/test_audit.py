"""The audit log is append-only and its hash chain exposes hand edits."""

from __future__ import annotations

import sqlite3

import pytest


@pytest.fixture
def history(ws, clf):
    ws.register(clf, "churn")
    ws.register(clf, "churn")
    ws.approve("churn:1", comment="ok")
    ws.promote("churn:1", "production")
    ws.reject("churn:2")
    ws.archive("churn:2")
    return ws


def test_every_state_change_is_recorded_with_actor_time_target_details(history, monkeypatch):
    log = history.audit("churn")
    assert list(log["action"]) == ["register", "register", "approve", "promote", "reject", "archive"]
    assert list(log["target"]) == ["churn:1", "churn:2", "churn:1", "churn:1", "churn:2", "churn:2"]
    assert log.loc[2, "details"]["comment"] == "ok"
    assert log.loc[3, "details"] == {"alias": "production", "previous_version": None}
    assert log["actor"].str.len().min() > 0 and log["time"].notna().all()


def test_actor_comes_from_mlops_actor(ws, clf, monkeypatch):
    monkeypatch.setenv("MLOPS_ACTOR", "ci-bot")
    ws.register(clf, "churn")
    assert ws.audit("churn").loc[0, "actor"] == "ci-bot"


def test_an_untouched_chain_verifies(history):
    check = history.verify_audit()
    assert check.ok and check.entries == 6 and bool(check)


def _db(ws):
    return sqlite3.connect(ws.home / "mlops.db")


def test_an_altered_entry_is_named(history):
    with _db(history) as db:
        db.execute("""UPDATE audit_log SET details = '{"comment": "forged"}' WHERE seq = 3""")
    check = history.verify_audit()
    assert not check.ok and check.first_bad_seq == 3 and "altered" in check.problem


def test_a_removed_entry_is_named(history):
    with _db(history) as db:
        db.execute("DELETE FROM audit_log WHERE seq = 4")
    check = history.verify_audit()
    assert not check.ok and check.first_bad_seq == 4 and "removed" in check.problem


def test_entries_cut_off_the_end_are_seen(history):
    with _db(history) as db:
        db.execute("DELETE FROM audit_log WHERE seq >= 5")
    check = history.verify_audit()
    assert not check.ok and "end" in check.problem


def test_a_rewritten_chain_with_recomputed_hashes_still_breaks_at_the_edit(history):
    # An editor who recomputes the edited entry's own hash still breaks the link to the next one.
    from jupyter_mlops._core.audit import entry_hash

    with _db(history) as db:
        seq, ts, actor, action, target, prev = db.execute(
            "SELECT seq, ts, actor, action, target, prev_hash FROM audit_log WHERE seq = 2").fetchone()
        new_hash = entry_hash(seq, ts, "mallory", action, target, {}, prev)
        db.execute("UPDATE audit_log SET actor='mallory', details='{}', hash=? WHERE seq=2", (new_hash,))
    check = history.verify_audit()
    assert not check.ok and check.first_bad_seq == 3


def test_verify_renders(history):
    assert "intact" in history.verify_audit()._repr_html_()
