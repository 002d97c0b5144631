"""Loading facility_places.csv with the seed set: idempotence, refusals that name the
facility and write nothing, the park's note and the data set's credit."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, text

from hub.domain.datafile import DataFileError
from hub.resources import SEED_DIR
from hub.services.loading.seed import load_seed
from tests.conftest import GEODATA

PLACES = GEODATA / "facility_places.csv"
KADERU = ("43.063083", "141.34556")


def _places_with(tmp_path: Path, code: str, **cells: str) -> Path:
    """A copy of facility_places.csv with some cells of one row changed."""
    with PLACES.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or ())
        rows = [{**r, **cells} if r["code"] == code else r for r in reader]
    out = io.StringIO()
    writer = csv.DictWriter(out, fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "facility_places.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _state(engine: Engine) -> tuple[Any, ...]:
    with engine.connect() as conn:
        return tuple(conn.execute(text(
            "SELECT (SELECT count(*) FROM audit_log),"
            " (SELECT sum(version) FROM facility),"
            " (SELECT array_agg(row(code, ST_AsText(location), location_precision,"
            "   municipality_code, address, building, phone, hours, closed_days, note, sources)"
            "   ORDER BY code)::text FROM facility),"
            " (SELECT array_agg(row(facility_id, name, source) ORDER BY facility_id, name)::text"
            "   FROM facility_alias),"
            " (SELECT array_agg(row(kind, sha256, attribution, records) ORDER BY kind)::text"
            "   FROM dataset)"
        )).one())


def test_loading_twice_changes_nothing(seeded_copy: Engine) -> None:
    before = _state(seeded_copy)
    assert "facility_places" in before[4]
    results = load_seed(seeded_copy)
    assert all(not s.added and not s.changed for s in results.values())
    assert _state(seeded_copy) == before


def test_a_coordinate_outside_the_ward_its_address_names_is_refused(
    seeded_copy: Engine, tmp_path: Path
) -> None:
    # かでる2・7's point is in 中央区; the park's address names 南区.
    moved = _places_with(tmp_path, "pref-makomanai-park", lat=KADERU[0], lon=KADERU[1])
    before = _state(seeded_copy)
    with pytest.raises(DataFileError) as caught:
        load_seed(seeded_copy, places=moved)
    message = str(caught.value)
    assert "pref-makomanai-park" in message and "北海道立真駒内公園" in message
    assert "札幌市南区" in message
    assert _state(seeded_copy) == before


def test_an_address_in_another_municipality_than_the_seed_sets_is_refused(
    seeded_copy: Engine, tmp_path: Path
) -> None:
    moved = _places_with(tmp_path, "base-ebetsu-ai", address="小樽市築港11番1号")
    with pytest.raises(DataFileError, match=r"base-ebetsu-ai.*小樽市.*江別市"):
        load_seed(seeded_copy, places=moved)


def test_a_change_of_hours_is_a_new_version(seeded_copy: Engine, tmp_path: Path) -> None:
    changed = _places_with(tmp_path, "base-hakodate", hours="9~22時")
    results = load_seed(seeded_copy, places=changed)
    assert results["facilities.yaml"].changed == ["base-hakodate"]
    with seeded_copy.connect() as conn:
        hours, version = conn.execute(text(
            "SELECT hours, version FROM facility WHERE code = 'base-hakodate'")).one()
    assert (hours, version) == ("9~22時", 2)


def _seed_with_aliases(tmp_path: Path, aliases: list[dict[str, str]]) -> Path:
    directory = tmp_path / "seed"
    shutil.copytree(SEED_DIR, directory)
    (directory / "facility_aliases.yaml").write_text(
        yaml.safe_dump(aliases, allow_unicode=True), encoding="utf-8")
    return directory


def test_an_alias_not_written_in_its_row_is_refused(seeded_copy: Engine, tmp_path: Path) -> None:
    directory = _seed_with_aliases(tmp_path, [{
        "facility": "base-chitose", "name": "ちとせプラザ",
        "source": "https://minakuru.or.jp/mina-fes_2024.html"}])
    with pytest.raises(DataFileError, match=r"base-chitose.*ちとせプラザ"):
        load_seed(seeded_copy, directory)


def test_an_alias_from_a_page_its_row_does_not_cite_is_refused(
    seeded_copy: Engine, tmp_path: Path
) -> None:
    directory = _seed_with_aliases(tmp_path, [{
        "facility": "base-chitose", "name": "ミナクール", "source": "https://example.org/"}])
    with pytest.raises(DataFileError, match="source"):
        load_seed(seeded_copy, directory)


def test_the_parks_point_is_noted_as_a_site_of_the_park(seed_loaded: Engine) -> None:
    with seed_loaded.connect() as conn:
        precision, note, ward = conn.execute(text(
            "SELECT f.location_precision, f.note, m.name_ja FROM facility f"
            " JOIN municipality m ON m.code = f.municipality_code"
            " WHERE f.code = 'pref-makomanai-park'")).one()
    assert precision == "BUILDING"
    assert "site of the park" in note and "not a building" in note
    assert ward == "札幌市南区"


def test_the_data_set_credits_wikipedia_and_the_pages(seed_loaded: Engine) -> None:
    with PLACES.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with seed_loaded.connect() as conn:
        attribution, records = conn.execute(text(
            "SELECT attribution, records FROM dataset WHERE kind = 'facility_places'")).one()
    assert records == len(rows)
    assert "Wikipedia (CC BY-SA 4.0)" in attribution
    for row in rows:
        for url in (row["coord_source_url"], row["address_source_url"]):
            if url:
                assert url in attribution, row["code"]


def test_an_exact_position_in_the_seed_set_is_kept(seeded_copy: Engine, tmp_path: Path) -> None:
    directory = tmp_path / "seed"
    shutil.copytree(SEED_DIR, directory)
    path = directory / "facilities.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    plaza = next(f for f in data if f["code"] == "pref-womens-plaza")
    plaza.update(location_precision="EXACT", location={"lat": 43.0631, "lon": 141.3457})
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    load_seed(seeded_copy, directory)
    with seeded_copy.connect() as conn:
        precision, lat, lon = conn.execute(text(
            "SELECT location_precision, ST_Y(location), ST_X(location) FROM facility"
            " WHERE code = 'pref-womens-plaza'")).one()
    assert (precision, lat, lon) == ("EXACT", 43.0631, 141.3457)
