"""Schedule rules: RRULE lines expanded in local time, with EXDATE lines cancelling sessions."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.domain.schedule import ScheduleError, cancelled, occurrences, validate_rule

PLAZA = ("RRULE:FREQ=MONTHLY;BYDAY=2WE,4WE;BYHOUR=13;BYMINUTE=15;BYSECOND=0\n"
         "RRULE:FREQ=MONTHLY;BYMONTH=1,3,5,7,9,11;BYDAY=3WE;BYHOUR=13;BYMINUTE=15;BYSECOND=0")
MARCH = (dt.date(2018, 3, 1), dt.date(2018, 3, 31))


def _days(moments: list[dt.datetime]) -> list[str]:
    return [m.date().isoformat() for m in moments]


def test_march_2018_without_exceptions() -> None:
    # Wednesdays of March 2018: 7, 14, 21, 28; 2nd, 3rd (odd month) and 4th are sessions.
    assert _days(occurrences(PLAZA, *MARCH, "Asia/Tokyo")) == [
        "2018-03-14", "2018-03-21", "2018-03-28"]
    assert cancelled(PLAZA, *MARCH, "Asia/Tokyo") == []


def test_an_exdate_time_cancels_that_session_only() -> None:
    rule = PLAZA + "\nEXDATE:20180321T131500"
    assert _days(occurrences(rule, *MARCH, "Asia/Tokyo")) == ["2018-03-14", "2018-03-28"]
    gone = cancelled(rule, *MARCH, "Asia/Tokyo")
    assert [m.isoformat() for m in gone] == ["2018-03-21T13:15:00+09:00"]


def test_an_exdate_time_that_is_not_a_session_start_cancels_nothing() -> None:
    rule = PLAZA + "\nEXDATE:20180321T140000"
    assert _days(occurrences(rule, *MARCH, "Asia/Tokyo")) == [
        "2018-03-14", "2018-03-21", "2018-03-28"]


def test_an_exdate_day_cancels_every_session_that_day() -> None:
    rule = PLAZA + "\nEXDATE;VALUE=DATE:20180314,20180328"
    assert _days(occurrences(rule, *MARCH, "Asia/Tokyo")) == ["2018-03-21"]
    assert _days(cancelled(rule, *MARCH, "Asia/Tokyo")) == ["2018-03-14", "2018-03-28"]


@pytest.mark.parametrize(("rule", "words"), [
    ("EXDATE:20180321T131500", "at least one RRULE"),
    (PLAZA + "\nEXDATE:2018-03-21", "YYYYMMDDTHHMMSS"),
    (PLAZA + "\nEXDATE;VALUE=DATE:20180399", "YYYYMMDD day"),
    (PLAZA + "\nEXDATE;TZID=Asia/Tokyo:20180321T131500", "no TZID"),
    (PLAZA + "\nEXDATE:20180321T041500Z", "YYYYMMDDTHHMMSS"),
    (PLAZA + "\nRDATE:20180322T131500", "not an RRULE line \\(nor an EXDATE"),
])
def test_bad_exdate_lines_are_refused_with_the_line(rule: str, words: str) -> None:
    with pytest.raises(ScheduleError, match=words):
        validate_rule(rule)
