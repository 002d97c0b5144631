"""The open-data exports over synthetic facilities: how long a whole export takes, how large
it is and how much memory it holds, beside the floor of reading the same rows.

- the export: ``hub.services.reports.facility_export`` (what /export/facilities.csv and
  .geojson stream and ``hub export facilities`` writes), run in this process, the chunks
  counted and dropped;
- the floor: the batch statements alone (``hub.services.reads.exports.batch``), which is
  the least any export of these rows must read.

It prints seconds, facilities per second, megabytes written and the growth of the
process's peak memory, which stays flat whatever the size because the export streams in
batches. Run it by hand (never part of the tests); it makes the synthetic data first if
it is missing:

    .venv/bin/python -m benchmarks.export [--sizes 1000 100000] [--runs 2]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time

from benchmarks.synthetic import synthetic_url
from hub.config import get_settings
from hub.db.pool import Database
from hub.services.reads.provider import Reads
from hub.services.reports import facility_export
from hub.services.reports.facility_export import ExportFormat


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _export(reads: Reads, format: ExportFormat) -> tuple[float, int]:
    started = time.perf_counter()
    size = 0
    async for piece in facility_export.chunks(reads, None, format,
                                              get_settings().export_simplify_meters):
        size += len(piece)
    return time.perf_counter() - started, size


async def _floor(reads: Reads) -> tuple[float, int]:
    started = time.perf_counter()
    after, rows = None, 0
    while True:
        batch = await reads.export_batch(None, after, facility_export.BATCH)
        rows += len(batch)
        if len(batch) < facility_export.BATCH:
            return time.perf_counter() - started, rows
        after = batch[-1].code


async def measure(url: str, runs: int) -> list[tuple[str, float, int, float]]:
    db = Database(url, 600_000, 1, 4)
    await db.open()
    try:
        reads = Reads(db)
        results = []
        for name in ("floor", "csv", "geojson"):
            best, size = float("inf"), 0
            before = _peak_mb()
            for _ in range(runs):
                if name == "floor":
                    seconds, size = await _floor(reads)
                else:
                    seconds, size = await _export(reads, "csv" if name == "csv" else "geojson")
                best = min(best, seconds)
            results.append((name, best, size, _peak_mb() - before))
        return results
    finally:
        await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    print(f"{'facilities':>10} {'what':>8} {'seconds':>8} {'per second':>11} {'MB':>8}"
          f" {'peak +MB':>8}")
    for count in args.sizes:
        url = synthetic_url(count)
        for name, seconds, size, grown in asyncio.run(measure(url, args.runs)):
            shown = f"{size:>8,}" if name == "floor" else f"{size / 1e6:>8.1f}"
            print(f"{count:>10,} {name:>8} {seconds:>8.2f} {count / seconds:>11,.0f} {shown}"
                  f" {grown:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
