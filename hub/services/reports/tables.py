"""Reports as tables on a terminal (rich): what ``hub load`` did, and the coverage table."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from hub.services.loading.load_all import LoadReport
from hub.services.reports.coverage import CoverageTable, properties


def print_load(out: Console, report: LoadReport) -> None:
    """Added, changed and left per file, then the notes and the credits of the data."""
    table = Table("file", "added", "changed", "left", title="hub load")
    for name, stats in report.files.items():
        table.add_row(name, str(len(stats.added)), str(len(stats.changed)), str(len(stats.left)))
    out.print(table)
    for note in report.notes:
        out.print(note, markup=False)
    for credit in report.attributions:
        out.print(credit, markup=False)


def print_coverage(out: Console, table: CoverageTable, max_km: float) -> None:
    """One line per unit, gaps in red, then the totals and the credits of the data."""
    grid = Table("code", "municipality", "population", "served", "nearest", "km", "reach",
                 "2SFCA", title=f"coverage within {max_km:g} km")
    for unit in table.report.units:
        row = properties(table, unit)
        distance = row["nearest_distance_m"]
        grid.add_row(row["code"], row["name_ja"] or "", f"{row['population']:,}",
                     "yes" if row["served_by_area"] else "-", row["nearest_code"] or "-",
                     f"{distance / 1000:.1f}" if distance is not None else "-",
                     "yes" if row["within_reach"] else "-", f"{row['accessibility']:.4f}",
                     style="bold red" if row["status"] == "gap" else None)
    out.print(grid)
    report = table.report
    out.print(f"total population {report.total_population:,}; in gaps "
              f"{report.population_in_gaps:,} ({len(report.gaps)} of {len(report.units)} units)")
    for credit in table.attribution:
        out.print(credit, markup=False)
