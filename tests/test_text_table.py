"""What a report prints in a terminal: aligned plain-text tables (jupyter_mlops._core.text)."""

import math

import pandas as pd

from jupyter_mlops._core import text


def test_numbers_align_right_text_left_with_readable_values():
    frame = pd.DataFrame({"feature": ["tenure", "plan"], "statistic": [0.123456, 12.0], "p_value": [None, math.nan],
                          "drifted": [True, False], "note": ["", ""]}).set_index("feature")
    assert text.table(frame).splitlines() == [
        "feature  statistic  drifted",
        "-------  ---------  -------",
        "tenure      0.1235  yes",
        "plan          12.0  no",
    ]  # p_value and note have nothing in any row: left out


def test_an_empty_table_says_so():
    assert text.table(pd.DataFrame({"metric": []})) == "(none)"


def test_missing_values_are_a_dash():
    frame = pd.DataFrame({"name": ["a", "b"], "mean": [1.5, None]})
    assert text.table(frame, index=False).splitlines()[-1] == "b        —"
