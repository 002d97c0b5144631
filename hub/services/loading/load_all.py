"""``hub load``: boundaries, then population, then the seed set, in that order (each needs
the one before), every file in a transaction of its own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, select

from hub.db.models import Dataset, Facility, Municipality
from hub.resources import SEED_DIR
from hub.services.loading.boundaries import load_boundaries
from hub.services.loading.population import load_population
from hub.services.loading.progress import Track, no_progress
from hub.services.loading.seed import load_seed
from hub.services.loading.sync import SyncStats


@dataclass
class LoadReport:
    """Per file: what was added, changed and left; and the credits of the data loaded."""

    files: dict[str, SyncStats] = field(default_factory=dict)
    attributions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def load(
    engine: Engine,
    *,
    boundaries: Path | None = None,
    population: Path | None = None,
    seed: bool = False,
    seed_dir: Path = SEED_DIR,
    actor: str = "hub load",
    track: Track = no_progress,
    on_file: Callable[[str, SyncStats], None] = lambda _f, _s: None,
) -> LoadReport:
    report = LoadReport()
    if boundaries is not None:
        with engine.begin() as conn:
            result = load_boundaries(conn, boundaries, actor, track)
        report.files[boundaries.name] = result.stats
        report.attributions.append(result.attribution)
        if result.repaired:
            report.notes.append(f"{boundaries.name}: repaired {result.repaired} invalid polygons")
        if result.without_code:
            report.notes.append(
                f"{boundaries.name}: skipped {result.without_code} polygons without a code "
                "(所属未定地)"
            )
        on_file(boundaries.name, result.stats)
    if population is not None:
        with engine.begin() as conn:
            pop = load_population(conn, population, actor, track)
        report.files[population.name] = pop.stats
        report.attributions.append(pop.attribution)
        report.notes.append(f"{population.name}: {pop.total:,} residents as of {pop.as_of}")
        on_file(population.name, pop.stats)
    if seed:

        def seen(name: str, stats: SyncStats) -> None:
            report.files[name] = stats
            on_file(name, stats)

        load_seed(engine, seed_dir, actor, report=seen)
        if (credit := _places_credit(engine)) is not None:
            report.attributions.append(credit)
    return report


def _places_credit(engine: Engine) -> str | None:
    """The credit of facility_places.csv as the seed load just stored it (the seed set
    reads that file with its own), so the printed words are the ones dataSources shows."""
    with engine.connect() as conn:
        return conn.scalar(
            select(Dataset.attribution).where(Dataset.kind == "facility_places"))


def is_empty(engine: Engine) -> tuple[bool, bool]:
    """Whether the database lacks municipalities, and whether it lacks facilities (real or
    synthetic: a database of synthetic ones is not empty, and must get no real ones)."""
    with engine.connect() as conn:
        municipalities = conn.scalar(select(func.count()).select_from(Municipality)) or 0
        facilities = conn.scalar(select(func.count()).select_from(Facility)) or 0
    return municipalities == 0, facilities == 0
