"""The database itself refuses data that breaks the model's rules, whoever writes it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, IntegrityError

# Codes 00001.. are no real municipality's, so these rows never meet loaded data; the square
# is only test geometry.
SQUARE = "MULTIPOLYGON(((141.5 43.1, 141.6 43.1, 141.6 43.2, 141.5 43.2, 141.5 43.1)))"
BOWTIE = "MULTIPOLYGON(((141.5 43.1, 141.6 43.2, 141.6 43.1, 141.5 43.2, 141.5 43.1)))"


@pytest.fixture
def municipality(db: Connection) -> str:
    db.execute(
        text(
            "INSERT INTO municipality (code, code6, name_ja, subprefecture, boundary) "
            "VALUES ('00001', '000019', 'テスト市', 'テスト振興局', ST_GeomFromText(:b, 4326))"
        ),
        {"b": SQUARE},
    )
    return "00001"


@pytest.fixture
def operator_id(db: Connection) -> int:
    row = db.execute(
        text("INSERT INTO operator (code, name, level) "
             "VALUES ('test-op', 'テスト', 'MUNICIPALITY') RETURNING id")
    ).scalar_one()
    return int(row)


def _facility(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "code": "test-centre",
        "name_ja": "テストセンター",
        "category": "CITIZEN_ACTIVITY",
        "location": "SRID=4326;POINT(141.55 43.15)",
        "precision": "MUNICIPALITY",
        "area": "SRID=4326;" + SQUARE,
    }
    values.update(overrides)
    return values


def _insert_facility(db: Connection, operator_id: int, municipality: str, **overrides: Any) -> int:
    values = _facility(**overrides) | {"op": operator_id, "muni": municipality}
    return int(
        db.execute(
            text(
                "INSERT INTO facility (code, name_ja, category, operator_id, municipality_code, "
                "location, location_precision, service_area) VALUES (:code, :name_ja, :category,"
                " :op, :muni, ST_GeomFromEWKT(:location), :precision, ST_GeomFromEWKT(:area)) "
                "RETURNING id"
            ),
            values,
        ).scalar_one()
    )


def _refused(db: Connection, operator_id: int, municipality: str, **overrides: Any) -> str:
    """Insert a facility that must be refused; returns the database's reason."""
    savepoint = db.begin_nested()
    with pytest.raises(DBAPIError) as caught:
        _insert_facility(db, operator_id, municipality, **overrides)
    savepoint.rollback()
    return str(caught.value.orig)


def test_a_valid_facility_is_stored_with_version_1_and_timestamps(
    db: Connection, operator_id: int, municipality: str
) -> None:
    fid = _insert_facility(db, operator_id, municipality)
    row = db.execute(
        text("SELECT version, created_at IS NOT NULL, synthetic, sources FROM facility "
             "WHERE id = :id"),
        {"id": fid},
    ).one()
    assert tuple(row) == (1, True, False, [])


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"category": "LIBRARY"}, "ck_facility_category"),
        ({"precision": "ROUGH"}, "ck_facility_location_precision"),
        ({"precision": "NONE"}, "ck_facility_location_matches_precision"),
        ({"location": None, "precision": "WARD"}, "ck_facility_location_matches_precision"),
        ({"location": "SRID=4326;POINT(141.5 91)"}, "ck_facility_location_in_range"),
        ({"area": "SRID=4326;" + BOWTIE}, "ck_facility_service_area_valid"),
        ({"location": "SRID=3857;POINT(15700000 5300000)"}, "SRID"),
        ({"area": "SRID=4326;POLYGON((141.5 43.1, 141.6 43.1, 141.6 43.2, 141.5 43.1))"},
         "MultiPolygon"),
        ({"code": "has space"}, "ck_facility_code_format"),
    ],
)
def test_facilities_breaking_a_rule_are_refused(
    db: Connection, operator_id: int, municipality: str, overrides: dict[str, Any], reason: str
) -> None:
    assert reason in _refused(db, operator_id, municipality, **overrides)


def test_facility_codes_are_unique(db: Connection, operator_id: int, municipality: str) -> None:
    _insert_facility(db, operator_id, municipality)
    assert "uq_facility_code" in _refused(db, operator_id, municipality)


def test_representative_point_is_computed_inside_the_boundary(
    db: Connection, municipality: str
) -> None:
    inside = db.execute(
        text("SELECT ST_Contains(boundary, representative_point) FROM municipality "
             "WHERE code = :c"),
        {"c": municipality},
    ).scalar_one()
    assert inside is True


def test_a_ward_needs_an_existing_parent(db: Connection) -> None:
    with pytest.raises(IntegrityError, match="fk_municipality_parent_code_municipality"):
        db.execute(
            text("INSERT INTO municipality (code, name_ja, subprefecture, parent_code) "
                 "VALUES ('00002', 'テスト区', 'テスト振興局', '00003')")
        )


def test_a_code6_must_extend_its_code(db: Connection) -> None:
    with pytest.raises(IntegrityError, match="ck_municipality_code6_extends_code"):
        db.execute(
            text("INSERT INTO municipality (code, code6, name_ja, subprefecture) "
                 "VALUES ('00004', '000019', 'テスト町', 'テスト振興局')")
        )


def test_an_editor_token_needs_an_operator(db: Connection) -> None:
    with pytest.raises(IntegrityError, match="ck_api_token_editor_has_operator"):
        db.execute(
            text("INSERT INTO api_token (name, secret_hash, role) VALUES ('x', 'h', 'EDITOR')")
        )


def test_audit_actions_are_a_closed_list(db: Connection) -> None:
    with pytest.raises(IntegrityError, match="ck_audit_log_action"):
        db.execute(
            text("INSERT INTO audit_log (table_name, row_key, action, actor) "
                 "VALUES ('facility', '1', 'RENAME', 'test')")
        )


def test_event_must_not_end_before_it_starts(db: Connection) -> None:
    with pytest.raises(IntegrityError, match="ck_event_ends_after_start"):
        db.execute(
            text("INSERT INTO event (title, starts_at, ends_at) "
                 "VALUES ('講座', '2017-06-02T10:00+09', '2017-06-01T10:00+09')")
        )


def test_service_area_parts_follow_the_service_area(
    db: Connection, operator_id: int, municipality: str
) -> None:
    """The trigger of migration 0004 cuts each service area into small parts, and redoes it
    when the area changes."""
    fid = _insert_facility(db, operator_id, municipality)

    def parts() -> tuple[int, float, float]:
        count, parts_area, area = db.execute(text(
            "SELECT count(*), ST_Area(ST_Union(p.geom)), max(ST_Area(f.service_area))"
            " FROM facility_area_part p JOIN facility f ON f.id = p.facility_id"
            " WHERE p.facility_id = :id"), {"id": fid}).one()
        return int(count), float(parts_area), float(area)

    count, parts_area, area = parts()
    assert count >= 1 and parts_area == pytest.approx(area, rel=1e-9)
    db.execute(text("UPDATE facility SET service_area = ST_Multi(ST_Buffer(ST_GeomFromText("
                    "'POINT(141.55 43.15)', 4326), 0.5, 64)) WHERE id = :id"), {"id": fid})
    count, parts_area, area = parts()
    assert count > 1, "a 256-vertex circle is cut into several parts"
    assert parts_area == pytest.approx(area, rel=1e-9)
    db.execute(text("UPDATE facility SET service_area = NULL WHERE id = :id"), {"id": fid})
    assert db.scalar(text("SELECT count(*) FROM facility_area_part WHERE facility_id = :id"),
                     {"id": fid}) == 0
