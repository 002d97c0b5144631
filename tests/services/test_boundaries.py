"""Municipal boundaries: the real N03 data of ../shared/geodata, checked against the file
itself with shapely and pyproj, and the official shapefile path on small files built here."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import shapefile
import shapely
from pyproj import Geod
from sqlalchemy import Connection, Engine, func, select, text

from hub.db.models import AuditLog, Dataset, Municipality
from hub.domain.datafile import DataFileError
from hub.services.loading.boundaries import load_boundaries, records_from
from tests.conftest import FULL_BOUNDARIES as FULL
from tests.conftest import GEODATA, features, shapes

GEOD = Geod(ellps="WGS84")


def _features() -> tuple[dict[str, Any], ...]:
    return features(FULL)


def test_counts_of_municipalities_wards_and_northern_territories(geodata_loaded: Engine) -> None:
    with geodata_loaded.connect() as conn:
        row = conn.execute(text(
            "SELECT count(*) FILTER (WHERE parent_code IS NULL AND NOT northern_territories),"
            " count(*) FILTER (WHERE parent_code = '01100'),"
            " count(*) FILTER (WHERE northern_territories),"
            " count(*) FILTER (WHERE boundary IS NULL OR NOT ST_IsValid(boundary)"
            "   OR ST_IsEmpty(boundary)),"
            " count(*) FILTER (WHERE subprefecture IS NULL OR subprefecture = ''),"
            " count(DISTINCT subprefecture)"
            " FROM municipality"
        )).one()
    assert tuple(row) == (179, 10, 6, 0, 0, 14)


def test_northern_territories_are_the_six_villages_of_the_file(geodata_loaded: Engine) -> None:
    flagged_in_file = {
        f["properties"]["code"] for f in _features() if f["properties"]["northern_territories"]
    }
    with geodata_loaded.connect() as conn:
        flagged = set(conn.scalars(
            select(Municipality.code).where(Municipality.northern_territories)
        ))
    assert flagged == flagged_in_file and len(flagged) == 6


def test_every_feature_is_stored_with_its_attributes(geodata_loaded: Engine) -> None:
    with geodata_loaded.connect() as conn:
        stored = {r.code: r for r in conn.execute(select(Municipality)).all()}
    for feature in _features():
        p = feature["properties"]
        row = stored[p["code"]]
        assert (row.code6, row.name_ja, row.name_kana, row.name_en, row.subprefecture) == (
            p["code6"], p["name_ja"], p["name_kana"], p["name_en"], p["subprefecture_ja"]
        )
        assert row.parent_code == p["parent_city_code"]


def test_boundaries_have_the_area_of_the_source_polygons(geodata_loaded: Engine) -> None:
    """Geodesic areas from pyproj on the file's own polygons against PostGIS geography areas
    of what was stored: the load lost or moved nothing."""
    with geodata_loaded.connect() as conn:
        areas: dict[str, float] = dict(conn.execute(text(
            "SELECT code, ST_Area(boundary::geography) FROM municipality WHERE code <> '01100'"
        )).all())
    for code, geometry in shapes(FULL).items():
        if code != "01100":
            expected = abs(GEOD.geometry_area_perimeter(geometry)[0])
            assert areas[code] == pytest.approx(expected, rel=1e-6), code


def test_sapporo_is_the_union_of_its_wards(geodata_loaded: Engine) -> None:
    wards = [shapes(FULL)[f["properties"]["code"]] for f in _features()
             if f["properties"]["is_ward"]]
    union = shapely.union_all(wards)
    with geodata_loaded.connect() as conn:
        wkb = conn.scalar(text("SELECT ST_AsBinary(boundary) FROM municipality WHERE code='01100'"))
        name, municipality_type = conn.execute(text(
            "SELECT name_ja, municipality_type FROM municipality WHERE code = '01100'"
        )).one()
    sapporo = shapely.from_wkb(bytes(wkb))
    assert (name, municipality_type) == ("札幌市", "市")
    assert sapporo.is_valid
    assert sapporo.symmetric_difference(union).area < 1e-12
    assert abs(GEOD.geometry_area_perimeter(sapporo)[0]) == pytest.approx(
        sum(abs(GEOD.geometry_area_perimeter(w)[0]) for w in wards), rel=1e-9
    )


def test_the_dataset_carries_the_attribution_of_sources_md(geodata_loaded: Engine) -> None:
    sources_md = (GEODATA / "SOURCES.md").read_text()
    with geodata_loaded.connect() as conn:
        attribution = conn.scalar(select(Dataset.attribution).where(Dataset.kind == "boundaries"))
    assert attribution is not None
    n03_credit = attribution.splitlines()[0]
    assert n03_credit.startswith("出典：国土数値情報（行政区域データ）")
    assert f"「{n03_credit}」" in sources_md


def test_loading_the_same_file_again_changes_nothing(
    geodata_loaded: Engine, db: Connection
) -> None:
    """In the test's transaction (rolled back): should it change something, the session
    database the other tests read stays as it was."""
    audits_before = db.scalar(select(func.count()).select_from(AuditLog))
    again = load_boundaries(db, FULL)
    assert (again.stats.added, again.stats.changed) == ([], [])
    assert len(again.stats.left) == 195
    assert db.scalar(select(func.count()).select_from(AuditLog)) == audits_before


# ---- the official N03 shapefile, on small files built here ------------------------------

SQUARE_A = [(141.00, 43.00), (141.00, 43.01), (141.01, 43.01), (141.01, 43.00), (141.00, 43.00)]
SQUARE_B = [(141.02, 43.00), (141.02, 43.01), (141.03, 43.01), (141.03, 43.00), (141.02, 43.00)]
BOWTIE = [(141.10, 43.10), (141.11, 43.11), (141.11, 43.10), (141.10, 43.11), (141.10, 43.10)]
N03_FIELDS = ("N03_001", "N03_002", "N03_003", "N03_004", "N03_005", "N03_007")


def _n03_zip(path: Path, encoding: str, with_cpg: bool) -> Path:
    """An N03-style zip: a two-part town, a ward with a bow-tie ring, and 所属未定地."""
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    writer = shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON,
                              encoding=encoding)
    for name in N03_FIELDS:
        writer.field(name, "C", size=40)
    rows = [
        (SQUARE_A, ("北海道", "渡島総合振興局", "", "函館市", "", "01202")),
        (SQUARE_B, ("北海道", "渡島総合振興局", "", "函館市", "", "01202")),
        (BOWTIE, ("北海道", "石狩振興局", "札幌市", "中央区", "", "01101")),
        (SQUARE_A, ("北海道", "渡島総合振興局", "", "所属未定地", "", "")),
    ]
    for ring, record in rows:
        writer.poly([ring])
        writer.record(*record)
    writer.close()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("N03-test_01.shp", shp.getvalue())
        archive.writestr("N03-test_01.shx", shx.getvalue())
        archive.writestr("N03-test_01.dbf", dbf.getvalue())
        if with_cpg:
            archive.writestr("N03-test_01.cpg", "UTF-8")
    return path


@pytest.mark.parametrize(("encoding", "with_cpg"), [("utf-8", True), ("cp932", False)])
def test_an_official_zip_is_merged_repaired_and_named(
    tmp_path: Path, encoding: str, with_cpg: bool
) -> None:
    records, gathered = records_from(_n03_zip(tmp_path / "n03.zip", encoding, with_cpg))

    by_code = {r.code: r for r in records}
    assert sorted(by_code) == ["01100", "01101", "01202"]
    assert gathered.repaired == 1 and gathered.without_code == 1
    hakodate, ward, sapporo = by_code["01202"], by_code["01101"], by_code["01100"]
    assert len(hakodate.boundary.geoms) == 2 and hakodate.boundary.is_valid
    assert (hakodate.name_ja, hakodate.code6, hakodate.subprefecture) == (
        "函館市", "012025", "渡島総合振興局"
    )
    assert (ward.name_ja, ward.parent_code, ward.municipality_type) == (
        "札幌市中央区", "01100", "区"
    )
    assert ward.boundary.is_valid and ward.boundary.area > 0
    assert sapporo.boundary.equals(ward.boundary) and sapporo.name_ja == "札幌市"


def test_an_official_zip_keeps_the_names_n03_does_not_carry(
    geodata_loaded: Engine, db: Connection, tmp_path: Path
) -> None:
    result = load_boundaries(db, _n03_zip(tmp_path / "n03.zip", "utf-8", True))
    assert result.repaired == 1
    assert "国土数値情報" in result.attribution
    kana, english, boundary_source = db.execute(text(
        "SELECT name_kana, name_en, boundary_source FROM municipality WHERE code = '01202'"
    )).one()
    assert (kana, english) == ("はこだてし", "Hakodate")
    assert boundary_source == "n03.zip"


def test_a_broken_feature_names_the_file_and_the_record(tmp_path: Path) -> None:
    broken = tmp_path / "broken.geojson"
    broken.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"N03_007": "1202"},
         "geometry": {"type": "Polygon", "coordinates": [SQUARE_A]}},
    ]}))
    with pytest.raises(DataFileError, match=r"broken\.geojson"):
        records_from(broken)
