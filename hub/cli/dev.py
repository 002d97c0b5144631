"""``hub dev``: synthetic data for benchmarks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from hub.cli.output import database_url, fail, say, track
from hub.config import get_settings

if TYPE_CHECKING:

    pass

dev_app = typer.Typer(help="Developer tools: synthetic data for benchmarks.",
                      no_args_is_help=True)


@dev_app.command()
def synth(
    count: Annotated[int, typer.Option(help="How many synthetic facilities.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the generator: same seed, same data.")] = 1,
    database: Annotated[str, typer.Option(
        help="Database to put them in, beside the hub's (created when missing).")
    ] = "hub_synthetic",
    remove: Annotated[bool, typer.Option("--remove", help="Only delete them.")] = False,
) -> None:
    """Make COUNT synthetic facilities (flagged, deterministic) for benchmarks, in a database
    of their own with the real boundaries and no real facilities; prints its URL: serve
    them with HUB_DATABASE_URL set to it."""
    from hub.db.databases import ensure_database
    from hub.db.engine import make_engine
    from hub.domain.datafile import DataFileError
    from hub.services.loading import synth as synthetic

    settings = get_settings()
    url = ensure_database(database_url(settings), database)
    engine = make_engine(url)
    try:
        synthetic.prepare(engine, settings.boundaries_file(), settings.population_file(),
                          track=track, say=say)
        with engine.begin() as conn:
            if remove:
                say(f"removed {synthetic.remove(conn, 'hub dev synth')} synthetic facilities")
            else:
                result = synthetic.create(conn, count, seed)
                say(f"created {result.created} synthetic facilities (removed {result.removed})")
    except DataFileError as exc:
        raise fail(f"{exc} (nothing from this file was written)") from exc
    except synthetic.RealFacilitiesError as exc:
        raise fail(f"{database}: {exc}") from exc
    finally:
        engine.dispose()
    print(url)
