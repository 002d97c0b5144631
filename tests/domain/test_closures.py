"""Closed days read from the words a facility's page uses, and the reason a date is shut."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.closures import (
    WEEKDAYS,
    closure_reason,
    holiday_name,
    opens_on_holidays,
    read_closures,
)

# As written in geodata/facility_places.csv.
PLAZA_CLOSED = "日曜日、祝日、年末年始(12月29日から1月3日)"
PLAZA_HOURS = "午前9時から午後9時(土曜日は、午後5時まで)"
ELPLAZA_CLOSED = "年末年始(12/29~1/3)"
ELPLAZA_HOURS = ("午前8時45分から午後10時(日曜日及び国民の祝日に関する法律に規定する休日に"
                 "あっては、午後8時)まで(情報センターを除く)")


def test_the_plaza_rule_reads_sundays_holidays_and_the_stated_new_year_range() -> None:
    rule = read_closures(PLAZA_CLOSED, PLAZA_HOURS)
    assert rule is not None
    assert rule.weekdays == {6}
    assert rule.national_holidays
    assert [(r.start, r.end) for r in rule.annual] == [((12, 29), (1, 3))]
    assert rule.text == PLAZA_CLOSED


def test_the_vernal_equinox_2018_closes_the_plaza_and_says_so() -> None:
    rule = read_closures(PLAZA_CLOSED, PLAZA_HOURS)
    assert rule is not None
    assert closure_reason(rule, dt.date(2018, 3, 21)) == "春分の日"
    assert closure_reason(rule, dt.date(2018, 3, 14)) is None  # an ordinary Wednesday


def test_substitute_holidays_count_as_holidays() -> None:
    # 建国記念の日 2018-02-11 fell on a Sunday, so Monday 2018-02-12 was 振替休日.
    assert holiday_name(dt.date(2018, 2, 12)) == "建国記念の日 振替休日"
    rule = read_closures("祝日", None)
    assert rule is not None
    assert closure_reason(rule, dt.date(2018, 2, 12)) == "建国記念の日 振替休日"
    # 国民の休日: a day between two holidays (2019-05-02) is a holiday too.
    assert closure_reason(rule, dt.date(2019, 5, 2)) == "国民の休日"
    assert closure_reason(rule, dt.date(2018, 2, 13)) is None


def test_every_reason_is_given_where_several_apply() -> None:
    rule = read_closures(PLAZA_CLOSED, PLAZA_HOURS)
    assert rule is not None
    # 2017-12-31 was a Sunday inside the New Year closure.
    assert closure_reason(rule, dt.date(2017, 12, 31)) == "年末年始(12月29日から1月3日)、日曜日"
    assert closure_reason(rule, dt.date(2018, 1, 1)) == "元日、年末年始(12月29日から1月3日)"


def test_hours_that_give_holiday_times_mean_open_on_holidays() -> None:
    assert opens_on_holidays(ELPLAZA_HOURS)
    assert not opens_on_holidays(PLAZA_HOURS)
    assert not opens_on_holidays(None)
    # A 祝日 closure the hours contradict does not close on holidays.
    rule = read_closures("祝日、年末年始(12/29~1/3)", ELPLAZA_HOURS)
    assert rule is not None and not rule.national_holidays
    assert closure_reason(rule, dt.date(2018, 3, 21)) is None
    assert closure_reason(rule, dt.date(2017, 12, 29)) == "年末年始(12/29~1/3)"


def test_the_elplaza_new_year_range_in_slash_form() -> None:
    rule = read_closures(ELPLAZA_CLOSED, ELPLAZA_HOURS)
    assert rule is not None and not rule.national_holidays and not rule.weekdays
    assert closure_reason(rule, dt.date(2018, 1, 3)) == ELPLAZA_CLOSED
    assert closure_reason(rule, dt.date(2018, 1, 4)) is None
    assert closure_reason(rule, dt.date(2017, 12, 28)) is None


@pytest.mark.parametrize("text", [
    None, "", "  ",
    "年末年始",  # no range stated: which days is not known
    "無休(臨時休館あり)",
    "休園日はありません。(真駒内公園事務所は年末年始12月28日から1月3日まで休館)",
    "9月13日(月)と9月27日(月)は、定例の休館日(2021年の告知)",
    "日曜日、第6月曜日",
    "2月30日から3月1日",
])
def test_text_not_understood_in_full_gives_unknown_closures(text: str | None) -> None:
    assert read_closures(text, None) is None


@given(days=st.sets(st.sampled_from(range(7)), min_size=1),
       day=st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31)))
def test_weekday_rules_close_exactly_those_weekdays(days: set[int], day: dt.date) -> None:
    text = "、".join(f"{WEEKDAYS[d]}曜日" for d in sorted(days))
    rule = read_closures(text, None)
    assert rule is not None and rule.weekdays == days
    reason = closure_reason(rule, day)
    assert (reason is not None) == (day.weekday() in days)


@given(day=st.dates(dt.date(2000, 1, 1), dt.date(2040, 12, 31)))
def test_the_plaza_is_shut_on_every_holiday_sunday_and_new_year_day(day: dt.date) -> None:
    rule = read_closures(PLAZA_CLOSED, PLAZA_HOURS)
    assert rule is not None
    in_new_year = (day.month, day.day) >= (12, 29) or (day.month, day.day) <= (1, 3)
    shut = day.weekday() == 6 or holiday_name(day) is not None or in_new_year
    assert (closure_reason(rule, day) is not None) == shut


@given(n=st.integers(1, 5), weekday=st.sampled_from(range(7)),
       day=st.dates(dt.date(2017, 1, 1), dt.date(2019, 12, 31)))
def test_nth_weekday_rules_close_that_weekday_of_that_week(n: int, weekday: int,
                                                            day: dt.date) -> None:
    rule = read_closures(f"第{n}{WEEKDAYS[weekday]}曜日", None)
    assert rule is not None
    expected = day.weekday() == weekday and (day.day - 1) // 7 + 1 == n
    assert (closure_reason(rule, day) is not None) == expected
