"""The consultation calendar keeps each facility's closures (issue 9 point 4), over HTTP on the
real data: 北海道立女性プラザ closes on 日曜日、祝日、年末年始(12月29日から1月3日) (its page, in
geodata/facility_places.csv); 札幌市男女共同参画センター has no sourced closed days, so it keeps
every date and says its closures are unknown."""

from __future__ import annotations

from typing import Any

from tests.conftest import LiveServer

CITY, PLAZA = "sapporo-gender-equality-centre", "pref-womens-plaza"

SESSIONS = """query ($from: Date!, $to: Date!, $skipped: Boolean!) {
  consultationSessions(from: $from, to: $to, includeSkipped: $skipped) {
    startsAt endsAt skipped skipReason
    consultation { closuresKnown facility { code } } } }"""

# Hand-checked with a wall calendar, not computed: Nov 2017 starts on a Wednesday, Dec 2017
# on a Friday, Jan 2018 on a Monday, Feb and Mar 2018 on a Thursday.
# City (Fridays): 13:00-15:00, the 2nd Friday 18:00-20:00. 2017-11-03 (文化の日) and
# 2017-12-29 (New Year at 札幌エルプラザ) stay: this centre's closed days are not sourced.
# Plaza (2nd and 4th Wednesday, and the 3rd in odd months) 13:15-15:45: no Wednesday session
# falls on a Sunday, a holiday or 12/29-1/3 except 2018-03-21 (3rd Wednesday, 春分の日).
F, F2, W = ("13:00", "15:00"), ("18:00", "20:00"), ("13:15", "15:45")
HAND_CHECKED: list[tuple[str, tuple[str, str], str]] = [
    ("2017-11-03", F, CITY), ("2017-11-08", W, PLAZA), ("2017-11-10", F2, CITY),
    ("2017-11-15", W, PLAZA), ("2017-11-17", F, CITY), ("2017-11-22", W, PLAZA),
    ("2017-11-24", F, CITY),
    ("2017-12-01", F, CITY), ("2017-12-08", F2, CITY), ("2017-12-13", W, PLAZA),
    ("2017-12-15", F, CITY), ("2017-12-22", F, CITY), ("2017-12-27", W, PLAZA),
    ("2017-12-29", F, CITY),
    ("2018-01-05", F, CITY), ("2018-01-10", W, PLAZA), ("2018-01-12", F2, CITY),
    ("2018-01-17", W, PLAZA), ("2018-01-19", F, CITY), ("2018-01-24", W, PLAZA),
    ("2018-01-26", F, CITY),
    ("2018-02-02", F, CITY), ("2018-02-09", F2, CITY), ("2018-02-14", W, PLAZA),
    ("2018-02-16", F, CITY), ("2018-02-23", F, CITY), ("2018-02-28", W, PLAZA),
    ("2018-03-02", F, CITY), ("2018-03-09", F2, CITY), ("2018-03-14", W, PLAZA),
    ("2018-03-16", F, CITY), ("2018-03-23", F, CITY), ("2018-03-28", W, PLAZA),
    ("2018-03-30", F, CITY),
]


def _expected() -> list[tuple[str, str, str]]:
    return [(f"{day}T{start}:00+09:00", f"{day}T{end}:00+09:00", code)
            for day, (start, end), code in HAND_CHECKED]


def _sessions(server: LiveServer, skipped: bool) -> list[dict[str, Any]]:
    data = server.data(SESSIONS, {"from": "2017-11-01", "to": "2018-03-31", "skipped": skipped})
    sessions: list[dict[str, Any]] = data["consultationSessions"]
    return sessions


def test_the_winter_calendar_equals_the_hand_checked_list(server: LiveServer) -> None:
    sessions = _sessions(server, skipped=False)
    got = [(s["startsAt"], s["endsAt"], s["consultation"]["facility"]["code"])
           for s in sessions]
    assert got == _expected()
    assert not any(s["skipped"] or s["skipReason"] for s in sessions)


def test_asked_for_skipped_dates_the_equinox_comes_back_with_its_reason(
        server: LiveServer) -> None:
    sessions = _sessions(server, skipped=True)
    skipped = [(s["startsAt"], s["consultation"]["facility"]["code"], s["skipReason"])
               for s in sessions if s["skipped"]]
    assert skipped == [("2018-03-21T13:15:00+09:00", PLAZA, "春分の日")]
    held = [(s["startsAt"], s["endsAt"], s["consultation"]["facility"]["code"])
            for s in sessions if not s["skipped"]]
    assert held == _expected()


def test_closures_are_known_for_the_plaza_and_unknown_for_the_city_centre(
        server: LiveServer) -> None:
    known = {s["consultation"]["facility"]["code"]: s["consultation"]["closuresKnown"]
             for s in _sessions(server, skipped=True)}
    assert known == {PLAZA: True, CITY: False}
