"""The embedded cluster: each test makes its own in a fresh folder, so what it does to the
cluster (stopping it, breaking its pid file) cannot disturb the others."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from hub import localdb
from hub.config import Settings
from tests.conftest import make_cluster_home

FAST = {"fsync": "off", "synchronous_commit": "off"}


@pytest.fixture
def home() -> Iterator[Path]:
    path = make_cluster_home("hub-localdb-")
    yield path
    settings = Settings(home=path)
    try:
        localdb.down(settings, report=lambda _: None)
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _quiet(_: str) -> None:
    return None


def test_up_twice_is_harmless_and_gives_the_same_database(home: Path) -> None:
    settings = Settings(home=home)
    messages: list[str] = []
    first = localdb.up(settings, report=messages.append, conf=FAST)
    with psycopg.connect(first, autocommit=True) as conn:
        conn.execute("CREATE TABLE marker (x int)")
        pid_before = localdb.status(settings).pid

    second = localdb.up(settings, report=messages.append)

    assert second == first
    assert localdb.status(settings).pid == pid_before, "a running cluster is reused, not restarted"
    with psycopg.connect(second) as conn:
        assert conn.execute("SELECT count(*) FROM marker").fetchone() == (0,)
        version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'")
        assert version.fetchone() is not None, "postgis is installed in the hub database"
    assert sum("creating" in m for m in messages) == 1


def test_down_then_up_keeps_the_data(home: Path) -> None:
    settings = Settings(home=home)
    url = localdb.up(settings, report=_quiet, conf=FAST)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (name text)")
        conn.execute("INSERT INTO kept VALUES ('札幌市')")

    assert localdb.down(settings, report=_quiet) is True
    assert localdb.status(settings).running is False
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)

    assert localdb.up(settings, report=_quiet) == url
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT name FROM kept").fetchall() == [("札幌市",)]


def test_down_when_stopped_says_so(home: Path) -> None:
    settings = Settings(home=home)
    localdb.up(settings, report=_quiet, conf=FAST)
    localdb.down(settings, report=_quiet)
    messages: list[str] = []
    assert localdb.down(settings, report=messages.append) is False
    assert messages == ["the cluster is not running"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only a root run shows the switch of user")
def test_as_root_the_server_runs_as_an_unprivileged_user(home: Path) -> None:
    settings = Settings(home=home)
    messages: list[str] = []
    localdb.up(settings, report=messages.append, conf=FAST)
    pid = localdb.status(settings).pid
    assert pid is not None
    uid_line = next(
        ln for ln in Path(f"/proc/{pid}/status").read_text().splitlines() if ln.startswith("Uid:")
    )
    assert int(uid_line.split()[1]) != 0, "PostgreSQL must not run as root"
    assert any("system user" in m and "root" in m for m in messages), "the switch is said"


def test_a_pid_file_of_another_live_process_is_named_with_its_fix(home: Path) -> None:
    settings = Settings(home=home)
    localdb.up(settings, report=_quiet, conf=FAST)
    localdb.down(settings, report=_quiet)
    pid_file = localdb.ClusterFiles(home).pid_file
    # This test's own process is alive and is no PostgreSQL: the pid of a reused number.
    pid_file.write_text(f"{os.getpid()}\n{localdb.ClusterFiles(home).data}\n")

    with pytest.raises(localdb.LocalDbError) as caught:
        localdb.up(settings, report=_quiet)

    message = str(caught.value)
    assert "stale pid file" in message and f"rm {pid_file}" in message
    assert "\n" not in message
    pid_file.unlink()
    assert localdb.up(settings, report=_quiet).startswith("postgresql://")


def test_a_pid_file_of_a_dead_process_is_replaced(home: Path) -> None:
    settings = Settings(home=home)
    localdb.up(settings, report=_quiet, conf=FAST)
    localdb.down(settings, report=_quiet)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    files = localdb.ClusterFiles(home)
    files.pid_file.write_text(f"{gone.pid}\n{files.data}\n")

    url = localdb.up(settings, report=_quiet)

    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_taken_port_that_was_asked_for_is_an_error_naming_the_fix(home: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        with pytest.raises(localdb.LocalDbError) as caught:
            localdb.up(Settings(home=home, db_port=port), report=_quiet, conf=FAST)
    assert f"port {port}" in str(caught.value) and "HUB_DB_PORT" in str(caught.value)


def test_a_taken_port_that_was_picked_moves_elsewhere_keeping_the_data(home: Path) -> None:
    settings = Settings(home=home)
    url = localdb.up(settings, report=_quiet, conf=FAST)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (x int)")
    localdb.down(settings, report=_quiet)
    old_port = localdb.status(settings).port
    assert old_port is not None

    messages: list[str] = []
    with socket.socket() as blocker:
        # The stopped server's port may linger in TIME_WAIT; a listener can still take it.
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", old_port))
        blocker.listen()
        new_url = localdb.up(settings, report=messages.append)

    assert localdb.status(settings).port != old_port
    assert any(f"port {old_port} is taken" in m for m in messages)
    with psycopg.connect(new_url) as conn:
        assert conn.execute("SELECT count(*) FROM kept").fetchone() == (0,)


def _fake_bindir_without_postgis(tmp: Path) -> Path:
    """The real PostgreSQL programs, with a pg_config that points at a share folder lacking
    PostGIS: a machine where postgresql is installed but postgresql-NN-postgis-3 is not."""
    real = localdb.find_postgres()
    bindir = tmp / "bin"
    bindir.mkdir()
    for name in ("initdb", "pg_ctl", "postgres"):
        (bindir / name).symlink_to(real.bindir / name)
    share = tmp / "share"
    (share / "extension").mkdir(parents=True)
    pg_config = bindir / "pg_config"
    pg_config.write_text(f"#!/bin/sh\necho {share}\n")
    pg_config.chmod(0o755)
    return bindir


def test_missing_postgis_is_one_line_naming_the_package(home: Path) -> None:
    bindir = _fake_bindir_without_postgis(home)
    version = localdb.find_postgres().version
    with pytest.raises(localdb.LocalDbError) as caught:
        localdb.up(Settings(home=home, pg_bindir=bindir), report=_quiet)
    message = str(caught.value)
    assert f"apt-get install postgresql-{version}-postgis-3" in message
    assert "\n" not in message
    assert not localdb.ClusterFiles(home).data.exists(), "nothing is created without PostGIS"


def test_a_bindir_without_postgres_is_named(tmp_path: Path) -> None:
    with pytest.raises(localdb.LocalDbError, match="HUB_PG_BINDIR"):
        localdb.find_postgres(tmp_path)


def test_url_before_any_cluster_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(localdb.LocalDbError, match="hub db up"):
        localdb.url(Settings(home=tmp_path / "none"))


def test_database_url_prefers_the_configured_one(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "unused", database_url="postgresql://u@example/db")
    assert localdb.database_url(settings) == "postgresql://u@example/db"
    assert not (tmp_path / "unused").exists(), "no embedded cluster is made when a URL is set"
