"""No N+1: the statements a query costs do not grow with its page size; and a hub pointed
at the synthetic database serves only synthetic facilities, the real one none."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from hub.db.engine import make_engine
from hub.resources import SEED_DIR
from hub.services.loading.seed import load_seed
from tests.conftest import (
    SYNTHETIC_COUNT,
    LiveServer,
    create_database,
    drop_database,
    live_server,
)

PAGE_WITH_RELATIONS = """query ($first: Int) { facilities(first: $first) { edges { node {
    code operator { name level } municipality { nameJa subprefecture }
    services { code nameJa } consultations { title rule }
    partnerships { theme facilities { code } }
} } } }"""


def _statements(server: LiveServer, first: int) -> int:
    before = server.statements
    data = server.data(PAGE_WITH_RELATIONS, {"first": first})
    assert len(data["facilities"]["edges"]) == first
    return server.statements - before


def test_a_page_of_100_costs_the_statements_of_a_page_of_10(synthetic_server: LiveServer
                                                            ) -> None:
    small, large = _statements(synthetic_server, 10), _statements(synthetic_server, 100)
    assert large == small
    # one for the page, one per relation (operator, municipality, services, consultations,
    # partnerships); partnership facilities come only when there are partnerships
    assert small <= 7


def test_the_real_page_costs_no_more_per_relation(server: LiveServer) -> None:
    # In code order the 23rd facility is the first with a partnership: from there on each
    # page also loads partnership facilities (2 statements), whatever its size.
    assert _statements(server, 23) == _statements(server, 34) == _statements(server, 5) + 2


def test_the_synthetic_database_serves_only_synthetic_facilities(
    server: LiveServer, synthetic_server: LiveServer
) -> None:
    page = "{ facilities(first: 100) { totalCount edges { node { code } } } }"
    real, fake = server.data(page), synthetic_server.data(page)
    assert real["facilities"]["totalCount"] == 34
    assert fake["facilities"]["totalCount"] == SYNTHETIC_COUNT
    assert all(e["node"]["code"].startswith("synth-") for e in fake["facilities"]["edges"])
    assert not any(e["node"]["code"].startswith("synth-") for e in real["facilities"]["edges"])
    near = ("{ nearestFacilities(near: {lat: 43.06, lon: 141.35}, first: 100)"
            " { facility { code } } }")
    assert not any(n["facility"]["code"].startswith("synth-")
                   for n in server.data(near)["nearestFacilities"])
    assert all(n["facility"]["code"].startswith("synth-")
               for n in synthetic_server.data(near)["nearestFacilities"])
    calendar = '{ consultationSessions(from: "2024-04-01", to: "2024-04-30") { startsAt } }'
    assert server.data(calendar)["consultationSessions"]
    assert synthetic_server.data(calendar)["consultationSessions"] == []


# ---- consultations: closures per facility --------------------------------------------------
#
# The seed set has two consultations; to see whether the calendar's per-facility lookups
# (closuresKnown, the closure rules behind skipped sessions) are batched, every facility
# gets one, in a database of this module's own.

EVERYWHERE = "hub_consultations_everywhere"


@pytest.fixture(scope="module")
def consultations_everywhere(database_url: str, seeded_template: str,
                             tmp_path_factory: pytest.TempPathFactory
                             ) -> Iterator[LiveServer]:
    """The hub on a copy of the seed set in which every facility holds a consultation on
    Mondays, Wednesdays and Saturdays at 10:00."""
    directory = tmp_path_factory.mktemp("seed") / "seed"
    shutil.copytree(SEED_DIR, directory)
    facilities = yaml.safe_load((directory / "facilities.yaml").read_text(encoding="utf-8"))
    path = directory / "consultations.yaml"
    records = yaml.safe_load(path.read_text(encoding="utf-8"))
    records += [{"code": f"{f['code']}-weekly-consultation", "facility": f["code"],
                 "title": "毎週の相談", "duration_minutes": 60, "reservation_required": False,
                 "rule": "RRULE:FREQ=WEEKLY;BYDAY=MO,WE,SA;BYHOUR=10;BYMINUTE=0;BYSECOND=0",
                 "sources": ["tests/graphql/test_dataloaders.py"]} for f in facilities]
    path.write_text(yaml.safe_dump(records, allow_unicode=True), encoding="utf-8")
    url = create_database(database_url, EVERYWHERE, template=seeded_template)
    engine = make_engine(url)
    try:
        load_seed(engine, directory)
    finally:
        engine.dispose()
    with live_server(url) as live:
        yield live
    drop_database(database_url, EVERYWHERE)


def _cost(server: LiveServer, query: str, variables: dict[str, Any]
          ) -> tuple[int, dict[str, Any]]:
    before = server.statements
    data = server.data(query, variables)
    return server.statements - before, data


PAGE_WITH_CONSULTATIONS = """query ($first: Int) { facilities(first: $first) { edges { node {
    code consultations { title closuresKnown facility { code } } } } } }"""


def test_closures_known_on_a_page_of_100_costs_what_it_costs_on_a_page_of_10(
        consultations_everywhere: LiveServer) -> None:
    small, ten = _cost(consultations_everywhere, PAGE_WITH_CONSULTATIONS, {"first": 10})
    large, hundred = _cost(consultations_everywhere, PAGE_WITH_CONSULTATIONS, {"first": 100})
    consultations = [c for e in hundred["facilities"]["edges"]
                     for c in e["node"]["consultations"]]
    assert len(ten["facilities"]["edges"]) == 10
    assert len(consultations) == 34 + 2  # one per facility, and the seed set's two
    assert {c["closuresKnown"] for c in consultations} == {True, False}
    assert large == small
    assert small <= 3  # the page, the consultations, their facilities (closuresKnown too)


CALENDAR = """query ($from: Date!, $to: Date!) {
  consultationSessions(from: $from, to: $to, includeSkipped: true) {
    startsAt skipped skipReason consultation { closuresKnown facility { code } } } }"""


def test_a_calendar_of_hundreds_of_sessions_costs_what_one_day_costs(
        consultations_everywhere: LiveServer) -> None:
    one_day, day = _cost(consultations_everywhere, CALENDAR,
                         {"from": "2017-12-27", "to": "2017-12-27"})
    winter, weeks = _cost(consultations_everywhere, CALENDAR,
                          {"from": "2017-12-18", "to": "2018-01-15"})
    assert len(day["consultationSessions"]) == 34 + 1  # every facility, and the plaza's
    sessions = weeks["consultationSessions"]
    assert len(sessions) > 400
    reasons = {s["skipReason"] for s in sessions if s["skipped"]}
    assert {"成人の日", "元日、年末年始(12月29日から1月3日)"} <= reasons  # closures applied ...
    assert {s["consultation"]["closuresKnown"] for s in sessions} == {True, False}
    assert winter == one_day  # ... without a statement per session or per facility
    assert one_day <= 3  # the consultations, their closure rules, their facilities
