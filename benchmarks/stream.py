"""The request stream every benchmark row replays: points inside Hokkaido's municipalities
with, for each, a facility of the database (its code and relations) and the tile holding the
point. wrk (the hub's side) and pgbench (the floor) walk the same list, so both sides answer
the same questions."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import psycopg

HOKKAIDO = (41.35, 45.55, 139.3, 145.85)  # lat min/max, lon min/max
#: Half the side of the bounding box of the bbox row, in degrees: about 3 km x 3 km.
BBOX_HALF_LON = 0.02
BBOX_HALF_LAT = 0.015


@dataclass(frozen=True)
class Item:
    """One request's worth of inputs; every field is a column pgbench can index."""

    lat: float
    lon: float
    code: str
    fid: int
    operator_id: int
    mcode: str
    tx: int
    ty: int

    @property
    def bbox(self) -> list[float]:
        return [self.x1, self.y1, self.x2, self.y2]

    @property
    def x1(self) -> float:
        return round(self.lon - BBOX_HALF_LON, 6)

    @property
    def y1(self) -> float:
        return round(self.lat - BBOX_HALF_LAT, 6)

    @property
    def x2(self) -> float:
        return round(self.lon + BBOX_HALF_LON, 6)

    @property
    def y2(self) -> float:
        return round(self.lat + BBOX_HALF_LAT, 6)


#: Item fields and the PostgreSQL type of their column in the floor's arrays.
FIELDS = {"lat": "float8", "lon": "float8", "x1": "float8", "y1": "float8", "x2": "float8",
          "y2": "float8", "code": "text", "fid": "int8", "operator_id": "int8",
          "mcode": "text", "tx": "int4", "ty": "int4"}


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def make_stream(url: str, size: int, zoom: int, seed: int = 42) -> list[Item]:
    """``size`` items: uniform points of Hokkaido's box kept when a municipality covers them
    (land, not sea), and facilities drawn at random (fixed seed: the same list every run on
    the same data)."""
    rng = random.Random(seed)
    lat0, lat1, lon0, lon1 = HOKKAIDO
    points: list[tuple[float, float]] = []
    with psycopg.connect(url) as conn:
        while len(points) < size:
            lats = [round(rng.uniform(lat0, lat1), 5) for _ in range(4 * size)]
            lons = [round(rng.uniform(lon0, lon1), 5) for _ in range(4 * size)]
            rows = conn.execute(
                "SELECT p.lat, p.lon FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY"
                " AS p(lat, lon, n) WHERE EXISTS (SELECT 1 FROM municipality m"
                " WHERE NOT m.northern_territories AND ST_Covers(m.boundary,"
                " ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))) ORDER BY p.n",
                (lats, lons)).fetchall()
            points += [(float(a), float(b)) for a, b in rows]
        conn.execute("SELECT setseed(0.42)")
        facilities = conn.execute(
            "SELECT code, id, operator_id, municipality_code FROM facility"
            " WHERE archived_at IS NULL AND municipality_code IS NOT NULL"
            " ORDER BY random() LIMIT %s", (size,)).fetchall()
    if not facilities:
        raise SystemExit("the database holds no facilities")
    items = []
    for n, (lat, lon) in enumerate(points[:size]):
        code, fid, operator_id, mcode = facilities[n % len(facilities)]
        tx, ty = tile_of(lon, lat, zoom)
        items.append(Item(lat, lon, code, fid, operator_id, mcode, tx, ty))
    return items
