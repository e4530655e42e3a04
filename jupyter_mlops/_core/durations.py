"""Durations and "since" times, read one way wherever they are typed (``every=``, ``since=``,
``--since``, a gate's ``replay_since``).

A duration is a ``timedelta`` (pandas' ``Timedelta`` is one), a number of seconds, or text: one
or more numbers with units, spaces optional (``"30s"``, ``"30min"``, ``"30 min"``, ``"1h30m"``,
``"2 days"``, ``"1.5h"``), or any string pandas reads as a ``Timedelta`` (``"1 days 02:00:00"``,
``"00:30:00"``, ``"P1DT2H"``). A bare number in text (``"30"``) is refused: its unit is a guess.
A "since" is a duration back from now, or a point in time (a ``datetime`` or ISO 8601 text).

Pandas is only imported for text the simple grammar does not read, so the scheduler's and the
magics' common cases stay light.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .errors import InvalidInput

_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
          "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
          "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
          "d": 86400, "day": 86400, "days": 86400,
          "w": 604800, "week": 604800, "weeks": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,]*")
_NUMBER = re.compile(r"\s*[-+]?\d+(?:\.\d+)?\s*")

EXAMPLES = "'30s', '30min', '30 min', '1h30m', '2 days', '1 days 02:00:00' or a timedelta"


def duration_seconds(value: Any, option: str = "duration", what: str = "a duration") -> float:
    """``value`` in seconds; ``InvalidInput`` naming ``option`` and the text when it is not one."""
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        seconds = _text_seconds(value)
        if seconds is not None:
            return seconds
    raise InvalidInput(f"{option}={value!r} is not {what}.", hint=f"Write a number and a unit, e.g. {EXAMPLES}.")


def since_time(since: Any, now: dt.datetime | None = None, option: str = "since") -> dt.datetime | None:
    """The point in time ``since`` names (UTC): a duration back from ``now``, or a time. ``None``
    (no bound) stays ``None``."""
    if since is None:
        return None
    if isinstance(since, dt.datetime):
        return _utc(since)
    now = now or dt.datetime.now(dt.timezone.utc)
    if isinstance(since, str):
        seconds = _text_seconds(since)
        if seconds is not None:
            return now - dt.timedelta(seconds=seconds)
        try:
            return _utc(dt.datetime.fromisoformat(since.strip()))
        except ValueError:
            pass
    elif isinstance(since, (dt.timedelta, int, float)) and not isinstance(since, bool):
        return now - dt.timedelta(seconds=duration_seconds(since, option))
    raise InvalidInput(f"{option}={since!r} is neither a duration nor a time.",
                       hint=f"Give a duration, e.g. {EXAMPLES}, or a time such as '2026-11-26T08:00:00'.")


def _text_seconds(text: str) -> float | None:
    """Seconds in ``text``, or ``None`` when it is not a duration."""
    parts = _PART.findall(text)
    if parts and _SEPARATORS.fullmatch(_PART.sub("", text)) and all(unit.lower() in _UNITS for _, unit in parts):
        return sum(float(number) * _UNITS[unit.lower()] for number, unit in parts)
    if not text.strip() or _NUMBER.fullmatch(text) or len(text) > 100:
        return None  # pandas would read "30" as 30 nanoseconds
    try:
        import pandas as pd

        return pd.Timedelta(text.strip()).total_seconds()
    except (ValueError, TypeError, OverflowError):
        return None


def _utc(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
