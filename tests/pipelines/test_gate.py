"""Gates: the grammar, its errors, hostile text refused at parse time, the first-version rule, and
verdicts against a real workspace's versions and aliases."""

from __future__ import annotations

import json

import pytest

from jupyter_mlops import InvalidInput, Workspace
from jupyter_mlops._core.pipelines.gate import GateVerdict, parse_gate
from jupyter_mlops._core.pipelines.gate_syntax import MAX_CHARS, MAX_DEPTH
from jupyter_mlops._core.pipelines.replay import Replay


@pytest.fixture(scope="module")
def ws(tmp_path_factory, clf):
    """churn:1 (@production), churn:2 (@staging), churn:3; solo:1 with no alias at all."""
    w = Workspace(tmp_path_factory.mktemp("gate") / ".mlops")
    w.register(clf, "churn", metrics={"auc": 0.90, "latency_ms": 12, "f1": 0.5})
    w.register(clf, "churn", metrics={"auc": 0.897, "latency_ms": 15}, alias="staging")
    w.register(clf, "churn", metrics={"auc": 0.93, "latency_ms": 25, "zero": 0})
    w.promote("churn:1", "production")
    w.register(clf, "solo", metrics={"auc": 0.8, "latency_ms": 25})
    yield w
    w.store.dispose()


def verdict(ws, expression: str, ref: str = "churn:3", **options) -> GateVerdict:
    return parse_gate(expression).evaluate(ws.get(ref), ws.registry, **options)


def caret_at(error: InvalidInput) -> int:
    """The position the caret line points at (the message ends with the gate and a caret)."""
    return str(error).splitlines()[-1].index("^") - 4


# -- the grammar --------------------------------------------------------------------------------

@pytest.mark.parametrize("expression, holds", [
    # arithmetic: * and / before + and -, left to right, parentheses first
    ("1 + 2 * 3 == 7", True), ("(1 + 2) * 3 == 9", True), ("10 - 4 - 3 == 3", True),
    ("8 / 4 / 2 == 1", True), ("2 * 3 - 1 == 5", True), ("1.5e1 == 15", True), (".5 * 2 == 1", True),
    # unary minus binds tighter than *, and nests
    ("-2 * 3 == -6", True), ("- -1 == 1", True), ("-auc < 0", True), ("+auc == auc", True),
    # comparison chains, as in Python: each neighbouring pair, all must hold
    ("0.9 <= auc <= 0.95", True), ("0.9 <= auc <= 0.92", False), ("1 < 2 > 3", False), ("1 < 2 != 3", True),
    # not binds looser than a comparison; and before or
    ("not auc > 0.95", True), ("auc > 0.95 or f1 > 0 and auc > 0", True),
    ("auc > 0.95 or latency_ms < 20 and auc > 0", False), ("(auc > 0.95 or latency_ms > 20) and auc > 0", True),
    ("not not auc > 0.5", True),
    # names: the candidate's metric and an alias's
    ("auc >= production.auc - 0.005 and latency_ms < 30", True), ("auc - staging.auc > 0.03", True),
])
def test_the_grammar_computes_as_written(ws, expression, holds):
    if "f1" in expression:  # churn:3 has no f1: these read churn:1's
        expression = expression.replace("f1", "production.f1")
    assert verdict(ws, expression).passed is holds


def test_names_lists_every_metric_alias_and_replay_figure():
    gate = parse_gate("auc >= production.auc - 0.005 and latency_ms < 20 or replay.agreement > 0.99")
    assert gate.names() == {"auc", "production.auc", "latency_ms", "replay.agreement"}
    assert gate.aliases() == {"production"} and gate.uses_replay()


# -- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("expression, position, message", [
    ("auc >= 0.9 0.8", 11, r"unexpected '0\.8' at position 11: the gate should end here"),
    ("auc >= 0.9 and", 14, "the gate ends too early"),
    ("auc > (0.9", 10, r"expected '\)' at position 10 to close the '\(' at position 6"),
    ("auc = 0.9", 4, "to compare, write =="),
    ("auc > 0.9 && f1 > 0", 10, "write and"),
    ("auc ** 2 > 0.8", 4, r"a gate has \+ - \* / only"),
    ("auc % 2 > 0", 4, r"a gate has \+ - \* / only"),
    ("auc > 0x10", 6, "is not a number"),
    ("auc > 1e999", 6, "too large a number"),
    ("auc", 0, "decides nothing: compare it"),
    ("auc + 1", 0, "decides nothing"),
    ("auc and f1 > 1", 0, "'auc' at position 0 is a number; and joins comparisons"),
    ("(auc > 1) + 2 > 1", 0, r"is a truth value; \+ needs numbers"),
    ("auc < f1 < (auc > 1)", 11, "is a comparison; compare numbers"),
    ("a.b.c > 1", 3, "no attribute access beyond alias.metric"),
    ("production. > 1", 12, r"expected a metric name after 'production\.'"),
    ("replay > 1", 0, "replay at position 0 needs a figure"),
    ("replay.accuracy > 1", 7, "replay has no figure 'accuracy'"),
    ("True", 0, "is a Python keyword"),
])
def test_a_bad_gate_names_the_token_and_points_at_it(expression, position, message):
    with pytest.raises(InvalidInput, match=message) as caught:
        parse_gate(expression)
    assert caret_at(caught.value) == position
    assert str(caught.value).splitlines()[-2] == f"    {expression}"


def test_an_empty_gate_or_one_that_is_not_text_is_refused():
    with pytest.raises(InvalidInput, match="The gate is empty"):
        parse_gate("   ")
    with pytest.raises(InvalidInput, match="A gate is text"):
        parse_gate(0.9)


@pytest.mark.parametrize("expression, ref, position, message", [
    # an unknown metric names the metrics there are
    ("acu >= production.auc", "churn:3", 0,
     r"churn:3 has no metric 'acu' \(position 0\); its metrics: auc, latency_ms, zero\. Did you mean: auc\?"),
    # a metric the alias's version lacks names that version
    ("f1 >= 1 or staging.f1 > 0", "churn:1", 11,
     r"churn:2 \(@staging\) has no metric 'f1' \(position 11\); its metrics: auc, latency_ms"),
    # an alias that looks like a typo of one the model has is no first version
    ("auc >= prodution.auc", "churn:3", 7,
     r"churn has no alias @prodution \(position 7\)\. Did you mean: production\?"),
])
def test_a_name_the_versions_do_not_have_is_an_error_pointing_at_it(ws, expression, ref, position, message):
    with pytest.raises(InvalidInput, match=message) as caught:
        verdict(ws, expression, ref=ref)
    assert caret_at(caught.value) == position


def test_replay_figures_need_a_replay_of_this_very_candidate(ws):
    with pytest.raises(InvalidInput, match="replay.agreement at position 0 needs a replay, and none was given"):
        verdict(ws, "replay.agreement > 0.99")
    with pytest.raises(InvalidInput, match="The replay is of churn:2, the gate judges churn:3"):
        verdict(ws, "replay.agreement > 0.99", replay=_replay("churn:2", 0.995))


def test_a_division_by_zero_fails_the_gate_saying_it_could_not_be_decided(ws):
    result = verdict(ws, "auc / zero > 1")
    assert not result.passed and result.reason == "Could not be decided: division by zero: zero is 0."


# -- hostile text ---------------------------------------------------------------------------------

@pytest.mark.parametrize("expression, message", [
    ("__import__('os').system('touch {canary}')", "'__import__' at position 0 is not a metric name"),
    ("auc.__class__.__bases__ > 0", "'__class__' at position 4 is not a metric name"),
    ("auc() > 0", "'\\(' at position 3 after 'auc': a gate has no calls"),
    ("open('{canary}', 'w') > 0", "a gate has no strings"),
    ("exec(auc) > 0", "a gate has no calls"),
    ("production.auc() > 0", "a gate has no calls"),
    ("auc[0] > 0", "a gate has no subscripts"),
    ("'a' == 'a'", "a gate has no strings"),
    ('"{canary}" > auc', "a gate has no strings"),
    ("lambda: 1", "'lambda' at position 0 is a Python keyword"),
    ("[x for x in auc]", "a gate has no subscripts"),
    ("auc if 1 else 2", "'if' at position 4 is a Python keyword"),
    ("auc > 0; import os", "a gate is one expression"),
    ("{{'a': 1}}", "a gate has no dicts or sets"),
    ("auc > 0 " + "and auc > 0 " * 200, f"the gate is .* characters long; a gate has at most {MAX_CHARS:,}"),
    ("(" * 200 + "auc > 0" + ")" * 200, f"nested more than {MAX_DEPTH} levels deep"),
    ("-" * 500 + "auc > 0", f"nested more than {MAX_DEPTH} levels deep"),
    ("not " * 100 + "auc > 0", f"nested more than {MAX_DEPTH} levels deep"),
])
def test_hostile_text_is_refused_before_anything_is_evaluated(tmp_path, expression, message):
    canary = tmp_path / "evaluated"
    with pytest.raises(InvalidInput, match="(?i)" + message):
        parse_gate(expression.format(canary=canary))
    assert not canary.exists()


def test_deep_but_allowed_nesting_parses():
    assert parse_gate("(" * MAX_DEPTH + "1 > 0" + ")" * MAX_DEPTH).names() == set()


# -- the first version ----------------------------------------------------------------------------

def test_with_no_version_at_the_alias_the_first_version_passes_and_the_verdict_says_so(ws):
    result = verdict(ws, "auc >= production.auc - 0.005", ref="solo:1")
    assert result.passed and result.first_version
    assert result.values == {"auc": 0.8, "production.auc": None}
    assert result.compared == {"production": None}
    assert result.reason.startswith("No version of solo is @production yet, so there is nothing to compare "
                                    "with: solo:1 passes as the first version")


def test_approve_first_false_holds_the_first_version_back(ws):
    result = verdict(ws, "auc >= production.auc", ref="solo:1", approve_first=False)
    assert not result.passed and result.first_version
    assert "solo:1 is not approved: approve_first=False" in result.reason


def test_conditions_that_need_no_alias_still_hold_the_first_version_to_account(ws):
    """Unknown and false is false: latency_ms 25 fails the first version as it would any other."""
    result = verdict(ws, "auc >= production.auc and latency_ms < 20", ref="solo:1")
    assert not result.passed and result.first_version
    assert "latency_ms (25) < 20 is false" in result.reason
    assert verdict(ws, "auc >= production.auc or latency_ms > 20", ref="solo:1").passed


def test_negating_an_unknown_comparison_leaves_it_unknown(ws):
    assert verdict(ws, "not production.auc > auc", ref="solo:1").passed
    assert not verdict(ws, "not production.auc > auc", ref="solo:1", approve_first=False).passed


def test_an_alias_no_version_holds_on_a_model_with_other_aliases_is_a_first_version(ws):
    result = verdict(ws, "auc >= champion.auc")
    assert result.passed and result.first_version and result.compared == {"champion": None}


# -- verdicts against versions and aliases --------------------------------------------------------

def test_a_verdict_compares_with_the_version_the_alias_points_at(ws):
    result = verdict(ws, "auc >= production.auc - 0.005 and latency_ms < 30")
    assert result.passed and not result.first_version
    assert result.values == {"auc": 0.93, "production.auc": 0.9, "latency_ms": 25.0}
    assert result.compared == {"production": "churn:1"} and result.candidate == "churn:3"
    assert result.reason == ("Passed: auc (0.93) >= production.auc - 0.005 (0.895) is true; "
                             "latency_ms (25) < 30 is true.")


def test_a_failed_verdict_names_the_figures_that_failed_it(ws):
    ws.promote("churn:3", "production")
    try:
        result = verdict(ws, "auc >= production.auc - 0.005", ref="churn:2")
    finally:
        ws.promote("churn:1", "production")
    assert not result.passed and result.compared == {"production": "churn:3"}
    assert result.reason == "Failed: auc (0.897) >= production.auc - 0.005 (0.925) is false."


def test_the_gate_reads_a_replays_figures(ws):
    gate = "auc >= production.auc and replay.agreement >= 0.99 and replay.p99_ms < 5"
    assert verdict(ws, gate, replay=_replay("churn:3", 0.995)).passed
    failed = verdict(ws, gate, replay=_replay("churn:3", 0.95))
    assert not failed.passed and failed.values["replay.agreement"] == 0.95
    assert "replay.agreement (0.95) >= 0.99 is false" in failed.reason


def test_a_verdict_is_a_result_that_shows_its_figures(ws):
    result = verdict(ws, "auc >= production.auc - 0.005 and latency_ms < 20")
    assert json.loads(result.to_json()) == result.to_dict()
    assert result.to_dict()["passed"] is False and not result
    assert repr(result).startswith("<GateVerdict FAIL 'auc >= production.auc - 0.005 and latency_ms < 20' for "
                                   "churn:3>\n  Failed: ")
    page = result._repr_html_()
    assert "auc &gt;= production.auc - 0.005 and latency_ms &lt; 20" in page and "FAIL" in page
    assert "@production: churn:1" in page and "0.93" in page


def _replay(ref: str, agreement: float) -> Replay:
    return Replay(ref=ref, endpoint="churn", rows=1000, agreement=agreement,
                  changed_rows=round(1000 * (1 - agreement)), changes_by_feature={}, candidate_p50_ms=0.4,
                  candidate_p99_ms=1.2)
