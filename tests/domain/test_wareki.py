from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.wareki import (
    WarekiError,
    fiscal_year_bounds,
    fiscal_year_of,
    month_in_fiscal_year,
    parse_wareki,
    start_of,
    to_wareki,
)


@pytest.mark.parametrize(
    ("text", "year", "month", "precision"),
    [
        ("H13", 2001, None, "YEAR"),
        ("H27", 2015, None, "YEAR"),
        ("H27.10", 2015, 10, "MONTH"),
        ("Ｈ28.6", 2016, 6, "MONTH"),  # full-width letter, as in the documents
        ("Ｈ\n28.6", 2016, 6, "MONTH"),  # broken across a line by the PDF extraction
        ("H29年度", 2017, None, "FISCAL_YEAR"),
        ("平成13年6月", 2001, 6, "MONTH"),
        ("平成15年9月", 2003, 9, "MONTH"),
        ("H30.2", 2018, 2, "MONTH"),
        ("令和元年", 2019, None, "YEAR"),
    ],
)
def test_dates_as_the_documents_write_them(
    text: str, year: int, month: int | None, precision: str
) -> None:
    parsed = parse_wareki(text)
    assert (parsed.year, parsed.month, parsed.precision) == (year, month, precision)


def test_qualifiers() -> None:
    assert parse_wareki("H29.8～").ongoing
    assert parse_wareki("H27～").ongoing
    assert parse_wareki("H29.8現在").as_of
    assert parse_wareki("H30.1予定").planned
    plain = parse_wareki("H29.1")
    assert not (plain.ongoing or plain.as_of or plain.planned)


@pytest.mark.parametrize("bad", ["", "27.10", "H27.13", "H27.0", "X27", "H2710", "H0", "H27.10.5"])
def test_malformed_dates_are_refused(bad: str) -> None:
    with pytest.raises(WarekiError):
        parse_wareki(bad)


def test_fiscal_year_runs_april_to_march() -> None:
    assert fiscal_year_bounds(2017) == (dt.date(2017, 4, 1), dt.date(2018, 3, 31))
    assert month_in_fiscal_year(2017, 7) == dt.date(2017, 7, 1)
    assert month_in_fiscal_year(2017, 3) == dt.date(2018, 3, 1)  # 3月 of H29年度


def test_a_bare_year_starts_with_its_fiscal_year() -> None:
    assert start_of(parse_wareki("H27～")) == dt.date(2015, 4, 1)
    assert start_of(parse_wareki("H29.8～")) == dt.date(2017, 8, 1)


@given(st.integers(1989, 2100), st.integers(1, 12))
def test_months_round_trip_through_wareki(year: int, month: int) -> None:
    if year == 1989 and month == 1:
        return  # January 1989 was mostly 昭和64年; Heisei began on the 8th
    parsed = parse_wareki(to_wareki(year, month))
    assert (parsed.year, parsed.month) == (year, month)


@given(st.integers(1, 31), st.sampled_from("HR"))
def test_era_years_are_offsets_of_the_era_start(n: int, era: str) -> None:
    base = {"H": 1988, "R": 2018}[era]
    assert parse_wareki(f"{era}{n}").year == base + n
    assert parse_wareki(f"{era}{n}年度").fiscal_year


@given(st.dates(dt.date(1989, 4, 1), dt.date(2100, 12, 31)))
def test_every_day_lies_in_its_fiscal_year(day: dt.date) -> None:
    start, end = fiscal_year_bounds(fiscal_year_of(day))
    assert start <= day <= end
    assert month_in_fiscal_year(fiscal_year_of(day), day.month) == day.replace(day=1)
