"""facilityHistory over HTTP: every change of a facility, oldest first, with who made it and
the fields before and after; an archived facility is gone from the reads but keeps its
history. The changes are made through the write side the mutations use
(hub.services.writes), on a database of the test's own."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from hub.config import Settings
from hub.services.writes import facilities as writes
from hub.services.writes.runner import Writes
from tests.conftest import live_server

HISTORY = """query ($id: ID!) { facilityHistory(id: $id) { action actor at before after } }"""


def allow(_operator_id: int) -> None:
    """Authorization is not the point here."""


def test_history_of_a_created_updated_and_archived_facility(seeded_copy_url: str) -> None:
    side = Writes(seeded_copy_url, Settings())
    try:
        def operator(conn: Connection) -> int:
            return int(conn.exec_driver_sql(
                "SELECT id FROM operator WHERE code = 'ebetsu'").scalar_one())

        given: dict[str, Any] = {
            "code": "test-history-desk", "name_ja": "履歴テスト窓口", "category": "CONSUMER",
            "operator_id": side.run(operator), "municipality_code": "01217",
            "sources": ["テスト"]}
        made = side.run(lambda c: writes.create_facility(c, given, "city-web-team", allow))
        side.run(lambda c: writes.update_facility(c, made.facility_id, 1,
                                                  {"name_ja": "新しい窓口"}, "city-web-team",
                                                  allow))
        side.run(lambda c: writes.archive_facility(c, made.facility_id, 2, "admin", allow))
    finally:
        side.close()
    with live_server(seeded_copy_url) as server:
        fid = str(made.facility_id)
        entries = server.data(HISTORY, {"id": fid})["facilityHistory"]
        assert [(e["action"], e["actor"]) for e in entries] == [
            ("INSERT", "city-web-team"), ("UPDATE", "city-web-team"), ("ARCHIVE", "admin")]
        assert entries[0]["before"] is None
        assert entries[0]["after"]["name_ja"] == "履歴テスト窓口"
        assert entries[1]["before"] == {"name_ja": "履歴テスト窓口"}
        assert entries[1]["after"] == {"name_ja": "新しい窓口"}
        assert entries[0]["at"] <= entries[1]["at"] <= entries[2]["at"]
        # Archived: gone from reads, by id and by code and from the list.
        gone = server.data("query ($id: ID) { facility(id: $id) { code } }", {"id": fid})
        assert gone["facility"] is None
        listed = server.data('{ facilities(filter: {text: "窓口"}, first: 100) '
                             "{ edges { node { code } } } }")["facilities"]["edges"]
        assert "test-history-desk" not in {e["node"]["code"] for e in listed}


def test_the_history_of_a_loaded_facility_starts_with_its_load(seeded_copy_url: str) -> None:
    with live_server(seeded_copy_url) as server:
        fid = server.data('{ facility(code: "pref-womens-plaza") { id } }')["facility"]["id"]
        entries = server.data(HISTORY, {"id": fid})["facilityHistory"]
        assert entries and entries[0]["action"] == "INSERT"
        assert entries[0]["after"]["code"] == "pref-womens-plaza"


def test_an_id_no_facility_ever_had_is_not_found(seeded_copy_url: str) -> None:
    with live_server(seeded_copy_url) as server:
        body = server.graphql(HISTORY, {"id": "987654321"})
        assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        body = server.graphql(HISTORY, {"id": "seven"})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
