"""Alembic, driven from Python so ``hub db migrate`` and the tests need no alembic.ini."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from geoalchemy2 import alembic_helpers
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from hub.resources import MIGRATIONS_DIR

#: The PostgreSQL advisory lock every migration run holds (an arbitrary fixed bigint, the
#: same for all hub versions): every ``hub serve`` migrates at start, and two Alembic runs
#: on one database would race to create the same tables.
MIGRATION_LOCK_KEY = 0x6875625F6D6967  # "hub_mig"

#: Tables PostGIS owns, and indexes only the migrations know (expression indexes, which
#: autogenerate cannot compare).
_NOT_IN_MODELS = {
    ("table", "spatial_ref_sys"),
    ("index", "ix_facility_names_trgm"),
    ("index", "ix_facility_location_geography"),
}


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Which database objects autogenerate compares with the models."""
    if (type_, name) in _NOT_IN_MODELS:
        return False
    keep = alembic_helpers.include_object(  # type: ignore[no-untyped-call]
        obj, name, type_, reflected, compare_to
    )
    return bool(keep)


def alembic_config(engine: Engine | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        cfg.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return cfg


class MigrationLockTimeout(RuntimeError):
    """Another migration held the lock longer than we were willing to wait."""


def _run(engine: Engine, action: str, revision: str, lock_timeout_s: float | None) -> None:
    """Run one Alembic command in one transaction that first takes the migration lock.

    A transaction-level lock on the very connection Alembic uses: released by the commit
    (or rollback), so a crash cannot leave it held; a second run waits, then finds the
    schema at the revision and has nothing to do. It waits at most ``lock_timeout_s``
    (None: as long as it takes), so a migration stuck elsewhere does not hang every
    ``hub serve`` that starts meanwhile.
    """
    cfg = alembic_config()
    with engine.begin() as conn:
        if lock_timeout_s is not None:
            conn.execute(text("SELECT set_config('lock_timeout', :ms, true)"),
                         {"ms": f"{max(1, round(lock_timeout_s * 1000))}ms"})
        try:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                         {"key": MIGRATION_LOCK_KEY})
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
                raise
            raise MigrationLockTimeout(
                f"another migration of this database has held its lock for more than "
                f"{lock_timeout_s:g} s (HUB_MIGRATION_LOCK_TIMEOUT_S); see pg_stat_activity "
                "for the session holding it, or try again once it is done") from None
        conn.execute(text("SELECT set_config('lock_timeout', '0', true)"))
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)


def upgrade(engine: Engine, revision: str = "head", lock_timeout_s: float | None = None
            ) -> None:
    _run(engine, "upgrade", revision, lock_timeout_s)


def downgrade(engine: Engine, revision: str = "base", lock_timeout_s: float | None = None
              ) -> None:
    _run(engine, "downgrade", revision, lock_timeout_s)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
