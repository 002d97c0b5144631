"""Simplified boundaries for maps, measured with pyproj and shapely, not with PostGIS."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import shape
from sqlalchemy import Engine

from hub.db.pool import Database
from hub.domain.errors import InputError
from hub.services.reads.municipalities import boundaries

_UTM54 = Transformer.from_crs(4326, 32654, always_xy=True)
CODES = ["01202", "01101", "01100", "01517"]  # 函館市, 札幌市中央区, 札幌市, 礼文町 (islands)


def to_metres(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    x, y = _UTM54.transform(coords[:, 0], coords[:, 1])
    return np.column_stack([x, y])


def _boundaries(url: str, simplify: float | None) -> dict[str, dict[str, Any]]:
    async def run() -> dict[str, dict[str, Any]]:
        db = Database(url, statement_timeout_ms=60_000, min_size=1, max_size=2)
        await db.open()
        try:
            return await boundaries(db, CODES, simplify)
        finally:
            await db.close()

    return asyncio.run(run())


def _points(geometry: dict[str, Any]) -> int:
    return int(shapely.get_num_coordinates(shape(geometry)))


@pytest.mark.parametrize("tolerance", [50.0, 500.0])
def test_simplified_boundaries_stay_within_the_tolerance(
    geodata_loaded: Engine, database_url: str, tolerance: float
) -> None:
    full = _boundaries(database_url, None)
    simple = _boundaries(database_url, tolerance)
    assert set(full) == set(simple) == set(CODES)
    for code in CODES:
        original, simplified = shape(full[code]), shape(simple[code])
        assert simple[code]["type"] == "MultiPolygon"
        assert simplified.is_valid, code
        assert _points(simple[code]) < _points(full[code]), code
        distance = shapely.transform(original, to_metres).hausdorff_distance(
            shapely.transform(simplified, to_metres)
        )
        # Douglas-Peucker moves no vertex farther than the tolerance; 1 m covers rounding.
        assert distance <= tolerance + 1.0, code


def test_negative_tolerance_is_refused(geodata_loaded: Engine, database_url: str) -> None:
    with pytest.raises(InputError, match="simplifyMeters"):
        _boundaries(database_url, -1)
