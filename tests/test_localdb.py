"""The embedded cluster: each test makes its own in a fresh folder, so what it does to the
cluster (stopping it, breaking its pid file) cannot disturb the others."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


# ---- the data folder is never deleted, the state file is private and checked -------------


def test_a_cluster_without_its_state_file_is_refused_and_kept(home: Path) -> None:
    settings = Settings(home=home)
    url = localdb.up(settings, report=_quiet, conf=FAST)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (x int)")
    files = localdb.ClusterFiles(home)
    saved = files.state.read_bytes()
    files.state.unlink()

    with pytest.raises(localdb.LocalDbError) as caught:
        localdb.up(settings, report=_quiet)

    message = str(caught.value)
    assert "\n" not in message
    assert str(files.state) in message and f"mv {files.data} {files.data}.old" in message
    assert (files.data / "PG_VERSION").exists(), "the cluster is kept"
    assert localdb.down(settings, report=_quiet) is True, "it can be stopped without its state"
    files.state.write_bytes(saved)
    assert localdb.up(settings, report=_quiet) == url
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM kept").fetchone() == (0,)


def test_status_of_a_running_cluster_without_its_state_file_says_both(home: Path) -> None:
    """Not "no cluster": the server is up (pid, port from its pid file), and the missing
    cluster.json is named with the ways out."""
    settings = Settings(home=home)
    url = localdb.up(settings, report=_quiet, conf=FAST)
    files = localdb.ClusterFiles(home)
    saved = files.state.read_bytes()
    files.state.unlink()
    try:
        st = localdb.status(settings)
        assert st.running and st.pid is not None and st.url is None
        assert str(st.port) == psycopg.conninfo.conninfo_to_dict(url)["port"]
        assert st.problem is not None and str(files.state) in st.problem
        assert "hub db down" in st.problem
        localdb.down(settings, report=_quiet)
        stopped = localdb.status(settings)
        assert not stopped.running and stopped.problem is not None
    finally:
        files.state.write_bytes(saved)


def test_a_data_folder_with_files_but_no_cluster_is_refused_and_kept(home: Path) -> None:
    data = localdb.ClusterFiles(home).data
    data.mkdir(parents=True)
    (data / "notes.txt").write_text("not a cluster")

    with pytest.raises(localdb.LocalDbError) as caught:
        localdb.up(Settings(home=home), report=_quiet, conf=FAST)

    assert f"mv {data} {data}.old" in str(caught.value)
    assert (data / "notes.txt").read_text() == "not a cluster"


@pytest.mark.parametrize(
    "content",
    ["{\"port\": 5432, \"pass", "[]", '{"port": "x", "password": "p", "version": 16, '
     '"os_user": null, "database": "hub"}', '{"port": 5432}', "\udcff"],
    ids=["truncated", "not-an-object", "wrong-type", "missing-keys", "not-utf8"],
)
def test_a_damaged_state_file_is_one_line_naming_the_file_and_the_fix(
    home: Path, content: str
) -> None:
    files = localdb.ClusterFiles(home)
    files.state.write_bytes(content.encode("utf-8", "surrogateescape"))
    settings = Settings(home=home)

    for command in (localdb.up, localdb.status, localdb.url):
        with pytest.raises(localdb.LocalDbError) as caught:
            command(settings)
        message = str(caught.value)
        assert "\n" not in message
        assert f"{files.state} is damaged" in message and f"rm {files.state}" in message
    assert not files.data.exists(), "nothing is created over a damaged state"


def test_the_password_files_are_private_without_any_chmod(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Created 0600, not made private afterwards: here no chmod of a file ever happens, as
    after a crash between writing and chmod-ing."""
    real_chmod = os.chmod

    def chmod_folders_only(path: Any, mode: int, **kwargs: Any) -> None:
        if Path(path).is_dir():
            real_chmod(path, mode, **kwargs)

    monkeypatch.setattr(os, "chmod", chmod_folders_only)
    real_run = localdb.RunAs.run
    pwfile_modes: list[int] = []

    def spy(self: localdb.RunAs, cmd: list[str], **kwargs: Any) -> Any:
        pwfile = next((a.split("=", 1)[1] for a in cmd if a.startswith("--pwfile=")), None)
        if pwfile is not None:
            pwfile_modes.append(stat.S_IMODE(os.stat(pwfile).st_mode))
        return real_run(self, cmd, **kwargs)

    monkeypatch.setattr(localdb.RunAs, "run", spy)
    old_umask = os.umask(0o022)
    try:
        localdb.up(Settings(home=home), report=_quiet, conf=FAST)
    finally:
        os.umask(old_umask)

    assert pwfile_modes == [0o600], "initdb's password file"
    assert stat.S_IMODE(localdb.ClusterFiles(home).state.stat().st_mode) == 0o600
    assert sorted(p.name for p in home.iterdir()) == ["cluster.json", "cluster.lock", "pg"], (
        "no temporary file is left behind"
    )


# ---- one up/down at a time ----------------------------------------------------------------


def test_two_concurrent_ups_on_a_fresh_home_make_one_cluster(home: Path) -> None:
    settings = Settings(home=home)
    start = threading.Barrier(2)
    urls: list[str] = []
    errors: list[BaseException] = []
    messages: list[str] = []

    def bring_up() -> None:
        start.wait()
        try:
            urls.append(localdb.up(settings, report=messages.append, conf=FAST))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=bring_up) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert errors == []
    assert len(urls) == 2 and urls[0] == urls[1]
    assert sum("creating" in m for m in messages) == 1, messages
    assert sum("is running on" in m for m in messages) == 1, "started once"
    with psycopg.connect(urls[0]) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_a_held_lock_makes_up_wait_then_fail_with_the_lock_file_named(
    home: Path,
) -> None:
    files = localdb.ClusterFiles(home)
    messages: list[str] = []
    with files.lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(localdb.LocalDbError) as caught:
            localdb.up(Settings(home=home, db_lock_timeout_s=0.5), report=messages.append,
                       conf=FAST)

    message = str(caught.value)
    assert "\n" not in message and str(files.lock) in message
    assert any("waiting for another" in m for m in messages)
    assert not files.pg_dir.exists(), "nothing is done without the lock"
