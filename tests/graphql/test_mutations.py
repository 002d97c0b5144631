"""The facility mutations over HTTP with real tokens: who may write what, optimistic locking
under twenty concurrent requests, one audit row per change, and nothing written by a refused
or bad request. One database of this module's own, one server on it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from hub.db.engine import make_engine
from hub.services import tokens
from tests.conftest import (
    LiveServer,
    create_database,
    drop_database,
    live_server,
    make_tokens,
)
from tests.public_facility_files import csv_bytes, row

UPDATE = """mutation ($id: ID!, $v: Int!, $patch: FacilityPatch!) {
  updateFacility(id: $id, expectedVersion: $v, patch: $patch) { id code nameJa version } }"""
CREATE = """mutation ($input: FacilityInput!) {
  createFacility(input: $input) { id code version locationPrecision municipality { code } } }"""
ARCHIVE = """mutation ($id: ID!, $v: Int!) {
  archiveFacility(id: $id, expectedVersion: $v) { id version } }"""


class Hub:
    def __init__(self, server: LiveServer, engine: Engine, secrets: dict[str, str]) -> None:
        self.server, self.engine, self.secrets = server, engine, secrets

    def post(self, query: str, variables: dict[str, Any], token: str | None = None,
             header: str | None = None) -> dict[str, Any]:
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {self.secrets[token]}"
        if header is not None:
            headers["Authorization"] = header
        response = httpx.post(self.server.url + "/graphql", headers=headers, timeout=60,
                              json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def facility(self, code: str) -> dict[str, Any]:
        found: dict[str, Any] | None = self.server.data(
            "query ($c: String) { facility(code: $c) { id nameJa version } }",
            {"c": code})["facility"]
        assert found is not None, code
        return found

    def audit_rows(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(text("SELECT count(*) FROM audit_log")) or 0)


@pytest.fixture(scope="module")
def hub(database_url: str, seeded_template: str) -> Iterator[Hub]:
    name = "hub_mutations"
    url = create_database(database_url, name, template=seeded_template)
    engine = make_engine(url)
    secrets = make_tokens(engine, "test", [("admin", "admin", None, []),
                                           ("sapporo", "editor", "sapporo", []),
                                           ("hokkaido", "editor", "hokkaido", []),
                                           ("revoked", "editor", "sapporo", []),
                                           ("bulk", "editor", "sapporo", ["bulk"])])
    with engine.begin() as conn:
        tokens.revoke(conn, "test-revoked")
    try:
        with live_server(url) as server:
            yield Hub(server, engine, secrets)
    finally:
        engine.dispose()
        drop_database(database_url, name)


def _code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


@pytest.mark.parametrize(("token", "header"), [
    (None, None), (None, "Basic dXNlcjpwYXNz"), (None, "Bearer"),
    (None, "Bearer hub_notatokenanyoneknows"), ("revoked", None)])
def test_a_write_without_a_valid_token_is_unauthenticated_and_writes_nothing(
    hub: Hub, token: str | None, header: str | None
) -> None:
    before, rows = hub.facility("sapporo-consumer-centre"), hub.audit_rows()
    body = hub.post(UPDATE, {"id": before["id"], "v": before["version"],
                             "patch": {"nameJa": "乗っ取り"}}, token, header)
    assert _code(body) == "UNAUTHENTICATED" and body["data"] is None
    assert hub.facility("sapporo-consumer-centre") == before
    assert hub.audit_rows() == rows


def test_an_editor_changes_its_own_operators_facility_and_not_anothers(hub: Hub) -> None:
    own = hub.facility("sapporo-consumer-centre")
    body = hub.post(UPDATE, {"id": own["id"], "v": own["version"],
                             "patch": {"nameJa": "札幌市消費者センター(改)"}}, "sapporo")
    assert "errors" not in body, body
    assert body["data"]["updateFacility"]["version"] == own["version"] + 1
    history = hub.server.data("query ($id: ID!) { facilityHistory(id: $id) { action actor } }",
                              {"id": own["id"]})["facilityHistory"]
    assert history[-1] == {"action": "UPDATE", "actor": "test-sapporo"}

    rows = hub.audit_rows()
    theirs = hub.facility("pref-consumer-centre")
    body = hub.post(UPDATE, {"id": theirs["id"], "v": theirs["version"],
                             "patch": {"nameJa": "x"}}, "sapporo")
    assert _code(body) == "FORBIDDEN"
    body = hub.post(ARCHIVE, {"id": theirs["id"], "v": theirs["version"]}, "sapporo")
    assert _code(body) == "FORBIDDEN"
    assert hub.facility("pref-consumer-centre") == theirs and hub.audit_rows() == rows
    # The prefecture's editor may; so may an admin.
    body = hub.post(UPDATE, {"id": theirs["id"], "v": theirs["version"],
                             "patch": {"address": "札幌市中央区北3条西7丁目"}}, "hokkaido")
    assert "errors" not in body, body
    assert hub.audit_rows() == rows + 1


def test_an_editor_creates_only_for_its_operator(hub: Hub) -> None:
    edges = hub.server.data('{ facilities(first: 100) { edges { node { operator { id name } } }'
                            ' } }')["facilities"]["edges"]
    operators = {e["node"]["operator"]["name"]: e["node"]["operator"]["id"] for e in edges}
    new = {"code": "test-sapporo-desk", "nameJa": "テスト窓口", "category": "CONSUMER",
           "municipalityCode": "01101", "sources": ["テスト"]}
    rows = hub.audit_rows()
    body = hub.post(CREATE, {"input": {**new, "operatorId": operators["北海道"]}}, "sapporo")
    assert _code(body) == "FORBIDDEN" and hub.audit_rows() == rows
    body = hub.post(CREATE, {"input": {**new, "operatorId": operators["札幌市"]}}, "sapporo")
    assert "errors" not in body, body
    made = body["data"]["createFacility"]
    assert made["version"] == 1 and made["locationPrecision"] == "WARD"
    assert made["municipality"]["code"] == "01101"
    assert hub.audit_rows() == rows + 1


@pytest.mark.parametrize(("patch", "field"), [
    ({"location": {"lat": 43.77, "lon": 142.36}}, "location"),  # Asahikawa, not Sapporo
    ({"activityArea": "どこにもない町内"}, "activityArea"),
    ({"serviceCodes": ["juggling"]}, "serviceCodes"),
    ({"nameJa": " "}, "nameJa"),
    ({"serviceArea": {"type": "Point", "coordinates": [141.3, 43.0]}}, "patch.serviceArea"),
])
def test_bad_input_is_named_and_changes_nothing(hub: Hub, patch: dict[str, Any],
                                                field: str) -> None:
    before, rows = hub.facility("sapporo-gender-equality-centre"), hub.audit_rows()
    body = hub.post(UPDATE, {"id": before["id"], "v": before["version"], "patch": patch},
                    "admin")
    assert _code(body) == "BAD_USER_INPUT", body
    assert body["errors"][0]["extensions"].get("field") == field, body
    assert hub.facility("sapporo-gender-equality-centre") == before
    assert hub.audit_rows() == rows


def test_twenty_concurrent_updates_with_one_version_leave_one_change(hub: Hub) -> None:
    before, rows = hub.facility("sapporo-industry-promotion-centre"), hub.audit_rows()

    def update(n: int) -> dict[str, Any]:
        return hub.post(UPDATE, {"id": before["id"], "v": before["version"],
                                 "patch": {"nameJa": f"同時{n}"}}, "admin")

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(update, range(20)))
    codes = sorted(_code(a) if "errors" in a else "OK" for a in answers)
    assert codes == ["CONFLICT"] * 19 + ["OK"]
    after = hub.facility("sapporo-industry-promotion-centre")
    assert after["version"] == before["version"] + 1
    assert hub.audit_rows() == rows + 1


def test_an_archived_facility_leaves_the_reads_and_keeps_its_history(hub: Hub) -> None:
    target = hub.facility("sapporo-city-parks")
    stale = hub.post(ARCHIVE, {"id": target["id"], "v": target["version"] + 5}, "admin")
    assert _code(stale) == "CONFLICT"
    body = hub.post(ARCHIVE, {"id": target["id"], "v": target["version"]}, "admin")
    assert "errors" not in body, body
    assert body["data"]["archiveFacility"]["version"] == target["version"] + 1
    assert hub.server.data('{ facility(code: "sapporo-city-parks") { id } }')["facility"] is None
    history = hub.server.data("query ($id: ID!) { facilityHistory(id: $id) { action } }",
                              {"id": target["id"]})["facilityHistory"]
    assert history[-1]["action"] == "ARCHIVE"
    again = hub.post(ARCHIVE, {"id": target["id"], "v": target["version"] + 1}, "admin")
    assert _code(again) == "NOT_FOUND"


CREATE_EVENT = """mutation ($input: EventInput!) {
  createEvent(input: $input) { id title audiences organizers { code } version } }"""


def test_create_event_by_role_and_the_clash_it_makes(hub: Hub) -> None:
    city = hub.facility("sapporo-citizen-activity-support-centre")["id"]
    pref = hub.facility("pref-citizen-activity-centre")["id"]
    seminar = {"title": "NPO会計講座", "audiences": ["NPOS"],
               "startsAt": "2019-06-03T13:00:00+09:00", "endsAt": "2019-06-03T16:00:00+09:00"}
    rows = hub.audit_rows()
    assert _code(hub.post(CREATE_EVENT, {"input": {**seminar, "organizerIds": [city]}})) \
        == "UNAUTHENTICATED"
    assert _code(hub.post(CREATE_EVENT, {"input": {**seminar, "organizerIds": [pref]}},
                          "sapporo")) == "FORBIDDEN"
    backwards = {**seminar, "organizerIds": [city], "endsAt": "2019-06-02T10:00:00+09:00"}
    assert _code(hub.post(CREATE_EVENT, {"input": backwards}, "sapporo")) == "BAD_USER_INPUT"
    assert hub.audit_rows() == rows
    made = hub.post(CREATE_EVENT, {"input": {**seminar, "organizerIds": [city]}}, "sapporo")
    assert "errors" not in made, made
    assert made["data"]["createEvent"]["organizers"] == [
        {"code": "sapporo-citizen-activity-support-centre"}]
    theirs = {**seminar, "organizerIds": [pref], "startsAt": "2019-06-10T13:00:00+09:00",
              "endsAt": "2019-06-10T16:00:00+09:00"}
    assert "errors" not in hub.post(CREATE_EVENT, {"input": theirs}, "hokkaido")
    assert hub.audit_rows() == rows + 2
    clashes = hub.server.data('{ eventConflicts(from: "2019-06-01", to: "2019-06-30") '
                              "{ a { title } b { title } sharedAudiences } }")["eventConflicts"]
    assert clashes == [{"a": {"title": "NPO会計講座"}, "b": {"title": "NPO会計講座"},
                        "sharedAudiences": ["NPOS"]}]


IMPORT = """mutation ($file: Upload!, $dry: Boolean!) {
  importFacilities(file: $file, dryRun: $dry, category: CONSUMER) {
    written rows encoding added { code matchedBy } changed { code }
    errors { row column code } } }"""


def _upload(hub: Hub, data: bytes, dry: bool, token: str) -> dict[str, Any]:
    """A GraphQL multipart request (the spec Apollo and strawberry follow)."""
    response = httpx.post(
        hub.server.url + "/graphql", timeout=60,
        headers={"Authorization": f"Bearer {hub.secrets[token]}"},
        data={"operations": json.dumps({"query": IMPORT,
                                        "variables": {"file": None, "dry": dry}}),
              "map": json.dumps({"0": ["variables.file"]})},
        files={"0": ("desks.csv", data, "text/csv")})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_import_facilities_uploads_a_shift_jis_file_all_or_nothing(hub: Hub) -> None:
    rows = [row(**{"都道府県コード又は市区町村コード": "011002", "都道府県名": "北海道",
                   "市区町村名": "札幌市", "名称": f"札幌テスト窓口{n}", "団体名": "札幌市",
                   "備考": f"code=test-upload-{n}"}) for n in range(3)]
    bad = [*rows, row(**{"都道府県コード又は市区町村コード": "011002", "都道府県名": "北海道",
                         "市区町村名": "札幌市", "名称": "壊れた行", "緯度": "北緯43度",
                         "経度": "141.35"})]
    before = hub.audit_rows()
    assert _code(_upload(hub, csv_bytes(rows, "cp932"), False, "sapporo")) == "FORBIDDEN"
    rejected = _upload(hub, csv_bytes(bad, "cp932"), False, "bulk")["data"]["importFacilities"]
    assert rejected["written"] is False
    assert [(e["row"], e["column"], e["code"]) for e in rejected["errors"]] == [
        (5, "緯度", "BAD_USER_INPUT")]
    dry = _upload(hub, csv_bytes(rows, "cp932"), True, "bulk")["data"]["importFacilities"]
    assert dry["written"] is False and len(dry["added"]) == 3 and dry["errors"] == []
    assert hub.audit_rows() == before
    done = _upload(hub, csv_bytes(rows, "cp932"), False, "bulk")["data"]["importFacilities"]
    assert done["written"] is True and done["encoding"] == "cp932"
    assert sorted(a["code"] for a in done["added"]) == [f"test-upload-{n}" for n in range(3)]
    assert hub.audit_rows() == before + 3
    assert hub.facility("test-upload-1")["nameJa"] == "札幌テスト窓口1"
