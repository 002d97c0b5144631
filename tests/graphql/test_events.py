"""The shared event calendar over HTTP (issue 10 point 4): the seed events of FY2017 with
their organizers, the filters, the clashes of the seed data checked against the brute force,
the issue's done-when on events made through createEvent's service, and the argument
bounds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Connection, text

from hub.config import Settings
from hub.domain.conflicts import TOKYO, EventSpan, event_days
from hub.services.writes.events import create_event
from hub.services.writes.runner import Writes
from tests.conftest import LiveServer, live_server
from tests.domain.test_conflicts import brute_force

EVENTS = """query ($from: Date!, $to: Date!, $audience: Audience, $organizer: ID) {
  events(from: $from, to: $to, audience: $audience, organizerId: $organizer) {
    id code title audiences startsAt endsAt datePrecision sources version
    organizers { id code operator { id } } venue { code } } }"""

CONFLICTS = """query ($from: Date!, $to: Date!, $window: Int!) {
  eventConflicts(from: $from, to: $to, windowDays: $window) {
    a { id code title organizers { code } } b { id code title organizers { code } }
    sharedAudiences overlapDays gapDays } }"""

PREF_NPO, CITY_NPO = "pref-citizen-activity-centre", "sapporo-citizen-activity-support-centre"
PREF_CONSUMER, CITY_CONSUMER = "pref-consumer-centre", "sapporo-consumer-centre"
COURSE, CAMPAIGN = "NPO法人設立基礎講座", "悪質商法・特殊詐欺被害撲滅キャンペーン"
TEACHERS_COURSE = "教員等を対象とした消費者教育講座"

# FY2017 (平成29年度) as geodata/events.yaml dates it, written out by hand: month-precise
# events spanning their month, in start order.
FY2017 = [
    ("fraud-campaign-2017", CAMPAIGN, [PREF_CONSUMER, CITY_CONSUMER], ["CONSUMERS"], "2017-05"),
    ("npo-founding-course-pref-2017-07", COURSE, [PREF_NPO], ["NPOS"], "2017-07"),
    ("npo-founding-course-city-2017-09", COURSE, [CITY_NPO], ["NPOS"], "2017-09"),
    ("npo-founding-course-pref-2017-11", COURSE, [PREF_NPO], ["NPOS"], "2017-11"),
    ("teacher-consumer-education-2018-01", TEACHERS_COURSE, [CITY_CONSUMER], ["TEACHERS"],
     "2018-01"),
    ("npo-founding-course-city-2018-02", COURSE, [CITY_NPO], ["NPOS"], "2018-02"),
    ("npo-founding-course-pref-2018-03", COURSE, [PREF_NPO], ["NPOS"], "2018-03"),
]
LAST_DAY = {"2017-05": "31", "2017-07": "31", "2017-09": "30", "2017-11": "30",
            "2018-01": "31", "2018-02": "28", "2018-03": "31"}


def _events(server: LiveServer, first: str, last: str, **filters: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = server.data(EVENTS, {"from": first, "to": last, **filters})[
        "events"]
    return found


def _conflicts(server: LiveServer, first: str, last: str, window: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = server.data(
        CONFLICTS, {"from": first, "to": last, "window": window})["eventConflicts"]
    return found


def test_the_seed_events_of_fy2017_with_their_organizers(server: LiveServer) -> None:
    events = _events(server, "2017-04-01", "2018-03-31")
    got = [(e["code"], e["title"], [o["code"] for o in e["organizers"]], e["audiences"],
            e["startsAt"], e["endsAt"]) for e in events]
    assert got == [
        (code, title, organizers, audiences, f"{month}-01T00:00:00+09:00",
         f"{month}-{LAST_DAY[month]}T23:59:59+09:00")
        for code, title, organizers, audiences, month in FY2017]
    assert {e["datePrecision"] for e in events} == {"MONTH"}
    assert all(e["sources"] and e["venue"] is None and e["version"] >= 1 for e in events)


def test_a_range_takes_the_events_held_on_any_of_its_days(server: LiveServer) -> None:
    # The 道 course of July 2017 spans the month: its last day, 31 July, is enough.
    assert [e["code"] for e in _events(server, "2017-07-31", "2017-08-15")] == [
        "npo-founding-course-pref-2017-07"]
    assert _events(server, "2017-08-01", "2017-08-31") == []
    # FY2016: the 2016 campaign and the teachers' course of January 2017.
    assert [e["code"] for e in _events(server, "2016-04-01", "2017-03-31")] == [
        "fraud-campaign-2016", "teacher-consumer-education-2017-01"]


def test_audience_and_organizer_narrow_the_list(server: LiveServer) -> None:
    fy = ("2017-04-01", "2018-03-31")
    npo = _events(server, *fy, audience="NPOS")
    assert [e["code"] for e in npo] == [c for c, _, _, a, _ in FY2017 if a == ["NPOS"]]
    assert [e["code"] for e in _events(server, *fy, audience="TEACHERS")] == [
        "teacher-consumer-education-2018-01"]
    assert _events(server, *fy, audience="WOMEN") == []
    city_npo_id = next(e for e in npo if e["code"].startswith("npo-founding-course-city"))[
        "organizers"][0]["id"]
    assert [e["code"] for e in _events(server, *fy, organizer=city_npo_id)] == [
        "npo-founding-course-city-2017-09", "npo-founding-course-city-2018-02"]
    # A co-host counts as an organizer: the 市 consumer centre co-hosts the campaign.
    campaign = _events(server, *fy, audience="CONSUMERS")[0]
    city_consumer_id = campaign["organizers"][1]["id"]
    assert [e["code"] for e in _events(server, *fy, organizer=city_consumer_id)] == [
        "fraud-campaign-2017", "teacher-consumer-education-2018-01"]


def _pairs(found: list[dict[str, Any]]) -> list[tuple[str, str, list[str], int, int]]:
    return [(c["a"]["code"], c["b"]["code"], c["sharedAudiences"], c["overlapDays"],
             c["gapDays"]) for c in found]


def test_the_seed_clashes_of_fy2017(server: LiveServer) -> None:
    """The 道 and 市 NPO courses are months apart, but dated to a month only: 市 in February
    and 道 in March 2018 may be held on 28 February and 1 March, one day apart, so within two
    weeks they are reported as a possible clash. The others are 32 days apart at the least
    (31 July to 1 September, 30 September to 1 November); the campaign and the teachers'
    course share no audience with any other event."""
    fy = ("2017-04-01", "2018-03-31")
    assert _pairs(_conflicts(server, *fy, 14)) == [
        ("npo-founding-course-city-2018-02", "npo-founding-course-pref-2018-03", ["NPOS"], 0, 1)]
    assert _conflicts(server, *fy, 0) == []
    assert len(_conflicts(server, *fy, 31)) == 1
    assert _pairs(_conflicts(server, *fy, 32)) == [
        ("npo-founding-course-pref-2017-07", "npo-founding-course-city-2017-09", ["NPOS"], 0, 32),
        ("npo-founding-course-city-2017-09", "npo-founding-course-pref-2017-11", ["NPOS"], 0, 32),
        ("npo-founding-course-city-2018-02", "npo-founding-course-pref-2018-03", ["NPOS"], 0, 1)]


def _spans(server: LiveServer, first: dt.date, last: dt.date) -> dict[int, EventSpan]:
    """The events held from ``first`` to ``last`` as listed over HTTP, a year at a time."""
    spans: dict[int, EventSpan] = {}
    while first <= last:
        upto = min(last, first + dt.timedelta(days=365))
        for e in _events(server, first.isoformat(), upto.isoformat()):
            spans[int(e["id"])] = EventSpan(
                int(e["id"]), tuple(int(o["id"]) for o in e["organizers"]),
                tuple(int(o["operator"]["id"]) for o in e["organizers"]), tuple(e["audiences"]),
                dt.datetime.fromisoformat(e["startsAt"]), dt.datetime.fromisoformat(e["endsAt"]))
        first = upto + dt.timedelta(days=1)
    return spans


@pytest.mark.parametrize("window", [0, 1, 14, 31, 32, 63, 200, 366])
@pytest.mark.parametrize("fiscal_year", [2015, 2016, 2017])
def test_the_seed_clashes_equal_the_brute_force(server: LiveServer, fiscal_year: int,
                                                 window: int) -> None:
    first, last = dt.date(fiscal_year, 4, 1), dt.date(fiscal_year + 1, 3, 31)
    spans = _spans(server, first - dt.timedelta(days=window), last + dt.timedelta(days=window))

    def in_range(span: EventSpan) -> bool:
        held_first, held_last = event_days(span.starts_at, span.ends_at)
        return held_first <= last and held_last >= first

    expected = {p for p in brute_force(list(spans.values()), window)
                if in_range(spans[p[0]]) or in_range(spans[p[1]])}
    got = {(int(c["a"]["id"]), int(c["b"]["id"]), tuple(c["sharedAudiences"]), c["overlapDays"],
            c["gapDays"]) for c in _conflicts(server, first.isoformat(), last.isoformat(), window)}
    assert got == expected


def _made(conn: Connection, host: str, audience: str, day: str, title: str) -> int:
    ids = {c: int(i) for c, i in conn.execute(text("SELECT code, id FROM facility"))}
    start = dt.datetime.fromisoformat(f"{day}T13:30").replace(tzinfo=TOKYO)
    return create_event(conn, {"title": title, "organizer_ids": [ids[host]],
                               "audiences": [audience], "starts_at": start,
                               "ends_at": start + dt.timedelta(hours=2),
                               "venue_id": ids[host]}, "test-editor", lambda _: None)


def test_a_pref_and_a_city_npo_seminar_within_two_weeks_clash_and_other_audiences_do_not(
    seeded_copy_url: str,
) -> None:
    """The issue's done-when, on events made through createEvent's service: a 道 seminar and a
    市 seminar for NPOs ten days apart are reported; a 道 seminar for teachers and a 市 one for
    NPOs two days apart are not."""
    side = Writes(seeded_copy_url, Settings())
    try:
        pref = side.run(lambda c: _made(c, PREF_NPO, "NPOS", "2019-06-05", "道 NPO seminar"))
        city = side.run(lambda c: _made(c, CITY_NPO, "NPOS", "2019-06-15", "市 NPO seminar"))
        teachers = side.run(lambda c: _made(c, PREF_CONSUMER, "TEACHERS", "2019-10-01",
                                            "道 teachers' seminar"))
        city_npo = side.run(lambda c: _made(c, CITY_NPO, "NPOS", "2019-10-03",
                                            "市 NPO seminar in autumn"))
    finally:
        side.close()
    with live_server(seeded_copy_url) as server:
        found = _conflicts(server, "2019-04-01", "2020-03-31", 14)
        assert [(int(c["a"]["id"]), int(c["b"]["id"]), c["sharedAudiences"], c["overlapDays"],
                 c["gapDays"]) for c in found] == [(pref, city, ["NPOS"], 0, 10)]
        assert [o["code"] for o in found[0]["a"]["organizers"]] == [PREF_NPO]
        assert [o["code"] for o in found[0]["b"]["organizers"]] == [CITY_NPO]
        # The pair for different audiences is two days apart, and still not a clash.
        assert not any({int(c["a"]["id"]), int(c["b"]["id"])} == {teachers, city_npo}
                       for c in _conflicts(server, "2019-04-01", "2020-03-31", 366))
        # Ten days apart: not within a window of nine.
        assert _conflicts(server, "2019-04-01", "2020-03-31", 9) == []
        listed = _events(server, "2019-06-01", "2019-06-30")
        assert [(e["title"], e["datePrecision"], e["startsAt"], e["endsAt"], e["venue"]["code"],
                 e["version"], e["code"]) for e in listed] == [
            ("道 NPO seminar", "DAY", "2019-06-05T13:30:00+09:00", "2019-06-05T15:30:00+09:00",
             PREF_NPO, 1, None),
            ("市 NPO seminar", "DAY", "2019-06-15T13:30:00+09:00", "2019-06-15T15:30:00+09:00",
             CITY_NPO, 1, None)]


def test_organizers_and_venues_cost_the_same_statements_for_one_event_or_seven(
    server: LiveServer,
) -> None:
    def statements(first: str, last: str, count: int) -> int:
        before = server.statements
        assert len(_events(server, first, last)) == count
        return server.statements - before

    one = statements("2017-07-01", "2017-07-31", 1)
    seven = statements("2017-04-01", "2018-03-31", 7)
    assert one == seven <= 3  # events; organizers and venues; their operators


def _error(server: LiveServer, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = server.graphql(query, variables)
    assert body.get("data") is None or not any(body["data"].values()), body
    error: dict[str, Any] = body["errors"][0]
    return error


@pytest.mark.parametrize(("query", "variables", "field"), [
    (EVENTS, {"from": "2017-04-01", "to": "2018-04-02"}, "to"),  # 367 days
    (EVENTS, {"from": "2017-04-01", "to": "2017-03-31"}, "to"),
    (EVENTS, {"from": "2017-04-01", "to": "2017-04-30", "organizer": "pref"}, "organizerId"),
    (EVENTS, {"from": "2017-04-01", "to": "2017-04-30", "organizer": "987654321"},
     "organizerId"),
    (EVENTS, {"from": "2017-04-01", "to": "2017-04-30", "audience": "PETS"}, "audience"),
    (CONFLICTS, {"from": "2017-04-01", "to": "2018-04-02", "window": 14}, "to"),
    (CONFLICTS, {"from": "2017-04-01", "to": "2018-03-31", "window": -1}, "windowDays"),
    (CONFLICTS, {"from": "2017-04-01", "to": "2018-03-31", "window": 367}, "windowDays"),
])
def test_bad_arguments_are_bad_user_input_naming_the_argument(
    server: LiveServer, query: str, variables: dict[str, Any], field: str,
) -> None:
    error = _error(server, query, variables)
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["field"] == field, error


def test_a_full_year_is_allowed_and_the_window_defaults_to_two_weeks(server: LiveServer) -> None:
    assert len(_events(server, "2017-04-01", "2018-04-01")) == 7  # 366 days
    default = server.data('{ eventConflicts(from: "2017-04-01", to: "2018-03-31") '
                          "{ a { code } b { code } } }")["eventConflicts"]
    assert default == [{"a": {"code": "npo-founding-course-city-2018-02"},
                        "b": {"code": "npo-founding-course-pref-2018-03"}}]


@pytest.mark.parametrize(("first", "last"), [("0001-01-01", "0001-12-31"),
                                             ("9999-01-01", "9999-12-31")])
def test_the_ends_of_the_calendar_are_empty_not_a_fault(server: LiveServer, first: str,
                                                         last: str) -> None:
    assert _events(server, first, last) == []
    assert _conflicts(server, first, last, 366) == []
