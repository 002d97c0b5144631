"""Counting the positions of a GeoJSON value before anything else looks at it."""

from __future__ import annotations

from typing import Any

import pytest
import shapely

from hub.domain.errors import InputError
from hub.domain.geojson import check_position_count, parse_geometry


def _polygon(positions: int) -> dict[str, Any]:
    ring = [[141.0 + 0.001 * k, 43.0 + 0.001 * (k % 2)] for k in range(positions - 2)]
    return {"type": "Polygon", "coordinates": [[[140.0, 42.0], *ring, [140.0, 42.0]]]}


def test_positions_at_the_cap_pass_and_one_more_is_refused() -> None:
    check_position_count(_polygon(50), 50, "within")
    with pytest.raises(InputError) as refused:
        check_position_count(_polygon(51), 50, "within")
    assert refused.value.field == "within"
    assert "at most 50" in refused.value.message


def test_positions_are_counted_in_every_part_of_a_multipolygon() -> None:
    polygon = _polygon(30)
    multi = {"type": "MultiPolygon", "coordinates": [polygon["coordinates"]] * 2}
    check_position_count(multi, 60, "within")
    with pytest.raises(InputError):
        check_position_count(multi, 59, "within")


def test_any_nesting_is_counted_without_recursion() -> None:
    deep: Any = [1.0, 2.0]
    for _ in range(100_000):
        deep = [deep]
    check_position_count({"coordinates": deep}, 1, "within")


def test_parse_geometry_takes_the_cap() -> None:
    assert parse_geometry(_polygon(5), "within", ("Polygon",), max_positions=5).is_valid
    with pytest.raises(InputError):
        parse_geometry(_polygon(6), "within", ("Polygon",), max_positions=5)


def test_an_altitude_in_a_position_is_dropped() -> None:
    """RFC 7946 allows [lon, lat, alt]; the hub compares 2-D, so the polygon comes out 2-D."""
    ring: list[list[float]] = [[141.0, 43.0, 5.0], [141.1, 43.0], [141.1, 43.1, 7.0],
                               [141.0, 43.0, 5.0]]  # some with an altitude, some without
    geometry = parse_geometry({"type": "Polygon", "coordinates": [ring]}, "within",
                              ("Polygon",))
    assert not geometry.has_z
    assert shapely.get_coordinates(geometry).tolist() == [p[:2] for p in ring]
