"""Load municipal boundaries from 国土数値情報 N03: the prepared GeoJSON in ../shared/geodata,
or an official N03 file a user downloaded (GeoJSON, shapefile, or the zip as distributed).

Each code becomes one valid MultiPolygon (parts merged, invalid rings repaired and counted),
Sapporo is added as the union of its wards, and the rows are written through
``hub.services.loading.sync`` so that loading the same file twice changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapefile  # pyshp
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, select

from hub.db.models import Dataset, Municipality
from hub.domain import municipalities as muni
from hub.domain.datafile import DataFileError
from hub.services.loading.attribution import N03_CREDIT, boundaries_credit
from hub.services.loading.progress import Track, no_progress
from hub.services.loading.sync import SyncStats, sync_rows

Feature = tuple[Mapping[str, Any], BaseGeometry]


@dataclass
class BoundaryLoad:
    """What a boundary load did, for the CLI to print."""

    stats: SyncStats
    units: int
    repaired: int
    without_code: int
    attribution: str
    notes: list[str] = field(default_factory=list)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---- readers ------------------------------------------------------------------------------


def _geojson_features(data: bytes, name: str) -> Iterator[Feature]:
    try:
        collection = json.loads(data)
    except json.JSONDecodeError as exc:
        raise DataFileError(name, None, None, f"not JSON: {exc}") from exc
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise DataFileError(name, None, "features", "not a GeoJSON FeatureCollection")
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") or {}
        try:
            geometry = shape(feature["geometry"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataFileError(name, f"#{number}", "geometry", f"unreadable: {exc}") from exc
        yield props, geometry


def _shapefile_encoding(cpg: bytes | None) -> str:
    if cpg:
        declared = cpg.decode("ascii", errors="ignore").strip().lower()
        return {"utf-8": "utf-8", "utf8": "utf-8", "65001": "utf-8"}.get(declared, declared)
    return "cp932"  # N03 shapefiles without a .cpg are Shift_JIS


def _shapefile_features(
    shp: bytes, shx: bytes | None, dbf: bytes, cpg: bytes | None, name: str
) -> Iterator[Feature]:
    reader = shapefile.Reader(
        shp=io.BytesIO(shp),
        shx=io.BytesIO(shx) if shx else None,
        dbf=io.BytesIO(dbf),
        encoding=_shapefile_encoding(cpg),
    )
    fields = [f[0] for f in reader.fields[1:]]
    for number, record in enumerate(reader.iterShapeRecords(), start=1):
        props = dict(zip(fields, record.record, strict=True))
        try:
            geometry = shape(record.shape.__geo_interface__)
        except (TypeError, ValueError, AttributeError) as exc:
            raise DataFileError(name, f"#{number}", "geometry", f"unreadable: {exc}") from exc
        yield props, geometry


def _from_zip(path: Path) -> Iterator[Feature]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        shps = [n for n in names if n.lower().endswith(".shp")]
        if shps:
            stem = shps[0][:-4]

            def part(ext: str) -> bytes | None:
                for candidate in (stem + ext, stem + ext.upper()):
                    if candidate in names:
                        return archive.read(candidate)
                return None

            dbf = part(".dbf")
            if dbf is None:
                raise DataFileError(path.name, None, None, f"{shps[0]} has no .dbf beside it")
            shp = archive.read(shps[0])
            yield from _shapefile_features(shp, part(".shx"), dbf, part(".cpg"), path.name)
            return
        geojsons = [n for n in names if n.lower().endswith((".geojson", ".json"))]
        if not geojsons:
            raise DataFileError(path.name, None, None, "the zip holds no .shp or .geojson")
        yield from _geojson_features(archive.read(geojsons[0]), path.name)


def read_features(path: Path) -> Iterator[Feature]:
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _from_zip(path)
    if suffix == ".shp":

        def sibling(ext: str) -> bytes | None:
            candidate = path.with_suffix(ext)
            return candidate.read_bytes() if candidate.exists() else None

        dbf = sibling(".dbf")
        if dbf is None:
            raise DataFileError(path.name, None, None, "no .dbf file beside the .shp")
        return _shapefile_features(
            path.read_bytes(), sibling(".shx"), dbf, sibling(".cpg"), path.name
        )
    if suffix in (".geojson", ".json"):
        return _geojson_features(path.read_bytes(), path.name)
    raise DataFileError(path.name, None, None, "expected .geojson, .json, .shp or .zip")


# ---- records ------------------------------------------------------------------------------


def records_from(
    path: Path, track: Track = no_progress
) -> tuple[list[muni.MunicipalityRecord], muni.PartsByCode]:
    try:
        gathered = muni.gather(track(read_features(path), "reading boundaries"))
    except muni.BoundaryError as exc:
        raise DataFileError(path.name, None, "code", str(exc)) from exc
    records = []
    for code in sorted(gathered.polygons):
        props = gathered.attributes[code]
        try:
            boundary = muni.merge(gathered.polygons[code])
            if "name_ja" in props:
                records.append(muni.from_prepared(code, props, boundary))
            else:
                records.append(muni.from_n03(code, props, boundary, source=path.name))
        except (muni.BoundaryError, KeyError) as exc:
            raise DataFileError(path.name, code, None, str(exc)) from exc
    return muni.with_designated_cities(records), gathered


_ROW_FIELDS = (
    "code", "code6", "name_ja", "name_kana", "name_en", "municipality_type", "subprefecture",
    "gun", "parent_code", "northern_territories", "area_km2", "boundary", "boundary_source",
)


def load_boundaries(
    conn: Connection,
    path: Path,
    actor: str = "hub load",
    track: Track = no_progress,
) -> BoundaryLoad:
    """Load one boundary file into ``conn``'s transaction (the caller commits)."""
    records, gathered = records_from(path, track)
    existing = {
        row["code"]: row
        for row in conn.execute(
            select(Municipality.code, Municipality.name_kana, Municipality.name_en,
                   Municipality.area_km2)
        ).mappings()
    }
    rows = []
    for record in records:
        if record.code in existing:
            record = muni.fill_unknown(record, dict(existing[record.code]))
        rows.append({name: getattr(record, name) for name in _ROW_FIELDS})
    stats = sync_rows(conn, Municipality, "code", rows, actor)

    prepared = path.parent.joinpath("SOURCES.md")
    from_shared = prepared.exists() and any("name_ja" in a for a in gathered.attributes.values())
    attribution = boundaries_credit(prepared) if from_shared else N03_CREDIT
    sync_rows(
        conn,
        Dataset,
        "kind",
        [{
            "kind": "boundaries",
            "name": records[0].boundary_source or path.name,
            "path": path.name,
            "sha256": sha256_of(path),
            "attribution": attribution,
            "records": len(records),
        }],
        actor,
    )
    return BoundaryLoad(
        stats=stats,
        units=len(records),
        repaired=gathered.repaired,
        without_code=gathered.without_code,
        attribution=attribution,
    )
