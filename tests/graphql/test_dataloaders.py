"""No N+1: the statements a query costs do not grow with its page size; and a hub pointed
at the synthetic database serves only synthetic facilities, the real one none."""

from __future__ import annotations

from tests.conftest import SYNTHETIC_COUNT, LiveServer

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
