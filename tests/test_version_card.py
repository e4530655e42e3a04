"""The version card shows the description, the approvals with who, when and their comments, and
the lineage it could not capture with how to capture it next time."""

from __future__ import annotations

import re

AGO = re.compile(r'<time datetime="[^"]+" title="\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC">(now|\d+ (s|min) ago)</time>')


def test_the_card_shows_the_description_the_approval_comments_and_the_lineage_it_could_not_capture(ws, clf,
                                                                                                   monkeypatch):
    for var in ("MLOPS_NOTEBOOK", "JPY_SESSION_NAME"):
        monkeypatch.delenv(var, raising=False)
    v = ws.register(clf, "churn", description="Churn model for the Q3 campaign")  # tmp_path: not a git checkout
    ws.reject(v, comment="needs more data")
    v = ws.approve(v, comment="retrained on the full year")
    card = v._repr_html_()
    assert "Churn model for the Q3 campaign" in card
    assert "needs more data" in card and "retrained on the full year" in card
    assert 'mlops-bad">Rejected<' in card and AGO.search(card)
    assert "not a git repository" in card and "inside a git checkout" in card
    assert "set MLOPS_NOTEBOOK" in card
    assert "no data passed: register(..., data=X)" in card
    text = v.to_text()
    assert "description: Churn model for the Q3 campaign" in text
    assert "Approved by" in text and ": retrained on the full year" in text
    assert "git: not captured: not a git repository" in text


def test_a_card_with_data_does_not_list_the_data_hash_as_missing(ws, clf, numeric_data):
    X, y = numeric_data
    card = ws.register(clf, "churn", data=X, target=y)._repr_html_()
    assert "no data passed" not in card and "no target passed" not in card
