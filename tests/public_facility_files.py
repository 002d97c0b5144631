"""Builders of 公共施設一覧 files for the import tests: rows as dicts by column name, written
as CSV (in any encoding) or GeoJSON, so that every fixture file is made by the test that
reads it."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from hub.domain.public_facility_csv import COLUMNS


def row(**cells: str) -> dict[str, str]:
    """A row with every column empty but the ones given (by column name, via **{...})."""
    unknown = set(cells) - set(COLUMNS)
    assert not unknown, f"not columns of the layout: {unknown}"
    return {c: cells.get(c, "") for c in COLUMNS}


def csv_bytes(rows: Sequence[dict[str, str]], encoding: str = "utf-8",
              header: Sequence[str] = COLUMNS) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for r in rows:
        writer.writerow([r.get(c, "") for c in header])
    return out.getvalue().encode(encoding)


def geojson_bytes(rows: Sequence[dict[str, str]], geometries: Sequence[Any] | None = None
                  ) -> bytes:
    """A FeatureCollection: each row's non-empty cells as properties; its geometry a Point
    at 経度/緯度 (taken out of the properties) unless ``geometries`` gives it."""
    features = []
    for n, r in enumerate(rows):
        properties = {k: v for k, v in r.items() if v != ""}
        if geometries is not None:
            geometry = geometries[n]
        elif "緯度" in properties:
            geometry = {"type": "Point", "coordinates": [float(properties.pop("経度")),
                                                         float(properties.pop("緯度"))]}
        else:
            geometry = None
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False).encode()
