"""The database itself refuses data that breaks the model's rules, whoever writes it."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import CheckConstraint, Connection, Engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from hub.db.models import Base
from hub.domain import codes, seed

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


def _insert_facility(
    db: Connection, operator_id: int, municipality: str | None, **overrides: Any
) -> int:
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



CIRCLE = "ST_Multi(ST_Buffer(ST_GeomFromText('POINT(141.55 43.15)', 4326), 0.5, 64))"


def test_a_facility_with_the_same_area_as_another_gets_the_same_parts(
    db: Connection, operator_id: int, municipality: str
) -> None:
    """Migration 0008 copies the parts of an equal area instead of cutting it again; the
    copy must be what cutting would give, and a different area is still cut anew."""
    first = _insert_facility(db, operator_id, municipality, code="test-first")
    second = _insert_facility(db, operator_id, municipality, code="test-second")
    for fid in (first, second):
        db.execute(text(f"UPDATE facility SET service_area = {CIRCLE} WHERE id = :id"),
                   {"id": fid})
    # A square with the circle's bounding box: the index narrows to it, equality must not.
    box = _insert_facility(db, operator_id, municipality, code="test-box")
    db.execute(text(f"UPDATE facility SET service_area = ST_Multi(ST_Envelope({CIRCLE}))"
                    " WHERE id = :id"), {"id": box})

    def parts(fid: int) -> list[str]:
        return sorted(db.scalars(text(
            "SELECT ST_AsText(geom) FROM facility_area_part WHERE facility_id = :id"),
            {"id": fid}))

    cut = sorted(db.scalars(text(f"SELECT ST_AsText(ST_Subdivide({CIRCLE}, 256))")))
    assert len(cut) > 1
    assert parts(first) == parts(second) == cut
    assert parts(box) == sorted(db.scalars(text(
        f"SELECT ST_AsText(ST_Subdivide(ST_Multi(ST_Envelope({CIRCLE})), 256))")))
    db.execute(text("DELETE FROM facility WHERE id = :id"), {"id": first})
    assert parts(second) == cut, "the copy does not depend on the facility it came from"

# ---- one code syntax: the seed files' check and the database's CHECK agree ----------------

CODE_INSERTS: dict[str, tuple[Any, str]] = {
    "operator": (seed.OperatorCode,
                 "INSERT INTO operator (code, name, level) VALUES (:code, 'x', 'NPO')"),
    "service": (seed.ServiceCode,
                "INSERT INTO service (code, name_ja, name_en) VALUES (:code, :code, 'x')"),
    "facility": (seed.FacilityCode,
                 "INSERT INTO facility (code, name_ja, category, operator_id, location_precision)"
                 " VALUES (:code, 'x', 'PARK', :operator, 'NONE')"),
    "partnership": (seed.PartnershipCode,
                    "INSERT INTO partnership (code, theme, category) VALUES (:code, 'x', 'PARK')"),
    "initiative": (seed.InitiativeCode,
                   "INSERT INTO initiative (code, partnership_id, title, status)"
                   " VALUES (:code, :partnership, 'x', 'ACHIEVED')"),
    "consultation": (seed.ConsultationCode,
                     "INSERT INTO consultation (code, facility_id, title, rule, duration_minutes,"
                     " reservation_required) VALUES (:code, :facility, 'x',"
                     " 'RRULE:FREQ=WEEKLY;BYHOUR=10', 60, false)"),
    "event": (seed.EventCode,
              "INSERT INTO event (code, title, starts_at, ends_at) VALUES (:code, 'x', now(),"
              " now())"),
}
SYNTAX = {
    "operator": codes.OPERATOR_CODE, "service": codes.SERVICE_CODE,
    "facility": codes.FACILITY_CODE, "partnership": codes.PARTNERSHIP_CODE,
    "initiative": codes.INITIATIVE_CODE, "consultation": codes.CONSULTATION_CODE,
    "event": codes.EVENT_CODE,
}


@pytest.fixture
def parents(db: Connection, operator_id: int) -> dict[str, int]:
    """A facility and a partnership for the rows that need one (rolled back with ``db``)."""
    facility = _insert_facility(db, operator_id, None, code="parent-facility", location=None,
                                precision="NONE", area=None)
    partnership = db.execute(text(
        "INSERT INTO partnership (code, theme, category) VALUES ('parent', 'x', 'PARK')"
        " RETURNING id")).scalar_one()
    return {"operator": operator_id, "facility": facility, "partnership": int(partnership)}


def _seed_check_accepts(kind: str, value: str) -> bool:
    try:
        TypeAdapter(CODE_INSERTS[kind][0]).validate_python(value)
    except ValidationError:
        return False
    return True


def _database_accepts(db: Connection, kind: str, value: str, parents: dict[str, int]) -> bool:
    """Whether the table's code CHECK lets ``value`` in. A clash with a code already stored
    is an acceptance: PostgreSQL checks CHECK constraints before unique indexes."""
    savepoint = db.begin_nested()
    try:
        db.execute(text(CODE_INSERTS[kind][1]), {"code": value, **parents})
    except IntegrityError as exc:
        savepoint.rollback()
        diag = exc.orig.diag if isinstance(exc.orig, psycopg.Error) else None
        if diag is not None and diag.constraint_name == f"ck_{kind}_code_format":
            return False
        if diag is not None and diag.constraint_name == f"uq_{kind}_code":
            return True
        raise
    savepoint.rollback()
    return True


CODE_LIKE = st.text(alphabet="abzAZ09_-. '\n\t/ａ０é", max_size=8)


@pytest.mark.parametrize("kind", sorted(CODE_INSERTS))
@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
@example(data=None)
def test_a_code_is_accepted_by_the_seed_check_iff_the_database_accepts_it(
    db: Connection, parents: dict[str, int], kind: str, data: st.DataObject | None
) -> None:
    if data is None:  # the edges every pattern must get right, whatever hypothesis draws
        values = ["", "a", "A", "-a", "_a", "1a", "a-b", "a_b", "a.b", "a b", "a\n", "ａ", "é",
                  "٣", "a" * 200]
    else:
        values = [data.draw(st.one_of(
            st.from_regex(SYNTAX[kind].pattern, fullmatch=True), CODE_LIKE,
            # Not NUL nor lone surrogates: neither can be sent to PostgreSQL as text at all.
            st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]),
                    max_size=6),
        ))]
    for value in values:
        assert _seed_check_accepts(kind, value) == _database_accepts(db, kind, value, parents), (
            value
        )


def test_the_migrated_checks_are_the_models_checks(engine: Engine) -> None:
    """Alembic's comparison leaves CHECK constraints out: every pattern CHECK the models
    build from hub.domain.codes must be in the migrated database, word for word."""
    pattern_checks = {
        str(c.name): str(c.sqltext)
        for table in Base.metadata.sorted_tables
        for c in table.constraints
        if isinstance(c, CheckConstraint) and " ~ '" in str(c.sqltext)
    }
    assert len(pattern_checks) == 10
    with engine.connect() as conn:
        found: dict[str, str] = dict(conn.execute(text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'c'"
        )).all())
    for name, sql in pattern_checks.items():
        pattern = sql.split(" ~ ", 1)[1]
        assert name in found, name
        assert f"~ {pattern}::text" in found[name], (name, found[name])
