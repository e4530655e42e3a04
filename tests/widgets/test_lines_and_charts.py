"""What the panel draws and says, as pure functions: one line per error, sparklines that survive
gaps, zeros and an empty history."""

from __future__ import annotations

from jupyter_mlops import ModelNotFound
from jupyter_mlops.widgets.actions import MAX_MESSAGE_CHARS, one_line
from jupyter_mlops.widgets.sparkline import chart, figure_text, sparkline


def test_an_error_is_its_class_and_message_on_one_line():
    error = ModelNotFound("No model named 'chrun'.", wanted="chrun", candidates=["churn", "fraud"])
    assert one_line(error) == "ModelNotFound: No model named 'chrun'. Did you mean: churn?"
    assert one_line(ValueError("first line\n  second line")) == "ValueError: first line second line"
    assert one_line(RuntimeError()) == "RuntimeError: (no message)"
    long = one_line(RuntimeError("x" * 1000))
    assert len(long) == len("RuntimeError: ") + MAX_MESSAGE_CHARS and long.endswith("…")


def test_a_sparkline_draws_a_line_per_run_of_values_and_a_dot_for_a_lone_one():
    svg = sparkline([1.0, 2.0, None, 3.0, None, None, 4.0, 5.0])
    assert svg.startswith("<svg") and svg.count("<polyline") == 2 and svg.count("<circle") == 1
    for history in ([], [None, None], [0.0, 0.0, 0.0], [float("nan"), float("inf")]):
        assert sparkline(history).startswith("<svg")  # no division by zero, nothing drawn out of range


def test_a_chart_names_its_figure_and_its_latest_value():
    html = chart("p99", [1.0, 2.5], figure_text(2.5, " ms"))
    assert 'class="mlops-chart mlops-spark"' in html and 'data-figure="p99"' in html and "<b>2.5 ms</b>" in html
    assert figure_text(None) == "–" and figure_text(float("nan")) == "–" and figure_text(0.01234, "", 2) == "0.012"
