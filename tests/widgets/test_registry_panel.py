"""The Registry tab: each button is one Workspace call, so it changes the workspace and writes an
audit entry; a bad action shows one readable line in the panel."""

from __future__ import annotations

import pytest

import jupyter_mlops as mlops

from .conftest import audit_actions


@pytest.fixture
def panel(rws):
    p = mlops.panel(rws, part="registry", interval=None)  # refreshed by hand: the test decides when
    yield p
    p.close()


def test_it_lists_the_models_and_their_versions_newest_first_with_the_latest_card(panel):
    tab = panel["registry"]
    assert tab.model.value == "churn"
    assert [ref for _, ref in tab.version.options] == ["churn:2", "churn:1"]
    assert "auc" in tab.versions.value and "PendingManualApproval" in tab.versions.value
    assert "churn v2" in tab.detail.value and "Lineage" in tab.detail.value  # the card, lineage included


def test_approve_with_a_comment_approves_the_version_and_writes_an_audit_entry(panel, rws):
    tab = panel["registry"]
    tab.version.value = "churn:1"
    tab.comment.value = "offline eval ok"
    tab.approve.click()
    panel.wait()
    assert rws.get("churn:1").approval == "Approved"
    assert audit_actions(rws, "churn:1")[-1] == ("approve", "churn:1")
    assert rws.audit("churn")["details"].iloc[-1].get("comment") == "offline eval ok"
    assert panel.message.kind == "ok" and "approve churn:1" in panel.message.text
    assert "Approved" in tab.detail.value  # the returned version's card is shown


def test_reject_promote_and_archive(panel, rws):
    tab = panel["registry"]
    tab.comment.value = "worse on recent data"
    tab.reject.click()
    panel.wait()
    assert rws.get("churn:2").approval == "Rejected"

    tab.version.value = "churn:1"
    tab.alias.value = "staging"
    tab.promote.click()
    panel.wait()
    assert "staging" in rws.get("churn:1").aliases

    tab.version.value = "churn:2"
    tab.archive.click()  # destructive: it asks first, and Cancel does nothing
    assert panel.confirm.asking.startswith("Archive churn:2?")
    panel.confirm.no.click()
    assert panel.confirm.asking is None and rws.get("churn:2").status == "active"
    tab.archive.click()
    panel.confirm.yes.click()
    panel.wait()
    assert rws.get("churn:2").status == "archived", panel.message.text
    assert [a for a, _ in audit_actions(rws)][-3:] == ["reject", "promote", "archive"]


def test_diff_shows_two_versions_side_by_side(panel):
    tab = panel["registry"]
    tab.diff_a.value, tab.diff_b.value = "churn:1", "churn:2"
    tab.diff.click()
    panel.wait()
    assert "diff churn:1 → churn:2" in tab.detail.value and "metric.auc" in tab.detail.value


def test_a_bad_action_shows_one_readable_line_and_changes_nothing(panel, rws):
    before = audit_actions(rws)
    tab = panel["registry"]
    tab.alias.value = "not an alias!"
    tab.promote.click()
    panel.wait()
    assert panel.message.kind == "error"
    assert panel.message.text.startswith("InvalidName: ")
    assert "\n" not in panel.message.text and "Traceback" not in panel.message.widget.value
    assert audit_actions(rws) == before


def test_the_panel_shows_changes_made_elsewhere_at_its_next_refresh(panel, rws):
    rws.promote("churn:2", "production")  # another kernel, the CLI…
    panel.refresh()
    assert "@production" in panel["registry"].versions.value
