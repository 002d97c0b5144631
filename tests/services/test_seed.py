"""The seed set loaded on the real geography: positions and service areas, checked against
shapely and pyproj computations on ../shared/geodata's own file (the session database, full
resolution); idempotence, versions and refusals in databases of their own (copies with the
simplified boundaries, where a load takes a second: what they check is the seed writer,
not the borders)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
import shapely
import yaml
from pyproj import Geod
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Engine, text

from hub.domain.datafile import DataFileError
from hub.resources import SEED_DIR
from hub.services.loading import load_all as loading
from hub.services.loading import seed as seed_writer
from hub.services.loading.seed import load_seed
from hub.services.loading.sync import SyncStats
from tests.conftest import FULL_BOUNDARIES, SIMPLIFIED_BOUNDARIES, features, shapes

GEOD = Geod(ellps="WGS84")


@pytest.fixture(scope="module")
def boundaries() -> dict[str, BaseGeometry]:
    """The full-resolution file's geometry, as loaded into the session database."""
    return shapes(FULL_BOUNDARIES)


Edit = Callable[[list[dict[str, Any]]], None]


def _edited_seed(tmp_path: Path, edit: Edit, **other_files: Edit) -> Path:
    """A copy of the seed set whose facilities.yaml went through ``edit``, and each file
    named in ``other_files`` (``operators=...`` for operators.yaml) through its own."""
    directory = tmp_path / "seed"
    shutil.copytree(SEED_DIR, directory)
    for name, change in {"facilities": edit, **other_files}.items():
        path = directory / f"{name}.yaml"
        data = yaml.safe_load(path.read_text())
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return directory


def _facilities(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT code, municipality_code, location_precision, sources, version,"
            " ST_AsBinary(location) AS location, ST_AsBinary(service_area) AS area,"
            " ST_IsValid(service_area) AS valid, activity_area"
            " FROM facility WHERE NOT synthetic"
        )).mappings().all()
    return {row["code"]: row for row in rows}


def test_all_34_facilities_with_their_sources(seed_loaded: Engine) -> None:
    facilities = _facilities(seed_loaded)
    expected = {f["code"] for f in yaml.safe_load((SEED_DIR / "facilities.yaml").read_text())}
    assert set(facilities) == expected and len(expected) == 34
    for code, row in facilities.items():
        assert row["sources"], code
        documents = [s for s in row["sources"] if s.startswith(("000_", "001_"))]
        pages = row["sources"][len(documents):]
        assert documents, code
        assert all(s.startswith(("http://", "https://")) for s in pages), code


def test_every_service_area_is_valid_and_not_empty(seed_loaded: Engine) -> None:
    for code, row in _facilities(seed_loaded).items():
        assert row["valid"], code
        area = shapely.from_wkb(bytes(row["area"]))
        assert not area.is_empty and area.area > 0, code


def test_locations_are_the_representative_points_of_their_municipality(
    seed_loaded: Engine, boundaries: dict[str, BaseGeometry]
) -> None:
    """Placed by GEOS's point-on-surface, as shapely computes it on the source polygons (a
    building with stated coordinates is tests/services/test_places.py's)."""
    for code, row in _facilities(seed_loaded).items():
        if row["location_precision"] == "NONE":
            assert row["location"] is None, code
            continue
        if row["location_precision"] == "BUILDING":
            continue
        assert row["location_precision"] in ("MUNICIPALITY", "WARD"), code
        point = shapely.from_wkb(bytes(row["location"]))
        boundary = boundaries[row["municipality_code"]]
        assert boundary.contains(point), code
        assert point.distance(boundary.point_on_surface()) < 1e-9, code


@pytest.mark.parametrize(
    ("facility", "codes"),
    [
        ("base-ebetsu-ai", ["01217"]),  # 江別市内
        ("base-asahikawa-npo-support-center", ["01204", "01225"]),  # 旭川・滝川
        ("base-kitami-npo-support-center", ["01208"]),  # 北見市他: only Kitami is named
        ("sapporo-consumer-centre", ["01100"]),  # no activity area: its own municipality
    ],
)
def test_service_areas_are_the_union_of_the_named_municipalities(
    seed_loaded: Engine, boundaries: dict[str, BaseGeometry], facility: str, codes: list[str]
) -> None:
    area = shapely.from_wkb(bytes(_facilities(seed_loaded)[facility]["area"]))
    expected = shapely.union_all([boundaries[c] for c in codes])
    assert area.symmetric_difference(expected).area < 1e-10


def test_all_of_hokkaido_is_every_municipality_but_the_northern_territories(
    seed_loaded: Engine,
) -> None:
    full = shapes(FULL_BOUNDARIES)
    expected = sum(
        abs(GEOD.geometry_area_perimeter(full[f["properties"]["code"]])[0])
        for f in features(FULL_BOUNDARIES) if not f["properties"]["northern_territories"]
    )
    with seed_loaded.connect() as conn:
        area = conn.scalar(text(
            "SELECT ST_Area(service_area::geography) FROM facility WHERE code = 'base-bonos'"
        ))
    assert area == pytest.approx(expected, rel=1e-6)


def test_a_point_in_ebetsu_is_served_by_its_centre_and_the_all_hokkaido_bases(
    seed_loaded: Engine, boundaries: dict[str, BaseGeometry]
) -> None:
    inside: Point = boundaries["01217"].point_on_surface()
    with seed_loaded.connect() as conn:
        serving = set(conn.scalars(
            text("SELECT code FROM facility WHERE ST_Contains(service_area,"
                 " ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
            {"x": inside.x, "y": inside.y},
        ))
    assert {"base-ebetsu-ai", "base-hokkaido-npo-support-center", "base-bonos"} <= serving
    assert "base-chitose" not in serving


def test_loading_twice_leaves_counts_versions_and_audit_as_they_were(seeded_copy: Engine) -> None:
    def snapshot() -> tuple[Any, ...]:
        with seeded_copy.connect() as conn:
            return tuple(conn.execute(text(
                "SELECT (SELECT count(*) FROM facility), (SELECT sum(version) FROM facility),"
                " (SELECT count(*) FROM facility_service), (SELECT count(*) FROM initiative),"
                " (SELECT count(*) FROM initiative_metric), (SELECT count(*) FROM event),"
                " (SELECT count(*) FROM event_organizer), (SELECT count(*) FROM role_division),"
                " (SELECT count(*) FROM audit_log)"
            )).one())

    before = snapshot()
    results = load_seed(seeded_copy)
    assert all(not s.added and not s.changed for s in results.values())
    assert snapshot() == before


def test_a_change_in_a_file_is_a_new_version_with_an_audit_row(
    seeded_copy: Engine, tmp_path: Path
) -> None:
    def edit(data: list[dict[str, Any]]) -> None:
        data[1]["services"] = data[1]["services"][:-1]  # 江別: drop 情報提供
        data[1]["note"] = "changed by a test"

    changed_dir = _edited_seed(tmp_path, edit)
    with seeded_copy.connect() as conn:
        last_audit = conn.scalar(text("SELECT max(id) FROM audit_log"))
    results = load_seed(seeded_copy, changed_dir)
    assert results["facilities.yaml"].changed == ["base-ebetsu-ai"]
    with seeded_copy.connect() as conn:
        version = conn.scalar(text("SELECT version FROM facility WHERE code='base-ebetsu-ai'"))
        audits = conn.execute(text(
            "SELECT before, after FROM audit_log WHERE table_name = 'facility'"
            " AND row_key = 'base-ebetsu-ai' AND action = 'UPDATE' AND id > :last"
            " ORDER BY id"
        ), {"last": last_audit}).all()
    assert version == 2, "one load, one new version, though row and links both changed"
    [change] = audits  # one change, one audit row: the column and the links together
    assert change.after["note"] == "changed by a test"
    assert {"service_code": "information", "source_text": "情報提供"} in (
        change.before["services"]
    )
    assert {"service_code": "information", "source_text": "情報提供"} not in (
        change.after["services"]
    )


def test_a_loaded_record_has_one_audit_row_with_its_links(seed_loaded: Engine) -> None:
    """The seed set is written as the API writes: a new facility is one INSERT row holding
    its columns and its services together (not a row and then its links); so are events,
    partnerships and initiatives with theirs."""
    links = {"facility": ("services", "aliases", "metrics"),
             "event": ("organizers", "audiences"), "partnership": ("facilities",),
             "initiative": ("metrics",)}
    with seed_loaded.connect() as conn:
        rows = conn.execute(text(
            "SELECT table_name, row_key, count(*) AS n, min(after::text) AS after"
            " FROM audit_log WHERE table_name = ANY(:tables) AND actor = 'hub load'"
            " GROUP BY table_name, row_key"), {"tables": list(links)}).all()
        counts = {table: conn.scalar(text(f"SELECT count(*) FROM {table} WHERE code IS NOT NULL"))
                  for table in links}
    assert sorted({r.n for r in rows}) == [1]
    for table, count in counts.items():
        assert sum(r.table_name == table for r in rows) == count > 0, table
    assert counts["facility"] == 34
    for r in rows:
        assert all(f'"{link}":' in r.after for link in links[r.table_name]), r.row_key


def test_a_facility_changed_by_a_load_is_announced_like_an_api_write(
    seeded_copy: Engine, seeded_copy_url: str, tmp_path: Path
) -> None:
    """facilityChanged hears of ``hub load``'s changes too: one write path."""
    def edit(data: list[dict[str, Any]]) -> None:
        data[1]["note"] = "changed by a test"

    changed_dir = _edited_seed(tmp_path, edit)
    with psycopg.connect(seeded_copy_url, autocommit=True) as listener:
        listener.execute("LISTEN hub_facility_changes")
        load_seed(seeded_copy, changed_dir)
        heard = [json.loads(n.payload) for n in listener.notifies(timeout=5, stop_after=1)]
    with seeded_copy.connect() as conn:
        ebetsu = conn.execute(text(
            "SELECT id, version FROM facility WHERE code = 'base-ebetsu-ai'")).one()
    assert heard == [{"kind": "UPDATED", "id": ebetsu.id, "version": ebetsu.version}]


def _facility_table(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT code, version, name_ja, md5(ST_AsBinary(service_area)) FROM facility "
            "ORDER BY code"
        )).all())


def _everything_the_seed_writes(engine: Engine) -> dict[str, list[Any]]:
    """Each table the seed load writes, whole, and the audit log's last row."""
    tables = ("operator", "service", "facility", "facility_service", "partnership",
              "partnership_facility", "role_division", "initiative", "initiative_metric",
              "consultation", "event", "event_organizer", "event_audience")
    with engine.connect() as conn:
        found = {
            table: sorted(map(repr, conn.execute(text(f"SELECT * FROM {table}")).all()))
            for table in tables
        }
        found["audit_log"] = [conn.scalar(text("SELECT max(id) FROM audit_log"))]
    return found


def _rename_first(field: str) -> Edit:
    def edit(data: list[dict[str, Any]]) -> None:
        data[0][field] = "renamed, which must not be written"

    return edit


def test_a_file_broken_only_in_its_geography_writes_nothing_at_all(
    seeded_copy: Engine, tmp_path: Path
) -> None:
    """An unknown place passes the file checks; it is found, before anything is written,
    when the place names are resolved, so the changed operator of the file before is not
    written either."""
    def edit(data: list[dict[str, Any]]) -> None:
        data[0]["name_ja"] = "renamed, which must not be written"
        data[5]["activity_area"] = "函館・東京"

    broken_dir = _edited_seed(tmp_path, edit, operators=_rename_first("name"))
    before = _everything_the_seed_writes(seeded_copy)

    with pytest.raises(DataFileError) as caught:
        load_seed(seeded_copy, broken_dir)

    error = caught.value
    assert (error.file, error.record, error.field) == (
        "facilities.yaml", "#6 (base-hakodate)", "activity_area"
    )
    assert "函館・東京" in error.reason and "東京" in error.reason
    assert _everything_the_seed_writes(seeded_copy) == before


def test_a_failure_while_writing_the_last_file_takes_back_the_files_before_it(
    seeded_copy: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole seed load is one transaction. The events file, written last, writes its
    rows and then meets a refusal of the database (an audience the CHECK does not know,
    added by this test where no file check can stop it): operators, facilities and
    initiatives changed by the same load stay as they were, and nobody hears of a file."""
    def refused_after_events(conn: Connection, *args: Any) -> SyncStats:
        stats = seed_writer._write_events(conn, *args)
        assert stats.changed, "the events were written before the refusal"
        conn.execute(text("INSERT INTO event_audience (event_id, audience)"
                          " SELECT min(id), 'EVERYONE' FROM event"))
        return stats

    writers = tuple(
        (name, refused_after_events if name == "events.yaml" else write)
        for name, write in seed_writer.WRITERS
    )
    monkeypatch.setattr(seed_writer, "WRITERS", writers)
    changed_dir = _edited_seed(tmp_path, _rename_first("name_ja"),
                               operators=_rename_first("name"),
                               initiatives=_rename_first("title"),
                               events=_rename_first("title"))
    before = _everything_the_seed_writes(seeded_copy)
    heard: list[str] = []

    with pytest.raises(DataFileError) as caught:
        load_seed(seeded_copy, changed_dir, report=lambda name, _stats: heard.append(name))

    assert (caught.value.file, caught.value.record, caught.value.field) == (
        "events.yaml", None, None
    )
    assert "the database refused it" in caught.value.reason
    assert "ck_event_audience_audience" in caught.value.reason
    assert _everything_the_seed_writes(seeded_copy) == before
    assert heard == []


def test_files_are_reported_once_the_load_is_committed(seeded_copy: Engine) -> None:
    heard: list[str] = []
    load_seed(seeded_copy, report=lambda name, _stats: heard.append(name))
    assert heard == [name for name, _ in seed_writer.WRITERS]


def test_a_malformed_boundary_file_leaves_the_municipalities_unchanged(
    seeded_copy: Engine, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", '
                      '"properties": {"N03_007": "01202"}, "geometry": {"type": "Polygon", '
                      '"coordinates": "nonsense"}}]}')
    with seeded_copy.connect() as conn:
        before = conn.execute(text("SELECT count(*), max(updated_at) FROM municipality")).one()
    with pytest.raises(DataFileError, match="broken"):
        loading.load(seeded_copy, boundaries=broken)
    with seeded_copy.connect() as conn:
        assert conn.execute(text("SELECT count(*), max(updated_at) FROM municipality")).one() == (
            before
        )


def test_a_typed_position_outside_its_municipality_is_refused(
    seeded_copy: Engine, tmp_path: Path
) -> None:
    # 江別's centre given a position in 函館 (its representative point, read from the file
    # the copy was loaded from).
    hakodate = shapes(SIMPLIFIED_BOUNDARIES)["01202"].point_on_surface()

    def edit(data: list[dict[str, Any]]) -> None:
        data[1].update(location_precision="BUILDING",
                       location={"lat": hakodate.y, "lon": hakodate.x})

    broken_dir = _edited_seed(tmp_path, edit)
    before = _facility_table(seeded_copy)
    with pytest.raises(DataFileError) as caught:
        load_seed(seeded_copy, broken_dir)
    assert (caught.value.field, caught.value.record) == ("location", "#2 (base-ebetsu-ai)")
    assert _facility_table(seeded_copy) == before
