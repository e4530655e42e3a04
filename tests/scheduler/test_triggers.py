"""When schedules run: intervals and cron strings, validated when the schedule is made, with
errors that say what was wrong and what to write instead."""

from __future__ import annotations

import datetime as dt

import pytest

from jupyter_mlops import InvalidInput
from jupyter_mlops._core.errors import ScheduleNotFound
from jupyter_mlops._core.scheduler import triggers


@pytest.mark.parametrize("every, seconds", [("30s", 30), ("5m", 300), ("1h", 3600), ("1d", 86400),
                                            ("2w", 1209600), ("1.5h", 5400), (" 10 min ", 600), (45, 45),
                                            (dt.timedelta(minutes=2), 120)])
def test_intervals(every, seconds):
    assert triggers.interval_seconds(every) == seconds


@pytest.mark.parametrize("every, message", [
    ("5x", "every='5x' is not an interval"),
    ("h", "every='h' is not an interval"),
    ("", "every='' is not an interval"),
    ("0s", "shorter than one second"),
    ("0.5s", "shorter than one second"),
    (-5, "shorter than one second"),
    ("0 3 * * *", "looks like a cron string: pass it as cron='0 3 \\* \\* \\*'"),
    ([1], "is not an interval"),
])
def test_bad_intervals_are_invalid_input(every, message):
    with pytest.raises(InvalidInput, match=message):
        triggers.make_spec(every=every)


@pytest.mark.parametrize("cron, message", [
    ("0 3 * *", "has 4 fields; a cron string has 5"),
    ("0 3 * * * *", "has 6 fields"),
    ("61 * * * *", "not a valid cron string"),
    ("0 25 * * *", "not a valid cron string"),
    ("0 3 * * 9", "day-of-week '9' is not 0-7"),
    ("0 3 * * fri-mon", "runs backwards"),
    ("every day", "has 2 fields"),
    ("", "not a cron string"),
])
def test_bad_cron_strings_are_invalid_input(cron, message):
    with pytest.raises(InvalidInput, match=message):
        triggers.make_spec(cron=cron)


def test_every_and_cron_are_exclusive_and_one_is_needed():
    with pytest.raises(InvalidInput, match="not both"):
        triggers.make_spec(every="1h", cron="0 3 * * *")
    with pytest.raises(InvalidInput, match="needs every="):
        triggers.make_spec()


def _fires(cron: str, start: dt.datetime, n: int = 3) -> list[dt.datetime]:
    trigger = triggers.build_trigger(triggers.make_spec(cron=cron, timezone="UTC"))
    out, t = [], trigger.get_next_fire_time(None, start)
    while len(out) < n:
        out.append(t)
        t = trigger.get_next_fire_time(t, t + dt.timedelta(seconds=1))
    return out


MONDAY = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone.utc)


def test_cron_day_of_week_counts_like_cron_sunday_is_0_and_7():
    # APScheduler 3.x alone would read 0 as Monday (its issue 286)
    assert {t.strftime("%a") for t in _fires("0 3 * * 0", MONDAY)} == {"Sun"}
    assert {t.strftime("%a") for t in _fires("0 3 * * 7", MONDAY)} == {"Sun"}
    assert [t.strftime("%a") for t in _fires("0 3 * * 1-5", MONDAY, 5)] == ["Tue", "Wed", "Thu", "Fri", "Mon"]
    assert [t.strftime("%a") for t in _fires("0 3 * * */2", MONDAY, 4)] == ["Tue", "Thu", "Sat", "Sun"]
    assert [t.strftime("%a") for t in _fires("0 3 * * sat,SUN", MONDAY, 2)] == ["Sat", "Sun"]


def test_cron_fields_and_nicknames():
    assert _fires("0 3 * * *", MONDAY, 2) == [dt.datetime(2026, 11, 24, 3, tzinfo=dt.timezone.utc),
                                              dt.datetime(2026, 11, 25, 3, tzinfo=dt.timezone.utc)]
    assert _fires("*/15 * * * *", MONDAY, 2)[1] - _fires("*/15 * * * *", MONDAY, 2)[0] == dt.timedelta(minutes=15)
    assert _fires("@daily", MONDAY, 1) == [dt.datetime(2026, 11, 24, 0, tzinfo=dt.timezone.utc)]


def test_cron_uses_the_timezone_given():
    spec = triggers.make_spec(cron="0 3 * * *", timezone="America/New_York")
    first = triggers.build_trigger(spec).get_next_fire_time(None, MONDAY)
    assert first.utcoffset() == dt.timedelta(hours=-5) and first.hour == 3
    assert triggers.describe(spec) == "cron 0 3 * * * (America/New_York)"
    with pytest.raises(InvalidInput, match="not a valid cron string"):
        triggers.make_spec(cron="0 3 * * *", timezone="Mars/Olympus_Mons")


def test_a_schedule_with_a_bad_trigger_is_never_stored(ws):
    with pytest.raises(InvalidInput):
        ws.scheduler.add("monitor", "churn", every="soon")
    with pytest.raises(InvalidInput, match="Unknown job kind 'nightly'. Known kinds: .*monitor"):
        ws.scheduler.add("nightly", "churn", every="1h")
    with pytest.raises(InvalidInput, match="plain JSON values"):
        ws.scheduler.add("monitor", "churn", every="1h", options={"model": object()})
    with pytest.raises(InvalidInput, match="may not contain 'trigger'"):
        ws.scheduler.add("monitor", "churn", every="1h", options={"trigger": {"every": "1s"}})
    with pytest.raises(InvalidInput, match="not an event name"):
        ws.scheduler.add("monitor", "churn", on_event="drift churn")
    assert len(ws.schedules()) == 0


def test_unknown_schedule_ids_name_the_close_matches(ws, plugin):
    ws.scheduler.add("sleep", "churn", every="1h")
    with pytest.raises(ScheduleNotFound, match="no schedule 'sleep-chrun'. Did you mean: sleep-churn"):
        ws.unschedule("sleep-chrun")
    ws.unschedule("sleep-churn")
    assert len(ws.schedules()) == 0
    assert [a for a in ws.audit()["action"] if "schedule" in a] == ["schedule", "unschedule"]
