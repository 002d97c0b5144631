"""Facility writes of the API on a database of the test's own: validation like the seed
files, placement checked with shapely on the stored boundaries, optimistic locking under
twenty concurrent writers, one audit row per change."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import shapely
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, text

from hub.domain.errors import Conflict, InputError, NotFound
from hub.services.writes import facilities as writes


def allow(_operator_id: int) -> None:
    """A permit that lets everything through: authorization is tested in the API."""


def _ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {c: int(i) for c, i in conn.execute(text("SELECT code, id FROM operator"))}


def _facility(engine: Engine, code: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT id, version, name_ja, municipality_code, location_precision, activity_area,"
            " ST_AsBinary(location) AS loc, ST_AsBinary(service_area) AS area, archived_at"
            " FROM facility WHERE code = :c"), {"c": code}).mappings().one()
        return dict(row)


def _audit(engine: Engine, code: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT action, actor, before, after FROM audit_log WHERE table_name = 'facility'"
            " AND row_key = :c ORDER BY id"), {"c": code}).mappings()]


def _boundary(engine: Engine, code: str) -> BaseGeometry:
    with engine.connect() as conn:
        wkb = conn.scalar(text("SELECT ST_AsBinary(boundary) FROM municipality WHERE code = :c"),
                          {"c": code})
    found: BaseGeometry = shapely.from_wkb(bytes(wkb))
    return found


CODE = "test-ebetsu-desk"
NEW: dict[str, Any] = {"code": CODE, "name_ja": "江別市テスト窓口", "category": "CONSUMER",
       "municipality_code": "01217", "sources": ["テスト"], "service_codes": ["consultation"]}


def _create(engine: Engine, **values: Any) -> writes.Written:
    given = {**NEW, "operator_id": _ids(engine)["ebetsu"], **values}
    with engine.begin() as conn:
        return writes.create_facility(conn, given, "test-token", allow)


def test_a_created_facility_sits_in_its_municipality_with_its_area_and_one_audit_row(
    seeded_copy: Engine,
) -> None:
    made = _create(seeded_copy)
    assert (made.kind, made.version) == ("CREATED", 1)
    row = _facility(seeded_copy, CODE)
    ebetsu = _boundary(seeded_copy, "01217")
    assert row["location_precision"] == "MUNICIPALITY"
    assert ebetsu.covers(shapely.from_wkb(bytes(row["loc"])))
    area = shapely.from_wkb(bytes(row["area"]))
    assert area.symmetric_difference(ebetsu).area < 1e-12
    [entry] = _audit(seeded_copy, CODE)
    assert entry["action"] == "INSERT" and entry["actor"] == "test-token"
    assert entry["before"] is None and entry["after"]["services"] == [
        {"service_code": "consultation", "source_text": None}]


@pytest.mark.parametrize(("values", "field"), [
    ({"location": Point(141.35, 43.06)}, "location"),  # Sapporo, not Ebetsu
    ({"municipality_code": "01999"}, "municipalityCode"),
    ({"activity_area": "どこか知らない町内"}, "activityArea"),
    ({"service_codes": ["juggling"]}, "serviceCodes"),
    ({"sources": []}, "sources"),
    ({"code": "Not A Code"}, "code"),
    ({"name_ja": "  "}, "nameJa"),
])
def test_bad_input_names_its_field_and_writes_nothing(
    seeded_copy: Engine, values: dict[str, Any], field: str
) -> None:
    with pytest.raises(InputError) as caught:
        _create(seeded_copy, **values)
    assert caught.value.field == field, caught.value.message
    assert _audit(seeded_copy, values.get("code", CODE)) == []
    with seeded_copy.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM facility WHERE code = :c"),
                           {"c": values.get("code", CODE)}) == 0


def test_an_update_changes_what_it_names_and_recomputes_the_area_of_a_new_activity_area(
    seeded_copy: Engine,
) -> None:
    made = _create(seeded_copy)
    with seeded_copy.begin() as conn:
        renamed = writes.update_facility(conn, made.facility_id, 1, {"name_ja": "新しい名前"},
                                         "editor", allow)
    assert renamed.version == 2
    before = _facility(seeded_copy, CODE)
    with seeded_copy.begin() as conn:
        writes.update_facility(conn, made.facility_id, 2,
                               {"activity_area": "江別市、札幌市"}, "editor", allow)
    after = _facility(seeded_copy, CODE)
    assert after["version"] == 3 and after["name_ja"] == "新しい名前"
    expected = shapely.union_all([_boundary(seeded_copy, "01217"),
                                  _boundary(seeded_copy, "01100")])
    area = shapely.from_wkb(bytes(after["area"]))
    assert area.symmetric_difference(expected).area < 1e-9
    assert before["area"] != after["area"]
    actions = [(e["action"], sorted(e["after"])) for e in _audit(seeded_copy, CODE)]
    assert actions == [("INSERT", actions[0][1]), ("UPDATE", ["name_ja"]),
                       ("UPDATE", ["activity_area", "service_area"])]


def test_a_stale_version_is_a_conflict_and_changes_nothing(seeded_copy: Engine) -> None:
    made = _create(seeded_copy)
    with seeded_copy.begin() as conn:
        writes.update_facility(conn, made.facility_id, 1, {"name_ja": "一"}, "a", allow)
    with pytest.raises(Conflict), seeded_copy.begin() as conn:
        writes.update_facility(conn, made.facility_id, 1, {"name_ja": "二"}, "b", allow)
    assert _facility(seeded_copy, CODE)["name_ja"] == "一"
    assert len(_audit(seeded_copy, CODE)) == 2


def test_twenty_concurrent_updates_of_one_version_leave_one_change(seeded_copy: Engine) -> None:
    made = _create(seeded_copy)
    outcomes: list[str] = []
    start = threading.Barrier(20)

    def write(n: int) -> None:
        start.wait()
        try:
            with seeded_copy.begin() as conn:
                writes.update_facility(conn, made.facility_id, 1, {"name_ja": f"名前{n}"},
                                       f"writer-{n}", allow)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict"] * 19 + ["ok"]
    assert _facility(seeded_copy, CODE)["version"] == 2
    assert [e["action"] for e in _audit(seeded_copy, CODE)] == ["INSERT", "UPDATE"]


def test_an_archived_facility_is_kept_with_its_history_and_cannot_be_changed(
    seeded_copy: Engine,
) -> None:
    made = _create(seeded_copy)
    with seeded_copy.begin() as conn:
        archived = writes.archive_facility(conn, made.facility_id, 1, "admin", allow)
    assert (archived.kind, archived.version) == ("ARCHIVED", 2)
    assert _facility(seeded_copy, CODE)["archived_at"] is not None
    with pytest.raises(NotFound), seeded_copy.begin() as conn:
        writes.update_facility(conn, made.facility_id, 2, {"name_ja": "x"}, "admin", allow)
    assert [e["action"] for e in _audit(seeded_copy, CODE)] == ["INSERT", "ARCHIVE"]


def test_a_refusing_permit_stops_the_write(seeded_copy: Engine) -> None:
    def refuse(_operator_id: int) -> None:
        raise PermissionError("no")

    made = _create(seeded_copy)
    with pytest.raises(PermissionError), seeded_copy.begin() as conn:
        writes.update_facility(conn, made.facility_id, 1, {"name_ja": "x"}, "e", refuse)
    assert _facility(seeded_copy, CODE)["version"] == 1
