"""Drift and check reports rank features by severity: the table, the text and the charts list the
most drifted features first, the top N charts are open (drifted or not) and the rest folded, every
row has a reference/current sparkline, and a column's kind agrees with the test that read it."""

import math
import re

import numpy as np
import pandas as pd
import pytest

from jupyter_mlops._core.monitor.drift import compute_drift
from jupyter_mlops._core.monitor.profile import ReferenceProfile
from jupyter_mlops._core.monitor.reports.drift import TOP_N, DriftReport

rng = np.random.default_rng(7)
N = 1500


def thirty_features(drifting: int = 30) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``a_00`` ... ``a_29``: the alphabetically first features drift the least, the last ones the
    most (the shift grows with the index); only the last ``drifting`` ones are shifted at all."""
    rng = np.random.default_rng(3)
    names = [f"a_{i:02d}" for i in range(30)]
    ref = pd.DataFrame({n: rng.normal(size=N) for n in names})
    cur = pd.DataFrame({n: rng.normal(loc=(0.2 + 0.15 * i) if i >= 30 - drifting else 0.0, size=N)
                        for i, n in enumerate(names)})
    return ref, cur


def chart_titles(html: str) -> list[str]:
    """The feature names of the distribution charts, in page order (matplotlib writes each text
    as an SVG comment before its glyphs)."""
    return re.findall(r"<!-- (\w+)  \(", html)


def table_features(html: str) -> list[str]:
    body = html[html.index("Features (most severe first)"):]
    return re.findall(r"<tr[^>]*><td>([^<]+)</td>", body)


def test_severity_is_the_statistic_over_its_threshold_or_log_p_over_log_threshold():
    ref, cur = thirty_features()
    cur["plan"] = rng.choice(["a", "b"], N, p=[0.3, 0.7])
    ref["plan"] = rng.choice(["a", "b"], N)
    rep = compute_drift(ref.head(800), cur.head(800), method={"a_29": "wasserstein", "a_00": "ks", "plan": "chi2"})
    w, ks, chi2 = rep["a_29"], rep["a_00"], rep["plan"]
    assert w.severity == pytest.approx(w.statistic / 0.1)
    assert ks.severity == pytest.approx(math.log(ks.p_value) / math.log(0.05))
    assert chi2.severity == pytest.approx(math.log(chi2.p_value) / math.log(0.05))
    for c in rep.columns:  # one scale: above 1 exactly when the test says drift
        assert (c.severity > 1) == bool(c.drifted) or c.severity == pytest.approx(1)
    assert 1 < ks.severity < 50 and chi2.severity > 1  # both tested with a real p-value


def test_features_rank_by_severity_not_by_name():
    ref, cur = thirty_features()
    rep = compute_drift(ref, cur)
    ranked = [c.column for c in rep.ranked()]
    assert ranked[:8] == [f"a_{i:02d}" for i in range(29, 21, -1)]  # the alphabetical order reversed
    severities = [c.severity for c in rep.ranked()]
    assert severities == sorted(severities, reverse=True)
    assert rep.drifted_columns == [c for c in ranked if rep[c].drifted]


def test_the_open_charts_are_the_top_n_by_severity_and_the_rest_are_folded():
    ref, cur = thirty_features()
    rep = compute_drift(ref, cur)
    html = rep._repr_html_()
    open_part, folded = html.split("<details", 1)
    folded = folded[:folded.index("</details>")]
    ranked = [c.column for c in rep.ranked()]
    assert rep.top_n == TOP_N == 8
    assert chart_titles(open_part) == ranked[:8]
    assert "22 more features</summary>" in folded and chart_titles(folded) == ranked[8:]


def test_with_fewer_drifted_features_than_n_the_next_most_severe_are_charted_too():
    ref, cur = thirty_features(drifting=3)
    rep = compute_drift(ref, cur)
    assert rep.n_drifted == 3
    rep.top_n = 5
    open_part = rep._repr_html_().split("<details", 1)[0]
    titles = chart_titles(open_part)
    assert titles == [c.column for c in rep.ranked()[:5]]
    assert titles[:3] == ["a_29", "a_28", "a_27"] and not any(rep[t].drifted for t in titles[3:])


def test_every_table_row_has_a_reference_current_sparkline_in_severity_order():
    ref, cur = thirty_features()
    rep = compute_drift(ref, cur)
    html = rep._table_html()
    assert table_features(html) == [c.column for c in rep.ranked()]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", html.split("<tbody>", 1)[1])
    assert len(rows) == 30 and all(row.count('class="mlops-sparkline"') == 1 for row in rows)
    spark = re.search(r'<svg class="mlops-sparkline"[^>]*>', html).group(0)
    assert 'width="80"' in spark and 'height="18"' in spark


def test_a_check_report_ranks_its_drift_the_same_way():
    from jupyter_mlops._core.monitor.reports.monitoring import MonitoringReport

    ref, cur = thirty_features()
    drift = compute_drift(ref, cur)
    check = MonitoringReport(target="m", ref="m:1", endpoint=None, n_rows=N, since=None, violations=[], drift=drift)
    html = check._repr_html_()
    assert chart_titles(html.split("<details", 1)[0]) == [c.column for c in drift.ranked()[:8]]
    assert table_features(html) == [c.column for c in drift.ranked()]


def test_to_text_lists_features_most_severe_first():
    ref, cur = thirty_features()
    rep = compute_drift(ref, cur)
    lines = rep.to_text().splitlines()
    start = lines.index("Features (most severe first)") + 3  # heading, header, rule
    assert [line.split()[0] for line in lines[start:start + 30]] == [c.column for c in rep.ranked()]
    assert "severity" in lines[start - 2].split()


def test_a_saved_report_reads_back_with_the_same_ranking():
    ref, cur = thirty_features()
    rep = compute_drift(ref, cur)
    rep.top_n = 3
    again = DriftReport.from_dict(rep.to_dict())
    assert again.top_n == 3 and [c.column for c in again.ranked()] == [c.column for c in rep.ranked()]


@pytest.mark.parametrize("rows", [600, 3000])  # chi-squared for small references, Jensen-Shannon beyond
def test_a_0_1_column_and_a_bool_column_are_categorical_with_a_categorical_test(rows):
    ref = pd.DataFrame({"flag": rng.integers(0, 2, rows), "yes": rng.uniform(size=rows) < 0.5})
    cur = pd.DataFrame({"flag": (rng.uniform(size=rows) < 0.8).astype(int), "yes": rng.uniform(size=rows) < 0.8})
    profile = ReferenceProfile.from_frame(ref)
    assert profile.columns["flag"].compared_as == profile.columns["yes"].compared_as == "categorical"
    rep = compute_drift(ref, cur)
    expected = "chi2" if rows <= 1000 else "jensenshannon"
    for name in ("flag", "yes"):
        assert (rep[name].kind, rep[name].method, rep[name].chart["type"]) == ("categorical", expected, "bar")
        assert rep.to_frame().loc[name, "kind"] == "categorical"


def test_a_0_1_column_read_by_a_numeric_only_test_says_numeric():
    ref = pd.DataFrame({"flag": rng.integers(0, 2, 600), "yes": rng.uniform(size=600) < 0.5})
    cur = pd.DataFrame({"flag": rng.integers(0, 2, 600), "yes": rng.uniform(size=600) < 0.5})
    rep = compute_drift(ref, cur, method="ks")
    assert (rep["flag"].kind, rep["flag"].method) == ("numeric", "ks")
    assert (rep["yes"].kind, rep["yes"].method) == ("categorical", "chi2")  # ks cannot read it: auto


def test_past_max_folded_charts_the_least_severe_features_keep_their_row_and_sparkline_only():
    from jupyter_mlops._core.monitor.reports.drift import MAX_FOLDED_CHARTS

    ref, cur = thirty_features()
    rep = compute_drift(ref, cur)
    rep.top_n = 2
    assert 30 - 2 > MAX_FOLDED_CHARTS == 24
    html = rep._repr_html_()
    folded = html.split("<details", 1)[1].split("</details>", 1)[0]
    assert "28 more features (charts for the next 24 by severity; the others in the table)</summary>" in folded
    ranked = [c.column for c in rep.ranked()]
    assert chart_titles(folded) == ranked[2:26] and html.count('class="mlops-sparkline"') == 30
