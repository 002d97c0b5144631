"""Municipalities from 国土数値情報 N03 (行政区域): attributes to fields, polygons to one valid
MultiPolygon per code.

N03 has one feature per polygon (an island is a feature of its own) and names a ward of a
designated city by its city and ward columns; this module turns either the official
attributes (N03_001..N03_007) or the prepared properties of ../shared/geodata into one
``MunicipalityRecord`` per code. No I/O: readers hand in plain dicts and shapely geometry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from hub.domain.codes import code6 as make_code6

SAPPORO = "01100"
#: The six Northern Territories villages (北方領土): in N03, not administered, no residents
#: on record; left out of coverage and of 全道 service areas.
NORTHERN_TERRITORIES = frozenset({"01695", "01696", "01697", "01698", "01699", "01700"})


class BoundaryError(ValueError):
    """A feature that cannot become a municipality (no code, no polygon, ...)."""


@dataclass(frozen=True)
class MunicipalityRecord:
    """One municipality or ward as the loader writes it; None means "not known here"."""

    code: str
    name_ja: str
    subprefecture: str
    boundary: MultiPolygon
    code6: str | None = None
    name_kana: str | None = None
    name_en: str | None = None
    municipality_type: str | None = None
    gun: str | None = None
    parent_code: str | None = None
    northern_territories: bool = False
    area_km2: float | None = None
    boundary_source: str | None = None


@dataclass
class PartsByCode:
    """Polygons and attributes gathered per code, with what had to be repaired or dropped."""

    polygons: dict[str, list[Polygon]] = field(default_factory=lambda: defaultdict(list))
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    repaired: int = 0
    without_code: int = 0


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def polygons_of(geometry: BaseGeometry) -> tuple[list[Polygon], bool]:
    """The polygons of a geometry, made valid when they are not; and whether it was repaired.

    Invalid rings (self-intersections, N03's occasional bow-ties) go through make_valid,
    keeping only the polygonal parts: a municipality is an area, never a line.
    """
    repaired = not geometry.is_valid
    if repaired:
        geometry = shapely.make_valid(geometry)
    parts: list[Polygon] = []
    stack = [geometry]
    while stack:
        geom = stack.pop()
        if isinstance(geom, Polygon):
            if not geom.is_empty:
                parts.append(geom)
        elif hasattr(geom, "geoms"):
            stack.extend(geom.geoms)
    return parts, repaired


def union_of(areas: Sequence[BaseGeometry]) -> BaseGeometry:
    """The union of municipal areas, by coverage union when they form a coverage.

    Neighbouring municipalities share their borders vertex for vertex, so their union only
    has to drop the shared edges (GEOS CoverageUnion): about five times faster than a full
    overlay on the 244,000 vertices of all Hokkaido. Coverage union assumes no overlaps;
    when it fails, or its result is invalid or smaller than the areas' sum (an overlap),
    the full union decides.
    """
    if len(areas) > 1:
        try:
            merged = shapely.coverage_union_all(areas)
        except shapely.errors.GEOSException:
            return shapely.union_all(areas)
        total = sum(a.area for a in areas)
        if merged.is_valid and abs(merged.area - total) <= 1e-9 * total:
            return merged
    return shapely.union_all(areas)


def gather(features: Iterable[tuple[Mapping[str, Any], BaseGeometry]]) -> PartsByCode:
    """Group features by their 5-digit code, repairing invalid polygons on the way."""
    gathered = PartsByCode()
    for number, (props, geometry) in enumerate(features, start=1):
        code = _text(props.get("code")) or _text(props.get("N03_007"))
        if code is None:
            gathered.without_code += 1  # 所属未定地: land no municipality claims
            continue
        if len(code) != 5 or not code.isdigit():
            raise BoundaryError(
                f"feature #{number}: code {code!r} is not a 5-digit municipality code"
            )
        parts, repaired = polygons_of(geometry)
        gathered.repaired += repaired
        gathered.polygons[code].extend(parts)
        gathered.attributes.setdefault(code, dict(props))
    return gathered


def merge(parts: list[Polygon]) -> MultiPolygon:
    """One valid MultiPolygon from the polygons of one code."""
    if not parts:
        raise BoundaryError("no polygon")
    merged = MultiPolygon(parts)
    if not merged.is_valid:
        merged_any = shapely.union_all(parts)
        polys, _ = polygons_of(merged_any)
        merged = MultiPolygon(polys)
    return merged


def from_prepared(
    code: str, props: Mapping[str, Any], boundary: MultiPolygon
) -> MunicipalityRecord:
    """A record from the properties of ../shared/geodata's GeoJSON (see its SOURCES.md)."""
    area = props.get("area_km2_gsi_20260101")
    return MunicipalityRecord(
        code=code,
        code6=_text(props.get("code6")) or make_code6(code),
        name_ja=str(props["name_ja"]),
        name_kana=_text(props.get("name_kana")),
        name_en=_text(props.get("name_en")),
        municipality_type=_text(props.get("municipality_type")),
        subprefecture=str(props["subprefecture_ja"]),
        gun=_text(props.get("gun_ja")),
        parent_code=_text(props.get("parent_city_code")),
        northern_territories=bool(props.get("northern_territories"))
        or code in NORTHERN_TERRITORIES,
        area_km2=round(float(area), 2) if area is not None else None,
        boundary=boundary,
        boundary_source=_text(props.get("boundary_source")),
    )


def from_n03(
    code: str, props: Mapping[str, Any], boundary: MultiPolygon, source: str
) -> MunicipalityRecord:
    """A record from official N03 attributes.

    N03_002 is the 振興局, N03_003 the 郡 or designated city, N03_004 the municipality; a
    ward is written either as N03_003 city + N03_004 ward (up to 2023) or as N03_004 city +
    N03_005 ward (from 2024). Names in kana and English are not in N03: left unknown.
    """
    subprefecture = _text(props.get("N03_002"))
    county_or_city = _text(props.get("N03_003"))
    municipality = _text(props.get("N03_004"))
    ward = _text(props.get("N03_005"))
    if subprefecture is None:
        raise BoundaryError(f"{code}: N03_002 (振興局) is empty; is this a Hokkaido file?")
    gun = None
    parent_code = None
    if ward and municipality:
        name = municipality + ward
        parent_code = code[:3] + "00"
    elif (
        county_or_city
        and county_or_city.endswith("市")
        and municipality
        and municipality.endswith("区")
    ):
        name = county_or_city + municipality
        parent_code = code[:3] + "00"
    elif municipality:
        name = municipality
        gun = county_or_city if county_or_city and county_or_city.endswith("郡") else None
    else:
        raise BoundaryError(f"{code}: N03_004 (市区町村名) is empty")
    return MunicipalityRecord(
        code=code,
        code6=make_code6(code),
        name_ja=name,
        municipality_type="区" if parent_code else name[-1] if name[-1] in "市町村" else None,
        subprefecture=subprefecture,
        gun=gun,
        parent_code=parent_code,
        northern_territories=code in NORTHERN_TERRITORIES,
        boundary=boundary,
        boundary_source=source,
    )


def with_designated_cities(records: list[MunicipalityRecord]) -> list[MunicipalityRecord]:
    """Add each designated city (Sapporo) as the union of its wards, before the wards.

    N03 has no polygon for Sapporo as a whole; the city is needed as a unit of its own
    (``札幌市内``, population totals) and as the parent the wards point to.
    """
    wards: dict[str, list[MunicipalityRecord]] = defaultdict(list)
    for record in records:
        if record.parent_code:
            wards[record.parent_code].append(record)
    known = {r.code for r in records}
    cities = []
    for parent, children in sorted(wards.items()):
        if parent in known:
            continue
        first = children[0]
        city_name = first.name_ja[: first.name_ja.index("市") + 1]  # 札幌市中央区 -> 札幌市
        union, _ = polygons_of(union_of([c.boundary for c in children]))
        cities.append(
            MunicipalityRecord(
                code=parent,
                code6=make_code6(parent),
                name_ja=city_name,
                municipality_type="市",
                subprefecture=first.subprefecture,
                boundary=MultiPolygon(union),
                boundary_source=first.boundary_source,
            )
        )
    return cities + records


def fill_unknown(record: MunicipalityRecord, existing: Mapping[str, Any]) -> MunicipalityRecord:
    """Keep what is already stored for fields this source does not know (kana, English)."""
    kept = {
        name: existing[name]
        for name in ("name_kana", "name_en", "area_km2")
        if getattr(record, name) is None and existing.get(name) is not None
    }
    return replace(record, **kept) if kept else record
