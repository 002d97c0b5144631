"""Consultation schedules: RFC 5545 recurrence rules in local wall-clock time.

A rule is one or more ``RRULE:`` lines whose BYHOUR/BYMINUTE give the start of a session; a
schedule has no DTSTART of its own (the documents give none), so it is expanded over the
range a calendar asks for, in the schedule's time zone.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr


class ScheduleError(ValueError):
    """A rule that is not the RRULE form schedules use."""


def rule_lines(rule: str) -> list[str]:
    lines = [line.strip() for line in rule.strip().splitlines() if line.strip()]
    if not lines:
        raise ScheduleError("a schedule needs at least one RRULE line")
    for line in lines:
        if not line.startswith("RRULE:"):
            raise ScheduleError(f"{line!r} is not an RRULE line")
        body = line.removeprefix("RRULE:")
        if "DTSTART" in body:
            raise ScheduleError(f"{line!r}: DTSTART does not belong in a schedule's rule")
        if "BYHOUR=" not in body:
            raise ScheduleError(f"{line!r} needs BYHOUR (and BYMINUTE) for the session start")
    return lines


def _parsed(line: str, start: dt.datetime) -> rrule:
    try:
        parsed = rrulestr(line, dtstart=start)
    except (ValueError, TypeError) as exc:
        raise ScheduleError(f"{line!r}: {exc}") from exc
    if not isinstance(parsed, rrule):
        raise ScheduleError(f"{line!r} is not a single recurrence rule")
    return parsed


def validate_rule(rule: str) -> None:
    start = dt.datetime(2000, 1, 1)
    for line in rule_lines(rule):
        _parsed(line, start)


def occurrences(rule: str, first: dt.date, last: dt.date, timezone: str) -> list[dt.datetime]:
    """Session starts from ``first`` to ``last`` inclusive, as aware datetimes, sorted."""
    zone = ZoneInfo(timezone)
    start = dt.datetime.combine(first, dt.time())
    end = dt.datetime.combine(last, dt.time(23, 59, 59))
    found: set[dt.datetime] = set()
    for line in rule_lines(rule):
        found.update(_parsed(line, start).between(start, end, inc=True))
    return sorted(moment.replace(tzinfo=zone) for moment in found)
