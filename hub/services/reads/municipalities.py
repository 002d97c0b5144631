"""Municipalities for the API: attributes, and boundaries as GeoJSON on request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg.rows import class_row

from hub.db.pool import Database
from hub.services.reads.geometry import geometries


@dataclass(frozen=True, slots=True)
class MunicipalityRow:
    code: str
    name_ja: str
    name_kana: str | None
    name_en: str | None
    subprefecture: str
    parent_code: str | None
    northern_territories: bool
    population: int | None
    population_year: int | None


_COLUMNS = ("code, name_ja, name_kana, name_en, subprefecture, parent_code, "
            "northern_territories, population, population_year")


_MUNICIPALITY = class_row(MunicipalityRow)


async def by_codes(db: Database, codes: Sequence[str]) -> dict[str, MunicipalityRow]:
    rows = await db.fetch_all(
        f"SELECT {_COLUMNS} FROM municipality WHERE code = ANY(%(codes)s)", {"codes": list(codes)},
        row=_MUNICIPALITY,
    )
    return {r.code: r for r in rows}


async def listing(db: Database, subprefecture: str | None) -> list[MunicipalityRow]:
    """Every municipality and ward in code order, or those of one subprefecture."""
    return await db.fetch_all(
        f"SELECT {_COLUMNS} FROM municipality"
        " WHERE %(sub)s::text IS NULL OR subprefecture = %(sub)s ORDER BY code",
        {"sub": subprefecture}, row=_MUNICIPALITY,
    )


async def boundaries(db: Database, codes: Sequence[str], simplify_meters: float | None = None
                     ) -> dict[str, dict[str, Any]]:
    return await geometries(db, "municipality", "code", "boundary", codes, simplify_meters)
