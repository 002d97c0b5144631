"""The tile grid, the simplification tolerance, entity tags and the TileJSON document
(hub.domain.tiles); the tile grid is checked against pyproj's Web Mercator."""

from __future__ import annotations

import math

import pytest
from pyproj import Transformer

from hub.domain.errors import InputError
from hub.domain.tiles import (
    FIELDS,
    LAYERS,
    SIMPLIFY_FRACTION,
    Tile,
    etag,
    matches,
    parse_distance,
    parse_tile,
    tilejson,
)

TO_MERCATOR = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)


def test_the_world_tile_is_the_web_mercator_square() -> None:
    half = TO_MERCATOR.transform(180.0, 0.0)[0]
    assert Tile(0, 0, 0).bounds_m() == pytest.approx((-half, -half, half, half))


@pytest.mark.parametrize(("lon", "lat"), [(141.35, 43.06), (145.6, 44.1), (139.8, 41.4)])
def test_the_tile_of_a_point_contains_it(lon: float, lat: float) -> None:
    mx, my = TO_MERCATOR.transform(lon, lat)
    for z in (0, 6, 10, 14):
        side = 2 * TO_MERCATOR.transform(180.0, 0.0)[0] / 2**z
        x = int((mx + side * 2**z / 2) // side)
        y = int((side * 2**z / 2 - my) // side)
        west, south, east, north = Tile(z, x, y).bounds_m()
        assert west <= mx < east and south < my <= north
        s, n = Tile(z, x, y).latitudes()
        assert s <= lat <= n


@pytest.mark.parametrize("z", [0, 3, 6, 10, 14])
def test_the_simplification_tolerance_moves_a_vertex_at_most_its_share_of_the_tile(
    z: int
) -> None:
    """Moving a point by the tolerance along a meridian (where a degree is longest in Web
    Mercator) at the tile's edge farthest from the equator stays within the share."""
    lon, lat = 141.35, 43.06
    n = 2**z
    mx, my = TO_MERCATOR.transform(lon, lat)
    half = TO_MERCATOR.transform(180.0, 0.0)[0]
    tile = Tile(z, int((mx + half) / (2 * half) * n), int((half - my) / (2 * half) * n))
    tolerance = tile.simplify_degrees()
    south, north = tile.latitudes()
    steepest = max(abs(south), abs(north))
    _, y0 = TO_MERCATOR.transform(lon, steepest - tolerance)
    _, y1 = TO_MERCATOR.transform(lon, steepest)
    share = tile.width_m * SIMPLIFY_FRACTION
    assert abs(y1 - y0) <= share * 1.0001
    assert abs(y1 - y0) > share * 0.9  # not needlessly small either


@pytest.mark.parametrize(("z", "x", "y", "field"), [
    ("17", "0", "0", "z"), ("-1", "0", "0", "z"), ("a", "0", "0", "z"), ("", "0", "0", "z"),
    ("1", "2", "0", "x"), ("1", "0", "2", "y"), ("6", "1.5", "0", "x"), ("6", "+3", "0", "x"),
    ("6", "٣", "0", "x"), ("6", "0", " 3", "y"), ("6", "0", "99999999999", "y"),
])
def test_a_tile_outside_the_grid_or_not_an_integer_is_refused_by_name(
    z: str, x: str, y: str, field: str
) -> None:
    with pytest.raises(InputError) as refused:
        parse_tile(z, x, y, max_zoom=16)
    assert refused.value.field == field


def test_the_grid_corners_are_tiles() -> None:
    assert parse_tile("0", "0", "0", 16) == Tile(0, 0, 0)
    assert parse_tile("16", "65535", "65535", 16) == Tile(16, 65535, 65535)


@pytest.mark.parametrize("text", ["-1", "nan", "inf", "far", ""])
def test_a_distance_must_be_finite_metres(text: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_distance(text)
    assert refused.value.field == "distance"


def test_if_none_match_compares_weakly_and_takes_lists_and_a_star() -> None:
    tag = etag(1, "facilities", 6, 57, 23)
    assert tag.startswith('"') and tag.endswith('"')
    assert tag == etag(1, "facilities", 6, 57, 23) != etag(2, "facilities", 6, 57, 23)
    assert matches(tag, tag) and matches(f"W/{tag}", tag)
    assert matches(f'"a", {tag}', tag) and matches("*", tag)
    assert not matches('"a"', tag) and not matches(None, tag) and not matches("", tag)


@pytest.mark.parametrize("layer", LAYERS)
def test_tilejson_names_the_layer_and_its_fields(layer: str) -> None:
    doc = tilejson(layer, "http://h/tiles/x/{z}/{x}/{y}.mvt", 14, (139.3, 41.3, 148.9, 45.6),
                   "credit")
    assert doc["tilejson"] == "3.0.0" and doc["tiles"] == ["http://h/tiles/x/{z}/{x}/{y}.mvt"]
    assert doc["vector_layers"][0]["id"] == layer
    assert doc["vector_layers"][0]["fields"] == dict(FIELDS[layer])
    assert doc["maxzoom"] == 14 and doc["bounds"] == [139.3, 41.3, 148.9, 45.6]
    assert math.isclose(doc["center"][0], (139.3 + 148.9) / 2)
    assert "bounds" not in tilejson(layer, "u", 14, None, "")
