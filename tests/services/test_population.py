"""Population from both tables of ../shared/geodata, checked against the CSV files."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, select, text

from hub.db.models import Dataset, Municipality
from hub.domain.datafile import DataFileError
from hub.services.loading.population import load_population
from tests.conftest import GEODATA

DEFAULT = GEODATA / "hokkaido_population.csv"
CENSUS = GEODATA / "hokkaido_population_census2025_preliminary.csv"


def _rows(path: Path) -> dict[str, int]:
    with path.open(encoding="utf-8") as fh:
        return {r["code"]: int(r["population"]) for r in csv.DictReader(fh)}


def test_every_municipality_has_its_figure_date_and_source(geodata_loaded: Engine) -> None:
    expected = _rows(DEFAULT)
    with geodata_loaded.connect() as conn:
        stored = conn.execute(select(
            Municipality.code, Municipality.population, Municipality.population_as_of,
            Municipality.population_source,
        )).all()
    assert {code: pop for code, pop, _, _ in stored} == expected
    assert all(str(as_of) == "2025-01-01" and "住民基本台帳" in (source or "")
               for _, _, as_of, source in stored)


def test_the_total_counts_sapporo_once_and_equals_the_source_total(
    geodata_loaded: Engine,
) -> None:
    with geodata_loaded.connect() as conn:
        total = conn.scalar(text(
            "SELECT sum(population) FROM municipality WHERE parent_code IS NULL"
        ))
        wards = conn.scalar(text(
            "SELECT sum(population) FROM municipality WHERE parent_code = '01100'"
        ))
        sapporo = conn.scalar(text("SELECT population FROM municipality WHERE code = '01100'"))
    assert total == 5_044_825  # the prefecture total SOURCES.md reports for this table
    assert wards == sapporo


def test_the_census_table_can_be_chosen(geodata_loaded: Engine, db: Connection) -> None:
    result = load_population(db, CENSUS)
    assert result.total == 4_985_419  # the census total SOURCES.md reports
    assert "国勢調査" in result.attribution
    as_of = db.scalar(select(Dataset.as_of).where(Dataset.kind == "population"))
    assert as_of is not None and as_of.isoformat() == "2025-10-01"


def test_loading_twice_changes_nothing(geodata_loaded: Engine, db: Connection) -> None:
    again = load_population(db, DEFAULT)
    assert (again.stats.added, again.stats.changed, len(again.stats.left)) == ([], [], 195)


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("01202,函館市,2", "01202,函館市,many", "population"),
        ("01202,函館市,2", "01202,函館市,-2", "population"),
        ("01202,函館市", "01202,箱館市", "name_ja"),
        ("01202,函館市", "01999,函館市", "code"),
    ],
)
def test_a_malformed_row_names_file_line_and_field(
    geodata_loaded: Engine, db: Connection, tmp_path: Path, old: str, new: str, field: str
) -> None:
    broken = tmp_path / "hokkaido_population.csv"
    shutil.copy(DEFAULT, broken)
    content = broken.read_text(encoding="utf-8")
    assert old in content
    broken.write_text(content.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        load_population(db, broken)
    assert caught.value.file == "hokkaido_population.csv"
    assert caught.value.field == field
    assert caught.value.record is not None and caught.value.record.startswith("line ")
