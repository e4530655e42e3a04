"""One duration grammar wherever a duration is typed: ``every=``, ``since=``, ``--since``."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from jupyter_mlops import InvalidInput
from jupyter_mlops._core.durations import duration_seconds, since_time
from jupyter_mlops._core.scheduler import triggers

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("text, seconds", [
    ("30s", 30), ("30min", 1800), ("30 min", 1800), ("30m", 1800), ("1h30m", 5400), ("1h 30m", 5400),
    ("1 hour, 30 minutes", 5400), ("2 days", 172800), ("1.5h", 5400), ("2w", 1209600),
    ("1 days 02:00:00", 93600), ("00:30:00", 1800), ("P1DT2H", 93600),  # pandas Timedelta strings
    (pd.Timedelta("90min"), 5400), (dt.timedelta(minutes=2), 120), (45, 45),
])
def test_every_way_of_writing_a_duration(text, seconds):
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize("since", ["30min", "30 min", "1h30m", "2 days", "00:30:00", dt.timedelta(minutes=30)])
def test_since_and_every_read_the_same_grammar(since):
    assert since_time(since, NOW) == NOW - dt.timedelta(seconds=duration_seconds(since))
    assert triggers.interval_seconds(since) == duration_seconds(since)


def test_since_is_also_a_time():
    assert since_time("2026-11-26T08:00:00", NOW) == dt.datetime(2026, 11, 26, 8, tzinfo=dt.timezone.utc)
    assert since_time(dt.datetime(2026, 11, 26, 8), NOW) == dt.datetime(2026, 11, 26, 8, tzinfo=dt.timezone.utc)
    assert since_time(None, NOW) is None


@pytest.mark.parametrize("text", ["5x", "30", "", "soon", "1h and then some"])
def test_text_that_is_not_a_duration_is_named_with_examples(text):
    with pytest.raises(InvalidInput, match=rf"since={text!r} is neither a duration nor a time\. .*'1h30m'"):
        since_time(text, NOW)
    with pytest.raises(InvalidInput, match=rf"every={text!r} is not an interval\. Write a number and a unit, "
                                           r"e\.g\. '30s', '30min'"):
        triggers.interval_seconds(text)


def test_a_monitoring_schedule_takes_since_as_every_does(ws):
    from jupyter_mlops._core.scheduler.scheduler import _since_option

    assert _since_option("30 min") == "30 min" and _since_option(dt.timedelta(hours=1)) == "3600s"
    with pytest.raises(InvalidInput, match="since='30' is neither a duration nor a time"):
        _since_option("30")
