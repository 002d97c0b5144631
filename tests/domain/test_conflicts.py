"""Event clashes (hub.domain.conflicts): hand-made cases, and the sweep against a brute-force
computation over every pair that shares no code with it."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.conflicts import (
    MAX_WINDOW_DAYS,
    TOKYO,
    EventSpan,
    check_window,
    clash_of,
    clashes,
    event_days,
)
from hub.domain.errors import InputError
from hub.domain.vocabulary import AUDIENCES as VOCABULARY

PREF, CITY = 1, 2  # operators: 北海道, 札幌市
PREF_CENTRE, CITY_CENTRE, PREF_CONSUMER, CITY_CONSUMER = 11, 21, 12, 22


def at(day: str, time: str = "00:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=TOKYO)


def seminar(n: int, organizers: dict[int, int], audiences: tuple[str, ...], first: str,
            last: str | None = None, start: str = "13:00", end: str = "16:00") -> EventSpan:
    """Event ``n`` held from ``first`` to ``last`` (one day when None); organizers as
    {facility: operator}."""
    return EventSpan(n, tuple(organizers), tuple(organizers.values()), audiences,
                     at(first, start), at(last or first, end))


def test_a_pref_and_a_city_npo_seminar_ten_days_apart_clash() -> None:
    pref = seminar(1, {PREF_CENTRE: PREF}, ("NPOS",), "2017-09-01")
    city = seminar(2, {CITY_CENTRE: CITY}, ("NPOS", "CITIZENS"), "2017-09-11")
    clash = clash_of(city, pref, 14)
    assert clash is not None
    assert (clash.a.id, clash.b.id) == (1, 2)  # the earlier first, whatever the order given
    assert clash.shared_audiences == ("NPOS",)
    assert (clash.overlap_days, clash.gap_days) == (0, 10)


def test_seminars_for_different_audiences_do_not_clash() -> None:
    pref = seminar(1, {PREF_CENTRE: PREF}, ("NPOS",), "2017-09-01")
    city = seminar(2, {CITY_CONSUMER: CITY}, ("TEACHERS",), "2017-09-01")
    assert clash_of(pref, city, 14) is None


def test_the_window_is_inclusive_and_counts_calendar_days() -> None:
    pref = seminar(1, {PREF_CENTRE: PREF}, ("NPOS",), "2017-09-01", end="23:30")
    two_weeks = seminar(2, {CITY_CENTRE: CITY}, ("NPOS",), "2017-09-15", start="09:00")
    one_more = seminar(3, {CITY_CENTRE: CITY}, ("NPOS",), "2017-09-16", start="09:00")
    clash = clash_of(pref, two_weeks, 14)
    assert clash is not None and clash.gap_days == 14
    assert clash_of(pref, one_more, 14) is None
    assert clash_of(pref, one_more, 15) is not None


def test_the_same_day_is_an_overlap_of_one_day_even_at_other_hours() -> None:
    morning = seminar(1, {PREF_CENTRE: PREF}, ("NPOS",), "2017-09-01", start="09:00",
                      end="11:00")
    evening = seminar(2, {CITY_CENTRE: CITY}, ("NPOS",), "2017-09-01", start="18:00",
                      end="20:00")
    clash = clash_of(morning, evening, 0)
    assert clash is not None and (clash.overlap_days, clash.gap_days) == (1, 0)


def test_month_long_events_overlap_by_their_shared_days() -> None:
    may = EventSpan(1, (PREF_CONSUMER,), (PREF,), ("CONSUMERS",), at("2017-05-01"),
                    at("2017-05-31", "23:59:59"))
    late_may = seminar(2, {CITY_CONSUMER: CITY}, ("CONSUMERS",), "2017-05-20", "2017-06-10")
    clash = clash_of(may, late_may, 0)
    assert clash is not None and clash.overlap_days == 12  # 20..31 May


def test_one_operator_on_both_sides_is_no_clash() -> None:
    """The 道's own series, and a joint 道+市 campaign beside a 市 course, are each planned
    by an organizer of the other: not a clash between different organizers."""
    pref_july = seminar(1, {PREF_CENTRE: PREF}, ("NPOS",), "2017-07-10")
    pref_july_too = seminar(2, {PREF_CENTRE: PREF}, ("NPOS",), "2017-07-12")
    other_pref_facility = seminar(3, {PREF_CONSUMER: PREF}, ("NPOS",), "2017-07-12")
    joint = seminar(4, {PREF_CONSUMER: PREF, CITY_CONSUMER: CITY}, ("CONSUMERS",), "2017-05-10")
    city = seminar(5, {CITY_CENTRE: CITY}, ("CONSUMERS",), "2017-05-12")
    assert clash_of(pref_july, pref_july_too, 14) is None
    assert clash_of(pref_july, other_pref_facility, 14) is None
    assert clash_of(joint, city, 14) is None


def test_shared_audiences_come_in_vocabulary_order() -> None:
    a = seminar(1, {PREF_CENTRE: PREF}, ("WOMEN", "NPOS", "CITIZENS"), "2017-07-10")
    b = seminar(2, {CITY_CENTRE: CITY}, ("CITIZENS", "WOMEN"), "2017-07-10")
    clash = clash_of(a, b, 0)
    assert clash is not None and clash.shared_audiences == ("CITIZENS", "WOMEN")


def test_an_event_ending_at_midnight_ends_the_day_before() -> None:
    assert event_days(at("2017-09-01"), at("2017-09-02")) == (
        dt.date(2017, 9, 1), dt.date(2017, 9, 1))
    assert event_days(at("2017-09-01"), at("2017-09-01")) == (
        dt.date(2017, 9, 1), dt.date(2017, 9, 1))
    # Given in UTC, counted in Tokyo: 2017-08-31T20:00Z is 2017-09-01 05:00 in Sapporo.
    utc = dt.datetime(2017, 8, 31, 20, tzinfo=dt.UTC)
    assert event_days(utc, utc + dt.timedelta(hours=2)) == (
        dt.date(2017, 9, 1), dt.date(2017, 9, 1))


def test_clashes_lists_each_pair_once_in_start_order() -> None:
    events = [
        seminar(3, {CITY_CENTRE: CITY}, ("NPOS",), "2017-09-12"),
        seminar(1, {PREF_CENTRE: PREF}, ("NPOS",), "2017-09-01"),
        seminar(2, {CITY_CENTRE: CITY}, ("NPOS",), "2017-09-05"),
        seminar(4, {PREF_CENTRE: PREF}, ("NPOS",), "2018-03-01"),
    ]
    found = clashes(events, 14)
    assert [(c.a.id, c.b.id) for c in found] == [(1, 2), (1, 3)]


@pytest.mark.parametrize("window", [-1, MAX_WINDOW_DAYS + 1])
def test_a_window_outside_its_range_is_refused(window: int) -> None:
    with pytest.raises(InputError) as caught:
        check_window(window)
    assert caught.value.field == "windowDays"
    with pytest.raises(InputError):
        clashes([], window)


# ---- against brute force ------------------------------------------------------------------

AUDIENCES = ("NPOS", "CITIZENS", "TEACHERS")
BASE = dt.datetime(2017, 4, 1, tzinfo=TOKYO)


@st.composite
def spans(draw: st.DrawFn, n: int) -> EventSpan:
    operators = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3, unique=True))
    start = BASE + dt.timedelta(minutes=draw(st.integers(0, 120 * 24 * 4)) * 15)
    length = dt.timedelta(minutes=draw(st.sampled_from(
        [0, 15, 60 * 3, 60 * 24, 60 * 24 * 3, 60 * 24 * 30, 60 * 24 * 31 - 1])))
    return EventSpan(n, tuple(10 * o for o in operators), tuple(operators),
                     tuple(draw(st.lists(st.sampled_from(AUDIENCES), max_size=2, unique=True))),
                     start, start + length)


@st.composite
def event_sets(draw: st.DrawFn) -> list[EventSpan]:
    count = draw(st.integers(0, 14))
    return [draw(spans(n)) for n in range(1, count + 1)]


Found = set[tuple[int, int, tuple[str, ...], int, int]]


def brute_force(events: list[EventSpan], window: int) -> Found:
    """Every pair, by the definition's words and a day-by-day count, no sweep, no shortcut.
    Times must be given in Asia/Tokyo (their ``date()`` is the day in Sapporo)."""
    found: Found = set()
    for x, y in itertools.combinations(events, 2):
        if set(x.operator_ids) & set(y.operator_ids):
            continue
        shared = tuple(a for a in VOCABULARY if a in x.audiences and a in y.audiences)
        if not shared:
            continue

        def held(e: EventSpan) -> set[dt.date]:
            first, last = e.starts_at.date(), e.ends_at.date()
            if e.ends_at > e.starts_at and e.ends_at.time() == dt.time(0):
                last = (e.ends_at - dt.timedelta(microseconds=1)).date()
            return {first + dt.timedelta(days=d) for d in range((last - first).days + 1)}

        dx, dy = held(x), held(y)
        overlap = len(dx & dy)
        gap = 0 if overlap else min(abs((p - q).days) for p in dx for q in dy)
        if overlap or gap <= window:
            a, b = sorted((x, y), key=lambda e: (e.starts_at, e.id))
            found.add((a.id, b.id, shared, overlap, gap))
    return found


@given(event_sets(), st.integers(0, 40))
def test_the_sweep_finds_what_every_pair_compared_finds(events: list[EventSpan],
                                                          window: int) -> None:
    found = clashes(events, window)
    assert {(c.a.id, c.b.id, c.shared_audiences, c.overlap_days, c.gap_days)
            for c in found} == brute_force(events, window)
    assert len(found) == len({(c.a.id, c.b.id) for c in found})
    keys = [(c.a.starts_at, c.a.id, c.b.starts_at, c.b.id) for c in found]
    assert keys == sorted(keys)
