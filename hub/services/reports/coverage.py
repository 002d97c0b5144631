"""The coverage report as planners take it away: CSV, GeoJSON and a PNG choropleth, each with
the credit the data requires (hub.services.loading.attribution, table ``dataset``)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.domain.filters import FacilityFilter
from hub.services.reads.coverage import Report, UnitCoverage
from hub.services.reads.provider import Reads

#: Boundaries drawn or exported with the report are simplified to this (metres): enough for
#: a map of all Hokkaido, a fraction of the full file's size.
MAP_TOLERANCE_M = 200.0
PNG_SIZE_INCHES = 8.0
PNG_DPI = 150  # 1200 x 1200 pixels

STATUS_COLOURS = {"served": "#2c7fb8", "reach": "#a1dab4", "gap": "#e34a33"}


@dataclass
class CoverageTable:
    report: Report
    names: dict[str, str]
    subprefectures: dict[str, str]
    attribution: list[str]
    boundaries: dict[str, dict[str, Any]]


def status(unit: UnitCoverage) -> str:
    if unit.served_by_area:
        return "served"
    return "reach" if unit.within_reach else "gap"


async def build(reads: Reads, flt: FacilityFilter | None, reach: float,
                with_boundaries: bool) -> CoverageTable:
    report = await reads.coverage(flt, reach)
    codes = [u.code for u in report.units]
    rows = await reads.municipalities_by_codes(codes)
    boundaries = await reads.boundaries(codes, MAP_TOLERANCE_M) if with_boundaries else {}
    return CoverageTable(
        report=report,
        names={c: r.name_ja for c, r in rows.items()},
        subprefectures={c: r.subprefecture for c, r in rows.items()},
        attribution=[d.attribution for d in await reads.datasets()],
        boundaries=boundaries,
    )


def properties(table: CoverageTable, unit: UnitCoverage) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name_ja": table.names.get(unit.code),
        "subprefecture": table.subprefectures.get(unit.code),
        "population": unit.population,
        "served_by_area": unit.served_by_area,
        "nearest_code": unit.nearest.code if unit.nearest else None,
        "nearest_distance_m": round(unit.nearest_distance, 1)
        if unit.nearest_distance is not None else None,
        "within_reach": unit.within_reach,
        "accessibility": unit.accessibility,
        "status": status(unit),
    }


def to_csv(table: CoverageTable) -> str:
    """One row per unit; the credit comes first as ``#`` comment lines (read with
    ``comment='#'`` in pandas, or skip them)."""
    out = io.StringIO()
    for credit in table.attribution:
        for line in credit.splitlines():
            out.write(f"# {line}\n")
    fields = list(properties(table, table.report.units[0]))
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for unit in table.report.units:
        writer.writerow(properties(table, unit))
    return out.getvalue()


def to_geojson(table: CoverageTable) -> dict[str, Any]:
    """Units with their coverage properties; the credit rides along as a foreign member."""
    return {
        "type": "FeatureCollection",
        "attribution": table.attribution,
        "totals": {"total_population": table.report.total_population,
                   "population_in_gaps": table.report.population_in_gaps,
                   "gaps": len(table.report.gaps)},
        "features": [
            {"type": "Feature", "geometry": table.boundaries.get(unit.code),
             "properties": properties(table, unit)}
            for unit in table.report.units
        ],
    }


class ReportError(RuntimeError):
    """A report cannot be made on this machine; the message names the fix."""


#: Fonts with Japanese glyphs, in order of preference (Debian: fonts-ipafont-gothic,
#: fonts-noto-cjk).
JAPANESE_FONTS = ("IPAGothic", "IPAPGothic", "IPAexGothic", "Noto Sans CJK JP")


def japanese_font() -> str:
    """The name of an installed font that can print the Japanese credits."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in JAPANESE_FONTS:
        if name in installed:
            return name
    raise ReportError("no font with Japanese glyphs for the credits: run "
                      "`apt-get install fonts-ipafont-gothic` (scripts/setup does, as root)")


def to_png(table: CoverageTable, path: Path, title: str) -> None:
    """A choropleth of Hokkaido by coverage status, with a legend and the credit.

    The credits are Japanese and required by the publishers: without a font that has the
    glyphs they would print as empty boxes, so a missing font is an error, not a fallback.
    """
    try:
        import matplotlib
    except ImportError:
        raise ReportError("drawing maps needs matplotlib: pip install 'hub[maps]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    from shapely.geometry import shape

    plt.rcParams["font.family"] = [japanese_font(), "sans-serif"]
    fig, ax = plt.subplots(figsize=(PNG_SIZE_INCHES, PNG_SIZE_INCHES), dpi=PNG_DPI)
    for unit in table.report.units:
        geometry = table.boundaries.get(unit.code)
        if geometry is None:
            continue
        for polygon in getattr(shape(geometry), "geoms", []):
            x, y = polygon.exterior.xy
            ax.fill(x, y, facecolor=STATUS_COLOURS[status(unit)], edgecolor="white",
                    linewidth=0.2)
    ax.set_aspect(1 / 0.73)  # about 1/cos(43°): Hokkaido's longitude degrees are shorter
    ax.set_axis_off()
    report = table.report
    ax.set_title(f"{title}\n{report.population_in_gaps:,} of {report.total_population:,} "
                 f"residents in gaps ({len(report.gaps)} of {len(report.units)} units)",
                 fontsize=10)
    ax.legend(handles=[
        Patch(color=STATUS_COLOURS["served"], label="served by a service area"),
        Patch(color=STATUS_COLOURS["reach"], label="nearest facility within reach"),
        Patch(color=STATUS_COLOURS["gap"], label="gap"),
    ], loc="lower right", fontsize=8, frameon=False)
    fig.text(0.01, 0.01, "\n".join(table.attribution), fontsize=4.5, va="bottom", wrap=True)
    fig.savefig(path, dpi=PNG_DPI)  # not bbox "tight": the size stays as stated
    plt.close(fig)
