"""Migrations: an empty database goes to head, back to base and up again, and the schema
they build is the one the models describe."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url

from hub.db import migrate
from hub.db.engine import make_engine
from hub.db.models import Base

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_TABLES = {table.name for table in Base.metadata.sorted_tables}


@pytest.fixture
def empty_engine(database_url: str) -> Iterator[Engine]:
    """A brand-new database in the session cluster, with nothing in it but PostGIS."""
    name = "migration_round_trip"
    admin = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    eng = make_engine(url)
    yield eng
    eng.dispose()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _tables(eng: Engine) -> set[str]:
    return set(inspect(eng).get_table_names()) - {"spatial_ref_sys", "alembic_version"}


def test_upgrade_downgrade_upgrade_round_trip(empty_engine: Engine) -> None:
    assert migrate.current_revision(empty_engine) is None

    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _tables(empty_engine) == DATA_TABLES

    migrate.downgrade(empty_engine, "base")
    assert migrate.current_revision(empty_engine) is None
    assert _tables(empty_engine) == set()

    migrate.upgrade(empty_engine)
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _tables(empty_engine) == DATA_TABLES


def _ogc_objects(eng: Engine) -> set[str]:
    """The views and functions of the schema the OGC API serves (migration 0009)."""
    with eng.connect() as conn:
        return set(conn.exec_driver_sql(
            "SELECT table_name FROM information_schema.views WHERE table_schema = 'ogc'"
            " UNION SELECT routine_name FROM information_schema.routines"
            " WHERE routine_schema = 'ogc'").scalars())


def test_the_public_views_come_and_go_with_their_revision(empty_engine: Engine) -> None:
    migrate.upgrade(empty_engine)
    assert _ogc_objects(empty_engine) == {"facilities", "municipalities", "service_areas",
                                          "coverage"}
    migrate.downgrade(empty_engine, "0008_shared_area_parts")
    assert _ogc_objects(empty_engine) == set()
    with empty_engine.connect() as conn:
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM pg_namespace WHERE nspname = 'ogc'").scalar_one() == 0
    assert _tables(empty_engine) == DATA_TABLES - {"persisted_query"}  # 0010's
    migrate.upgrade(empty_engine)
    assert len(_ogc_objects(empty_engine)) == 4


def test_models_and_migrations_describe_the_same_schema(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": migrate.include_object}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_name_search_index_exists(engine: Engine) -> None:
    indexes = {ix["name"] for ix in inspect(engine).get_indexes("facility")}
    assert {"ix_facility_names_trgm", "ix_facility_location", "ix_facility_service_area"} <= (
        indexes
    )


def _waiting_for_advisory_lock(admin_url: str, database: str) -> bool:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
            "AND wait_event_type = 'Lock' AND wait_event = 'advisory'",
            (database,),
        ).fetchone()
    return row is not None and row[0] > 0


def test_an_upgrade_waits_while_another_holds_the_migration_lock(empty_engine: Engine) -> None:
    url = empty_engine.url
    plain_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
    errors: list[BaseException] = []

    def upgrade() -> None:
        try:
            migrate.upgrade(empty_engine)
        except BaseException as exc:
            errors.append(exc)

    with psycopg.connect(plain_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (migrate.MIGRATION_LOCK_KEY,))
        worker = threading.Thread(target=upgrade)
        worker.start()
        deadline = time.monotonic() + 30
        while not _waiting_for_advisory_lock(plain_url, str(url.database)):
            assert worker.is_alive(), "the upgrade ran without waiting for the lock"
            assert time.monotonic() < deadline, "the upgrade never waited for the lock"
            time.sleep(0.05)
        assert migrate.current_revision(empty_engine) is None, "nothing ran under the lock"
        holder.execute("SELECT pg_advisory_unlock(%s)", (migrate.MIGRATION_LOCK_KEY,))
        worker.join(timeout=120)

    assert errors == []
    assert migrate.current_revision(empty_engine) == migrate.head_revision()


_UPGRADE = (
    "import sys; from hub.db import migrate; from hub.db.engine import make_engine; "
    "migrate.upgrade(make_engine(sys.argv[1]))"
)


def test_two_concurrent_upgrades_of_a_fresh_database_both_succeed(empty_engine: Engine) -> None:
    """Two processes, as two ``hub serve`` starting at once (Alembic's context is global to
    a process, so threads would not show what happens between servers)."""
    url = empty_engine.url.render_as_string(hide_password=False)
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _UPGRADE, url], cwd=REPO_ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(2)
    ]
    outcomes = [(run.wait(timeout=300), run.communicate()[1]) for run in runs]

    errors = [[ln for ln in err.splitlines() if "Error" in ln][-1:] for _, err in outcomes]
    assert [code for code, _ in outcomes] == [0, 0], errors
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
    assert _tables(empty_engine) == DATA_TABLES


def test_an_upgrade_gives_up_after_the_lock_timeout_naming_it(empty_engine: Engine) -> None:
    url = empty_engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (migrate.MIGRATION_LOCK_KEY,))
        started = time.monotonic()
        with pytest.raises(migrate.MigrationLockTimeout) as caught:
            migrate.upgrade(empty_engine, lock_timeout_s=0.5)
        waited = time.monotonic() - started
        holder.execute("SELECT pg_advisory_unlock(%s)", (migrate.MIGRATION_LOCK_KEY,))
    assert "0.5 s" in str(caught.value) and "HUB_MIGRATION_LOCK_TIMEOUT_S" in str(caught.value)
    assert waited >= 0.5
    assert migrate.current_revision(empty_engine) is None, "nothing ran"
    migrate.upgrade(empty_engine, lock_timeout_s=0.5)  # free again: it runs, and DDL waits
    assert migrate.current_revision(empty_engine) == migrate.head_revision()
