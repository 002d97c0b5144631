"""The union of municipal areas: coverage union where the areas form a coverage, the full
overlay where they do not; both checked against shapely's union_all."""

from __future__ import annotations

import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from hub.domain.municipalities import union_of


def _same(a: BaseGeometry, b: BaseGeometry) -> bool:
    return bool(a.is_valid and a.symmetric_difference(b).area <= 1e-12)


def test_neighbours_sharing_a_border_become_one_polygon() -> None:
    areas = [box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 2, 2)]
    merged = union_of(areas)
    assert merged.geom_type == "Polygon" and merged.area == 4.0
    assert _same(merged, shapely.union_all(areas))


def test_overlapping_areas_fall_back_to_the_full_union() -> None:
    areas = [box(0, 0, 2, 2), box(1, 1, 3, 3)]
    # Coverage union of these is not their union: the fallback must catch it.
    assert not _same(shapely.coverage_union_all(areas), shapely.union_all(areas))
    assert _same(union_of(areas), shapely.union_all(areas))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(1, 3),
                          st.integers(1, 3)), min_size=1, max_size=6))
def test_any_boxes_give_the_union(boxes: list[tuple[int, int, int, int]]) -> None:
    areas = [box(x, y, x + w, y + h) for x, y, w, h in boxes]
    assert _same(union_of(areas), shapely.union_all(areas))
