"""Consultation schedules: RFC 5545 recurrence rules in local wall-clock time.

A rule is one or more ``RRULE:`` lines whose BYHOUR/BYMINUTE give the start of a session; a
schedule has no DTSTART of its own (the documents give none), so it is expanded over the
range a calendar asks for, in the schedule's time zone. ``EXDATE`` lines beside the RRULEs
cancel single sessions: ``EXDATE:20180321T131500`` one start (local time), and
``EXDATE;VALUE=DATE:20180321`` every session of that day.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rruleset, rrulestr


class ScheduleError(ValueError):
    """A rule that is not the RRULE form schedules use."""


def _split(rule: str) -> tuple[list[str], list[str]]:
    """The RRULE lines and the EXDATE lines of a rule, each checked for form."""
    lines = [line.strip() for line in rule.strip().splitlines() if line.strip()]
    rrules = [line for line in lines if line.startswith("RRULE:")]
    exdates = [line for line in lines if line.startswith("EXDATE")]
    for line in lines:
        if line not in rrules and line not in exdates:
            raise ScheduleError(f"{line!r} is not an RRULE line (nor an EXDATE line)")
    if not rrules:
        raise ScheduleError("a schedule needs at least one RRULE line")
    for line in rrules:
        body = line.removeprefix("RRULE:")
        if "DTSTART" in body:
            raise ScheduleError(f"{line!r}: DTSTART does not belong in a schedule's rule")
        if "BYHOUR=" not in body:
            raise ScheduleError(f"{line!r} needs BYHOUR (and BYMINUTE) for the session start")
    for line in exdates:
        _exdates(line)
    return rrules, exdates


def rule_lines(rule: str) -> list[str]:
    """The RRULE lines of a rule (EXDATE lines checked and left out)."""
    return _split(rule)[0]


def _exdates(line: str) -> tuple[list[dt.datetime], list[dt.date]]:
    """Local start times and whole days an EXDATE line cancels."""
    head, sep, values = line.partition(":")
    params = head.split(";")[1:]
    if not sep or params not in ([], ["VALUE=DATE-TIME"], ["VALUE=DATE"]) or not values:
        raise ScheduleError(
            f"{line!r}: EXDATE takes local times (EXDATE:20180321T131500) or days "
            "(EXDATE;VALUE=DATE:20180321); no TZID, no UTC 'Z'")
    whole_days = params == ["VALUE=DATE"]
    moments: list[dt.datetime] = []
    days: list[dt.date] = []
    for value in values.split(","):
        try:
            if whole_days:
                days.append(dt.datetime.strptime(value, "%Y%m%d").date())
            else:
                moments.append(dt.datetime.strptime(value, "%Y%m%dT%H%M%S"))
        except ValueError as exc:
            raise ScheduleError(f"{line!r}: {value!r} is not a "
                                f"{'YYYYMMDD day' if whole_days else 'YYYYMMDDTHHMMSS time'}"
                                ) from exc
    return moments, days


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


def _expanded(rule: str, first: dt.date, last: dt.date, with_exdates: bool
              ) -> list[dt.datetime]:
    start = dt.datetime.combine(first, dt.time())
    end = dt.datetime.combine(last, dt.time(23, 59, 59))
    rrules, exdate_lines = _split(rule)
    found = rruleset()
    for line in rrules:
        found.rrule(_parsed(line, start))
    cancelled_days: set[dt.date] = set()
    if with_exdates:
        for line in exdate_lines:
            moments, days = _exdates(line)
            for moment in moments:
                found.exdate(moment)
            cancelled_days.update(days)
    return [m for m in found.between(start, end, inc=True) if m.date() not in cancelled_days]


def occurrences(rule: str, first: dt.date, last: dt.date, timezone: str) -> list[dt.datetime]:
    """Session starts from ``first`` to ``last`` inclusive, as aware datetimes, sorted.

    Starts the rule's EXDATE lines cancel are left out (see :func:`cancelled`).
    """
    zone = ZoneInfo(timezone)
    return [m.replace(tzinfo=zone) for m in _expanded(rule, first, last, with_exdates=True)]


def cancelled(rule: str, first: dt.date, last: dt.date, timezone: str) -> list[dt.datetime]:
    """Session starts the RRULEs give but the rule's EXDATE lines cancel, sorted."""
    zone = ZoneInfo(timezone)
    kept = set(_expanded(rule, first, last, with_exdates=True))
    return [m.replace(tzinfo=zone) for m in _expanded(rule, first, last, with_exdates=False)
            if m not in kept]
