"""Where the facilities really are: ../shared/geodata/facility_places.csv, read with the seed set.

The documents name the facilities but give no addresses; the CSV holds what public pages
state (building, address, coordinates for five, phone, hours, closed days), each with its
page. Everything is checked before the seed load writes anything: a coordinate outside the
municipality or ward its address names refuses the load, naming the facility. Rules:

- stated coordinates: that point, precision BUILDING (a park's single page point is a site
  of the park, not a building; the contract has no SITE precision, so a note says so);
- else an address naming a Sapporo ward: the ward's representative point, precision WARD,
  so that no Sapporo facility with a known ward sits at the city's point;
- else the facility stays where the seed set places it.

The service area is never changed here: an NPO whose office is in 札幌市中央区 still serves
全道. Other names pages use (nicknames) come from ``facility_aliases.yaml`` in the seed set,
each of which must be written in its facility's row, so an alias is never made up.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Protocol

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from hub.config import Settings
from hub.domain.datafile import DataFileError
from hub.domain.seed import FacilityCode, SeedSet

PLACES_FILE = "facility_places.csv"
ALIASES_FILE = "facility_aliases.yaml"
COLUMNS = (
    "code", "name_ja", "building", "postal_code", "address", "lat", "lon", "coord_source_url",
    "address_source_url", "closed_days", "hours", "phone", "source_note",
)
#: The credit for the coordinates, as FACILITY_PLACES.md asks (Wikipedia text is CC BY-SA).
COORDINATES_CREDIT = "建物の座標: Wikipedia (CC BY-SA 4.0) の記事"
_URL = re.compile(r"https?://[!-~]+")


Cell = Annotated[str, StringConstraints(strip_whitespace=True)] | None
Url = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://\S+$")] | None


class PlaceRow(BaseModel):
    """One row of facility_places.csv, every value as the page writes it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: FacilityCode
    name_ja: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    building: Cell = None
    postal_code: Annotated[str, StringConstraints(pattern=r"^\d{3}-\d{4}$")] | None = None
    address: Cell = None
    lat: Annotated[float, Field(ge=20, le=50)] | None = None
    lon: Annotated[float, Field(ge=120, le=155)] | None = None
    coord_source_url: Url = None
    address_source_url: Url = None
    closed_days: Cell = None
    hours: Cell = None
    phone: Cell = None
    source_note: Cell = None

    @model_validator(mode="before")
    @classmethod
    def _blank_is_none(cls, data: Any) -> Any:
        """An empty cell means no page stating it was found."""
        if isinstance(data, dict):
            return {k: None if isinstance(v, str) and not v.strip() else v
                    for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _coordinates_whole_and_sourced(self) -> PlaceRow:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together: give both or neither")
        if self.lat is not None and self.coord_source_url is None:
            raise ValueError("coordinates need the page that states them (coord_source_url)")
        return self

    def pages(self) -> tuple[str, ...]:
        """Every page the row used: the coordinate and address pages, then those its note
        cites for hours, phone and closed days."""
        cited = [url.rstrip(").,、。」") for url in _URL.findall(self.source_note or "")]
        found = [self.coord_source_url, self.address_source_url, *cited]
        return tuple(dict.fromkeys(url for url in found if url))


class AliasEntry(BaseModel):
    """Another name of a facility, with the page that uses it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    facility: FacilityCode
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
    source: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://\S+$")]


def _error(file: str, record: str | None, exc: ValidationError) -> DataFileError:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or None
    return DataFileError(file, record, field, first["msg"])


def places_file(settings: Settings | None = None) -> Path:
    return (settings or Settings()).geodata_dir / PLACES_FILE


def read_places(path: Path) -> list[PlaceRow]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataFileError(path.name, None, None, f"not found in {path.parent}") from None
    reader = csv.DictReader(text.splitlines())
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise DataFileError(path.name, None, None,
                            f"columns are {reader.fieldnames}, expected {list(COLUMNS)}")
    rows: list[PlaceRow] = []
    seen: set[str] = set()
    for n, raw in enumerate(reader, start=1):
        record = f"#{n} ({raw.get('code')})"
        try:
            row = PlaceRow.model_validate(raw)
        except ValidationError as exc:
            raise _error(path.name, record, exc) from exc
        if row.code in seen:
            raise DataFileError(path.name, record, "code", "a second row for this facility")
        seen.add(row.code)
        rows.append(row)
    return rows


def read_aliases(path: Path) -> list[AliasEntry]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except FileNotFoundError:
        return []
    except yaml.YAMLError as exc:
        raise DataFileError(path.name, None, None, f"not valid YAML: {exc}") from exc
    if not isinstance(data, list):
        raise DataFileError(path.name, None, None, "must be a list of aliases")
    entries: list[AliasEntry] = []
    for n, item in enumerate(data, start=1):
        try:
            entries.append(AliasEntry.model_validate(item))
        except ValidationError as exc:
            raise _error(path.name, f"#{n}", exc) from exc
    return entries


def named_municipality(address: str | None, code_by_name: Mapping[str, str]) -> str | None:
    """The code of the municipality or ward an address starts with (the longest name, so
    that 札幌市中央区 wins over 札幌市)."""
    if address is None:
        return None
    compact = re.sub(r"\s+", "", address).removeprefix("北海道")
    best = max((name for name in code_by_name if compact.startswith(name)), key=len, default=None)
    return code_by_name[best] if best is not None else None


@dataclass(frozen=True)
class Site:
    """What the places file says of one facility, ready to merge into its row."""

    #: False: the facility stays where the seed set places it (nothing more precise is known).
    moved: bool
    municipality_code: str | None
    location: BaseGeometry | None
    precision: str
    note: str | None
    columns: dict[str, str | None]
    pages: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...]


class Geography(Protocol):
    """What placing needs of the loaded municipalities (hub.services.loading.placement.Places)."""

    code_by_name: dict[str, str]
    is_ward: dict[str, bool]
    parent: dict[str, str | None]
    point: dict[str, BaseGeometry]

    @property
    def boundary(self) -> Mapping[str, BaseGeometry]: ...


def site_facilities(
    rows: list[PlaceRow], aliases: list[AliasEntry], seed: SeedSet, geography: Geography,
    seed_municipality: Mapping[str, str | None],
) -> dict[str, Site]:
    """Each facility's site, or a DataFileError naming the facility and what is wrong."""
    by_code = {f.code: f for f in seed.facilities}
    name_of = {code: name for name, code in geography.code_by_name.items()}
    rows_by_code: dict[str, PlaceRow] = {}
    for n, row in enumerate(rows, start=1):
        if row.code not in by_code:
            raise DataFileError(PLACES_FILE, f"#{n} ({row.code})", "code",
                                "no facility of the seed set has this code")
        rows_by_code[row.code] = row
    alias_map: dict[str, list[tuple[str, str]]] = {}
    for n, a in enumerate(aliases, start=1):
        owner = rows_by_code.get(a.facility)
        if owner is None:
            raise DataFileError(ALIASES_FILE, f"#{n} ({a.facility})", "facility",
                                f"has no row in {PLACES_FILE}")
        written = " ".join(filter(None, (owner.building, owner.source_note)))
        if a.name not in written:
            raise DataFileError(ALIASES_FILE, f"#{n} ({a.facility})", "name",
                                f"{a.name!r} is not written in its {PLACES_FILE} row")
        if a.source not in written and a.source not in owner.pages():
            raise DataFileError(ALIASES_FILE, f"#{n} ({a.facility})", "source",
                                f"{a.source} is not a page of its {PLACES_FILE} row")
        if a.name == by_code[a.facility].name_ja:
            raise DataFileError(ALIASES_FILE, f"#{n} ({a.facility})", "name",
                                "is the documents' own name")
        alias_map.setdefault(a.facility, []).append((a.name, a.source))

    sites: dict[str, Site] = {}
    for n, row in enumerate(rows, start=1):
        record = f"#{n} ({row.code} {row.name_ja})"
        facility = by_code[row.code]
        named = named_municipality(row.address, geography.code_by_name)
        today = seed_municipality.get(row.code)
        if named is not None and today is not None and today not in (
            named, geography.parent[named]
        ):
            raise DataFileError(PLACES_FILE, record, "address",
                                f"names {name_of[named]}, but facilities.yaml places the "
                                f"facility in {name_of[today]}")
        municipality = named or today
        location: BaseGeometry | None = None
        note: str | None = None
        precision = facility.location_precision
        if row.lat is not None and row.lon is not None:
            if municipality is None:
                raise DataFileError(PLACES_FILE, record, "address",
                                    "coordinates without a municipality to check them against")
            if not geography.boundary[municipality].covers(Point(row.lon, row.lat)):
                raise DataFileError(
                    PLACES_FILE, record, "lat/lon",
                    f"{row.name_ja}: ({row.lat}, {row.lon}) lies outside "
                    f"{name_of[municipality]}, which its address names",
                )
        # A position the seed set itself gives (an editor's correction) is kept over a
        # coarser one from here; a surveyed EXACT point over a page's building point too.
        keeps_seed = precision == "EXACT" or (
            precision in ("BUILDING", "WARD") and row.lat is None
        )
        if keeps_seed:
            pass
        elif row.lon is not None and row.lat is not None:
            location = Point(row.lon, row.lat)
            precision = "BUILDING"
            if facility.category == "PARK":
                note = (f"Location: the single point {row.coord_source_url} gives for the whole "
                        "park, a site of the park and not a building; the precision vocabulary "
                        "has no SITE, so it says BUILDING.")
            else:
                note = (f"Location: the coordinates of the building ({row.building}) as "
                        f"{row.coord_source_url} states them.")
        elif named is not None and geography.is_ward[named]:
            location = geography.point[named]
            precision = "WARD"
            note = (f"Location: the representative point of {name_of[named]}, the ward its "
                    f"address names ({PLACES_FILE}); no page states the building's coordinates.")
        sites[row.code] = Site(
            moved=location is not None,
            municipality_code=municipality,
            location=location,
            precision=precision,
            note=note,
            columns={"address": row.address, "building": row.building,
                     "postal_code": row.postal_code, "phone": row.phone, "hours": row.hours,
                     "closed_days": row.closed_days},
            pages=row.pages(),
            aliases=tuple(alias_map.get(row.code, ())),
        )
    return sites


def credit(rows: list[PlaceRow]) -> str:
    """The credit shown with the data: the Wikipedia articles for the coordinates (CC BY-SA
    4.0: cite the article), and the pages the addresses, hours and phones come from."""
    articles = sorted({r.coord_source_url for r in rows if r.coord_source_url})
    pages = sorted({page for r in rows for page in r.pages()} - set(articles))
    return "\n".join([
        f"{COORDINATES_CREDIT}: " + " ".join(articles),
        "所在地・電話・開館時間・休館日: 各施設の公開ページ: " + " ".join(pages),
    ])
