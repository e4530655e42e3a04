"""When a schedule runs: an interval (``every="30s" | "5m" | "1h30m" | "2 days"``, any duration), a standard
five-field cron string (``cron="0 3 * * *"``), or an event another run emits (``on_event=
"drift:churn"``: a monitoring run that finds a violation with ``on_violation="retrain"``), validated
here and turned into APScheduler triggers.

The stored form is a small JSON dict (``{"every": "1h", "seconds": 3600}``,
``{"cron": "0 3 * * *", "timezone": "Europe/Paris"}`` or ``{"event": "drift:churn"}``) so the
database stays readable and the daemon can rebuild the trigger after a restart.

Cron strings mean what they mean to cron: day-of-week 0 and 7 are Sunday. APScheduler 3.x's
``CronTrigger.from_crontab`` counts 0 as Monday (its issue 286), so the day-of-week field is
translated to weekday names before it reaches APScheduler.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..durations import duration_seconds
from ..errors import InvalidInput

_NICKNAMES = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
              "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *",
              "@annually": "0 0 1 1 *"}
_CRON_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]  # cron numbering: 0 = Sunday
_EVENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}")


def interval_seconds(every: Any) -> float:
    """``"30s"`` -> 30.0, ``"1h30m"`` -> 5400.0; a number is seconds; a ``timedelta`` as is (the
    grammar of every duration: ``durations.py``)."""
    if isinstance(every, str) and (len(every.split()) == 5 or every.strip().startswith("@")):
        raise InvalidInput(f"every={every!r} is not an interval. It looks like a cron string: pass it as "
                           f"cron={every!r}.")
    seconds = duration_seconds(every, "every", "an interval")
    if not seconds >= 1:
        raise InvalidInput(f"every={every!r} is shorter than one second; the shortest interval is '1s'.")
    return seconds


def _cron_weekday_field(field: str) -> str:
    """Translate a cron day-of-week field (0/7 = Sunday) into APScheduler 3.x weekday names."""
    if field == "*":
        return "*"
    days: set[int] = set()

    def value(token: str) -> int:
        token = token.lower()
        if token in _CRON_DAYS:
            return _CRON_DAYS.index(token)
        if token.isdigit() and 0 <= int(token) <= 7:
            return int(token)
        raise InvalidInput(f"day-of-week {token!r} is not 0-7 or a day name (sun, mon, …).")

    for part in field.split(","):
        span, _, step_text = part.partition("/")
        if step_text and not (step_text.isdigit() and int(step_text) > 0):
            raise InvalidInput(f"day-of-week step {step_text!r} is not a positive whole number.")
        step = int(step_text) if step_text else 1
        if span == "*":
            lo, hi = 0, 6
        elif "-" in span:
            a, _, b = span.partition("-")
            lo, hi = value(a), value(b)
            if hi < lo:
                raise InvalidInput(f"day-of-week range {span!r} runs backwards.")
        else:
            lo = value(span)
            hi = 6 if step_text else lo  # cron reads "1/2" as "from 1 to the end, every 2"
        days.update(d % 7 for d in range(lo, hi + 1, step))
    return ",".join(_CRON_DAYS[d] for d in sorted(days))


def local_timezone_name() -> str:
    from tzlocal import get_localzone_name

    return get_localzone_name() or "UTC"


def make_spec(every: Any = None, cron: str | None = None, timezone: str | None = None,
              event: str | None = None) -> dict:
    """The stored trigger for ``every=``, ``cron=`` or ``event=`` (exactly one), validated now so
    that a bad value fails when the schedule is made, not at 3 a.m. in the daemon's log."""
    given = [name for name, value in (("every", every), ("cron", cron), ("on_event", event)) if value is not None]
    if len(given) > 1:
        raise InvalidInput(f"Give either every= (an interval) or cron= (a cron string), not both "
                           f"(got {' and '.join(given)}).")
    if not given:
        raise InvalidInput("A schedule needs every= (e.g. '1h') or cron= (e.g. '0 3 * * *').")
    if event is not None:
        if not isinstance(event, str) or not _EVENT.fullmatch(event):
            raise InvalidInput(f"on_event={event!r} is not an event name like 'drift:churn'.")
        return {"event": event}
    if every is not None:
        seconds = interval_seconds(every)
        label = every if isinstance(every, str) else f"{seconds:g}s"
        return {"every": label.strip(), "seconds": seconds}
    if not isinstance(cron, str) or not cron.strip():
        raise InvalidInput(f"cron={cron!r} is not a cron string like '0 3 * * *'.")
    spec = {"cron": " ".join(cron.split()), "timezone": timezone or local_timezone_name()}
    build_trigger(spec)  # raises InvalidInput when APScheduler refuses it
    return spec


def build_trigger(spec: dict, start: dt.datetime | None = None):
    """The APScheduler trigger for a stored spec. Intervals count from ``start`` (the schedule's
    creation), so a restarted daemon keeps the same rhythm."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if "seconds" in spec:
        start = start or dt.datetime.now(dt.timezone.utc)
        return IntervalTrigger(seconds=spec["seconds"], start_date=start + dt.timedelta(seconds=spec["seconds"]),
                               timezone=dt.timezone.utc)
    expr = _NICKNAMES.get(spec["cron"].lower(), spec["cron"])
    fields = expr.split()
    if len(fields) != 5:
        raise InvalidInput(f"cron={spec['cron']!r} has {len(fields)} fields; a cron string has 5: "
                           "minute hour day-of-month month day-of-week (e.g. '0 3 * * *').")
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                           day_of_week=_cron_weekday_field(weekday), timezone=spec.get("timezone") or "UTC")
    except InvalidInput as exc:
        raise InvalidInput(f"cron={spec['cron']!r}: {exc.message}") from None
    except (ValueError, LookupError) as exc:
        raise InvalidInput(f"cron={spec['cron']!r} is not a valid cron string: {exc}.",
                           hint="Fields: minute hour day-of-month month day-of-week, e.g. '0 3 * * *'.") from None


def is_event(spec: dict) -> bool:
    return "event" in spec


def next_fire_time(spec: dict, start: dt.datetime, after: dt.datetime | None = None) -> dt.datetime | None:
    if is_event(spec):
        return None  # runs when the event comes, not at a time
    now = after or dt.datetime.now(dt.timezone.utc)
    return build_trigger(spec, start).get_next_fire_time(None, now)


def period_seconds(spec: dict, start: dt.datetime) -> float:
    """The length of one period (the gap between the next two fire times for cron; a day for an
    event, which has no period, where a look-back needs one)."""
    if is_event(spec):
        return 86400.0
    if "seconds" in spec:
        return float(spec["seconds"])
    trigger = build_trigger(spec, start)
    now = dt.datetime.now(dt.timezone.utc)
    first = trigger.get_next_fire_time(None, now)
    second = trigger.get_next_fire_time(first, first) if first else None
    return (second - first).total_seconds() if first and second else 86400.0


def describe(spec: dict) -> str:
    if is_event(spec):
        return f"on {spec['event']}"
    if "seconds" in spec:
        return f"every {spec.get('every') or str(spec['seconds']) + 's'}"
    if "cron" not in spec:
        return f"unknown trigger {spec!r}"
    tz = spec.get("timezone")
    return f"cron {spec['cron']}" + (f" ({tz})" if tz and tz != "UTC" else "")
