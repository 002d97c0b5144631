"""Where a facility is: its municipality, its point and its service area, resolved from the
names a record gives against the loaded boundaries.

Shared by every writer of facilities (``hub load`` for the seed set, the API's mutations):
the same names resolve the same way, the same position outside its municipality is refused
with the same words. Boundaries are read only for the municipalities a placing needs, so that
placing one facility does not read all of Hokkaido's 17 MB.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, select

from hub.db.models import Municipality
from hub.domain.activity_area import ActivityAreaError, resolve_activity_area, resolve_place
from hub.domain.datafile import DataFileError
from hub.domain.municipalities import polygons_of, union_of
from hub.domain.seed import FacilitySeed, SeedSet
from hub.services.loading import places as place_file


class Boundaries(Mapping[str, BaseGeometry]):
    """Municipal boundaries by code, each read from the database when first needed."""

    def __init__(self, conn: Connection, codes: Iterable[str]) -> None:
        self._conn = conn
        self._codes = frozenset(codes)
        self._read: dict[str, BaseGeometry] = {}

    def fetch(self, codes: Iterable[str]) -> None:
        """Read the boundaries of ``codes`` not read yet, in one statement."""
        wanted = sorted(c for c in set(codes) & self._codes if c not in self._read)
        if wanted:
            rows = self._conn.execute(
                select(Municipality.code, Municipality.boundary.ST_AsBinary())
                .where(Municipality.code.in_(wanted)))
            self._read.update({code: shapely.from_wkb(bytes(b)) for code, b in rows})

    def __getitem__(self, code: str) -> BaseGeometry:
        if code not in self._codes:
            raise KeyError(code)
        self.fetch([code])
        return self._read[code]

    def __contains__(self, code: object) -> bool:
        return code in self._codes

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)


class Places:
    """Municipality names, codes and points, read once per load; boundaries when needed."""

    def __init__(self, conn: Connection) -> None:
        rows = conn.execute(
            select(
                Municipality.code,
                Municipality.name_ja,
                Municipality.parent_code,
                Municipality.northern_territories,
                Municipality.representative_point.ST_AsBinary(),
                Municipality.boundary.is_not(None),
            )
        ).all()
        self.code_by_name: dict[str, str] = {}
        ambiguous: set[str] = set()
        for code, name, *_ in rows:
            if name in self.code_by_name:
                ambiguous.add(name)  # 泊村: a village of 後志 and one of the Northern Territories
            self.code_by_name[name] = code
        for name in ambiguous:
            del self.code_by_name[name]
        self.is_ward = {code: parent is not None for code, _, parent, *_ in rows}
        self.parent: dict[str, str | None] = {code: parent for code, _, parent, *_ in rows}
        self.point = {
            code: shapely.from_wkb(bytes(point)) for code, *_, point, _ in rows if point
        }
        self.boundary = Boundaries(conn, (code for code, *_, has in rows if has))
        #: What 全道 stands for: every municipality but the Northern Territories villages
        #: (Sapporo as a whole, not its wards again).
        self.whole = frozenset(
            code for code, _, parent, territories, *_ in rows
            if parent is None and not territories
        )
        self._unions: dict[frozenset[str], MultiPolygon] = {}

    def union(self, codes: frozenset[str]) -> MultiPolygon:
        if codes not in self._unions:
            self.boundary.fetch(codes)
            merged = union_of([self.boundary[c] for c in sorted(codes)])
            self._unions[codes] = MultiPolygon(polygons_of(merged)[0])
        return self._unions[codes]


@dataclass(frozen=True)
class Placement:
    """Where a facility is: its municipality's code, its point, its service area."""

    municipality_code: str | None
    location: BaseGeometry | None
    #: None when the caller keeps the area it has (placing with_area=False).
    service_area: MultiPolygon | None


@dataclass(frozen=True)
class Geography:
    """Every place name of the seed set resolved against the loaded boundaries."""

    operator_municipality: dict[str, str | None]  # by operator code
    facilities: dict[str, Placement]  # by facility code
    #: What facility_places.csv says, by facility code (hub.services.loading.places).
    sites: dict[str, place_file.Site] = field(default_factory=dict)
    #: The dataset row that credits facility_places.csv, when it was read.
    places_dataset: dict[str, Any] | None = None


def place_facility(number: int, f: FacilitySeed, places: Places, with_area: bool = True
                   ) -> Placement:
    """Resolve a record's municipality, position and activity area; with_area=False checks
    the activity area but leaves the union (seconds for all of Hokkaido) to be skipped by a
    writer whose area stays as it was."""
    def fail(field: str, reason: str) -> DataFileError:
        return DataFileError("facilities.yaml", f"#{number} ({f.code})", field, reason)

    municipality = None
    if f.municipality is not None:
        try:
            municipality = resolve_place(f.municipality, places.code_by_name)
        except ActivityAreaError as exc:
            raise fail("municipality", str(exc)) from exc
        if f.location_precision == "WARD" and not places.is_ward[municipality]:
            raise fail("location_precision", f"WARD, but {f.municipality} is not a ward")
        if f.location_precision == "MUNICIPALITY" and places.is_ward[municipality]:
            raise fail("location_precision", f"MUNICIPALITY, but {f.municipality} is a ward")
    if f.activity_area is not None:
        try:
            area_codes = resolve_activity_area(f.activity_area, places.code_by_name, places.whole)
        except ActivityAreaError as exc:
            raise fail("activity_area", str(exc)) from exc
    elif municipality is not None:
        area_codes = frozenset({municipality})
    else:
        raise fail("activity_area", "no activity area and no municipality: no service area")
    missing = sorted(c for c in area_codes if c not in places.boundary)
    if missing:
        raise fail("activity_area", f"municipalities without a boundary: {', '.join(missing)}")
    location: BaseGeometry | None = None
    if f.location is not None:
        location = Point(f.location.lon, f.location.lat)
        if municipality is not None and not places.boundary[municipality].covers(location):
            raise fail("location", f"{(f.location.lat, f.location.lon)} lies outside "
                                   f"{f.municipality}")
    elif f.location_precision != "NONE" and municipality is not None:
        location = places.point[municipality]
    return Placement(municipality, location,
                     places.union(area_codes) if with_area else None)


def locate(seed: SeedSet, places: Places) -> Geography:
    """Resolve every place the seed set names, before anything is written: an unknown
    municipality or a position outside its municipality refuses the whole load."""
    if not places.boundary:
        raise DataFileError("facilities.yaml", None, "municipality",
                            "no municipal boundaries are loaded: load them first")
    operators: dict[str, str | None] = {}
    for n, o in enumerate(seed.operators, start=1):
        operators[o.code] = None
        if o.municipality is not None:
            try:
                operators[o.code] = resolve_place(o.municipality, places.code_by_name)
            except ActivityAreaError as exc:
                raise DataFileError(
                    "operators.yaml", f"#{n} ({o.code})", "municipality", str(exc)
                ) from exc
    facilities = {
        f.code: place_facility(n, f, places) for n, f in enumerate(seed.facilities, start=1)
    }
    return Geography(operators, facilities)
