"""Load municipal population from the CSV tables in ../shared/geodata.

Both tables (住民基本台帳 2025-01-01, the default; the 2025 census preliminary count, the
alternative) have the columns code, name_ja, population, year, source, as_of, unit. The row
01100 is Sapporo's total, equal to the sum of its wards: it is stored on Sapporo and never
added to the wards. Every figure keeps its date and source.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, select

from hub.db.models import Dataset, Municipality
from hub.domain.datafile import DataFileError
from hub.services.loading.attribution import population_credit
from hub.services.loading.boundaries import sha256_of
from hub.services.loading.progress import Track, no_progress
from hub.services.loading.sync import SyncStats, sync_rows

REQUIRED = ("code", "name_ja", "population", "year", "source", "as_of")


@dataclass(frozen=True)
class PopulationRow:
    code: str
    name_ja: str
    population: int
    year: int
    as_of: dt.date
    source: str


@dataclass
class PopulationLoad:
    stats: SyncStats
    #: Everybody in the table, counting Sapporo once (its total, not its wards again).
    total: int
    as_of: dt.date | None
    attribution: str


def read_population(path: Path) -> list[PopulationRow]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise DataFileError(path.name, None, missing[0], "column missing from the header")
        rows = []
        for line, raw in enumerate(reader, start=2):
            record = f"line {line}"
            code = (raw["code"] or "").strip()
            if len(code) != 5 or not code.isdigit():
                raise DataFileError(path.name, record, "code", f"{code!r} is not a 5-digit code")
            try:
                population = int(raw["population"])
            except (TypeError, ValueError):
                raise DataFileError(
                    path.name, record, "population", f"{raw['population']!r} is not a number"
                ) from None
            if population < 0:
                raise DataFileError(path.name, record, "population", "is negative")
            try:
                as_of = dt.date.fromisoformat(raw["as_of"])
                year = int(raw["year"])
            except (TypeError, ValueError):
                raise DataFileError(
                    path.name, record, "as_of", f"{raw['as_of']!r} is not a date"
                ) from None
            rows.append(
                PopulationRow(code, raw["name_ja"].strip(), population, year, as_of,
                              raw["source"].strip())
            )
    return rows


def load_population(
    conn: Connection,
    path: Path,
    actor: str = "hub load",
    track: Track = no_progress,
) -> PopulationLoad:
    """Store each row's figure on its municipality; every code must already be loaded."""
    rows = read_population(path)
    known = {
        code: (name, parent)
        for code, name, parent in conn.execute(
            select(Municipality.code, Municipality.name_ja, Municipality.parent_code)
        )
    }
    updates = []
    total = 0
    for line, row in enumerate(track(rows, "reading population", len(rows)), start=2):
        if row.code not in known:
            raise DataFileError(
                path.name, f"line {line}", "code",
                f"{row.code} ({row.name_ja}) is not a loaded municipality; load boundaries first",
            )
        name, parent = known[row.code]
        if name != row.name_ja:
            raise DataFileError(
                path.name, f"line {line}", "name_ja",
                f"{row.name_ja!r} does not match municipality {row.code} ({name})",
            )
        if parent is None:
            total += row.population
        updates.append({
            "code": row.code,
            "population": row.population,
            "population_year": row.year,
            "population_as_of": row.as_of,
            "population_source": row.source,
        })
    stats = sync_rows(conn, Municipality, "code", updates, actor)
    sources_md = path.parent / "SOURCES.md"
    attribution = population_credit(sources_md, path.name) if sources_md.exists() else (
        rows[0].source if rows else path.name
    )
    as_of = rows[0].as_of if rows else None
    sync_rows(
        conn,
        Dataset,
        "kind",
        [{
            "kind": "population",
            "name": rows[0].source if rows else path.name,
            "path": path.name,
            "sha256": sha256_of(path),
            "as_of": as_of,
            "attribution": attribution,
            "records": len(rows),
        }],
        actor,
    )
    return PopulationLoad(stats=stats, total=total, as_of=as_of, attribution=attribution)
