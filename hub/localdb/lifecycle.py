"""Creating, starting and stopping the embedded cluster: ``hub db up | down | status | url``.

``up`` and ``down`` hold the cluster's file lock (``hub.localdb.lock``), so concurrent
``hub serve``/``hub db up`` runs on one HUB_HOME make one cluster and start it once.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from hub.config import Settings
from hub.localdb.errors import LocalDbError, Report
from hub.localdb.install import PgInstall, check_postgis, find_postgres
from hub.localdb.lock import cluster_lock
from hub.localdb.pidfile import check_pid_file, is_our_postmaster, pid_in
from hub.localdb.ports import free_port, port_taken
from hub.localdb.runas import RunAs, ensure_os_user, existing_os_user
from hub.localdb.state import (
    OWNER_ROLE,
    ClusterFiles,
    ClusterState,
    read_state,
    write_private,
    write_state,
)


@dataclass(frozen=True)
class Status:
    running: bool
    home: Path
    port: int | None
    version: int | None
    pid: int | None
    url: str | None
    #: Why the URL is unknown though a cluster is there (its cluster.json is missing).
    problem: str | None = None


def _prepare_dirs(files: ClusterFiles, run_as: RunAs) -> None:
    files.home.mkdir(parents=True, exist_ok=True)
    files.pg_dir.mkdir(mode=0o700, exist_ok=True)
    if run_as.uid is not None and run_as.gid is not None:
        os.chmod(files.home, 0o755)
        os.chown(files.pg_dir, run_as.uid, run_as.gid)
        if run_as.run(["test", "-w", str(files.pg_dir)], check=False).returncode != 0:
            raise LocalDbError(
                f"system user {run_as.user!r} cannot reach {files.pg_dir}: set HUB_HOME to a "
                "folder every user can enter, e.g. /var/lib/hub"
            )


def _refuse_to_overwrite(files: ClusterFiles, state: ClusterState | None) -> None:
    """Never initdb over something that may be somebody's data.

    A cluster without ``cluster.json`` cannot be taken over: its password exists only in
    that file (the server keeps a scram verifier, from which it cannot be read back), so
    the hub refuses and names both ways out instead of deleting the cluster as it once did.
    A data folder with files but no cluster (not made by initdb) is refused the same way.
    """
    if files.holds_cluster():
        if state is None:
            raise LocalDbError(
                f"{files.data} holds a cluster but {files.state} is missing: restore "
                f"{files.state} from a backup, or move the cluster away to start afresh "
                f"(`hub db down; mv {files.data} {files.data}.old`) and run `hub db up` again"
            )
        return
    if files.data.is_dir() and any(files.data.iterdir()):
        raise LocalDbError(
            f"{files.data} holds files but no PostgreSQL cluster (no PG_VERSION): move it "
            f"away (`mv {files.data} {files.data}.old`) and run `hub db up` again"
        )


def _initdb(
    install: PgInstall, files: ClusterFiles, run_as: RunAs, password: str, conf: dict[str, str]
) -> None:
    if files.data.is_dir():
        files.data.rmdir()  # empty (checked before): initdb makes it with the right owner
    pwfile = files.pg_dir / "initdb.pw"
    write_private(pwfile, password + "\n", uid=run_as.uid, gid=run_as.gid)
    try:
        run_as.run([
            install.program("initdb"), "-D", str(files.data), "-U", OWNER_ROLE,
            f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8",
            "--locale=C.UTF-8",
        ])
    finally:
        pwfile.unlink(missing_ok=True)
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "unix_socket_directories": "''",
        "logging_collector": "off",
        **conf,
    }
    with (files.data / "postgresql.conf").open("a") as fh:
        fh.write("\n# set by hub.localdb\n")
        for key, value in settings.items():
            fh.write(f"{key} = {value}\n")


def _pg_ctl_running(install: PgInstall, files: ClusterFiles, run_as: RunAs) -> bool:
    if not files.data.exists():
        return False
    result = run_as.run([install.program("pg_ctl"), "status", "-D", str(files.data)], check=False)
    return result.returncode == 0


def _choose_port(settings: Settings, state: ClusterState, report: Report) -> int:
    wanted = settings.db_port or state.port
    if not port_taken(wanted):
        return wanted
    if settings.db_port:
        raise LocalDbError(
            f"port {wanted} on 127.0.0.1 is taken by another program: stop it, or set "
            "HUB_DB_PORT to a free port (0 picks one)"
        )
    port = free_port()
    report(f"port {wanted} is taken by another program; the cluster moves to port {port}")
    return port


def _ensure_database(state: ClusterState) -> None:
    admin_url = state.url().rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (state.database,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(state.database)))
    with psycopg.connect(state.url(), autocommit=True, connect_timeout=10) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def up(
    settings: Settings,
    report: Report = print,
    conf: dict[str, str] | None = None,
) -> str:
    """Start the cluster (creating it on first use) and return its URL.

    Harmless when it is already running, and when another process runs ``up`` at the same
    time (the second waits for the first, then finds the cluster running). ``conf`` adds
    postgresql.conf settings when the cluster is first created (the tests turn fsync off
    this way). An existing data folder is never deleted: see ``_refuse_to_overwrite``.
    """
    files = ClusterFiles(settings.home)
    with cluster_lock(files, report, settings.db_lock_timeout_s):
        return _up_locked(settings, files, report, conf or {})


def _up_locked(
    settings: Settings, files: ClusterFiles, report: Report, conf: dict[str, str]
) -> str:
    state = read_state(files)
    _refuse_to_overwrite(files, state)
    fresh = state is None or not files.holds_cluster()
    install = find_postgres(settings.pg_bindir, None if fresh or state is None else state.version)
    check_postgis(install)
    run_as = ensure_os_user(settings.db_os_user, report)
    _prepare_dirs(files, run_as)
    if run_as.user is not None:
        report(f"running PostgreSQL as system user {run_as.user!r}: it refuses to run as root")

    if state is None or fresh:
        state = ClusterState(
            port=settings.db_port or free_port(),
            password=secrets.token_urlsafe(24),
            version=install.version,
            os_user=run_as.user,
            database=settings.db_name,
        )
        # The state first: a crash after initdb must not leave a cluster nobody can log in to.
        write_state(files, state)
        report(f"creating a PostgreSQL {install.version} cluster in {files.data}")
        _initdb(install, files, run_as, state.password, conf)

    if _pg_ctl_running(install, files, run_as):
        _ensure_database(state)
        return state.url()

    check_pid_file(files)
    port = _choose_port(settings, state, report)
    if port != state.port:
        state.port = port
        write_state(files, state)
    result = run_as.run(
        [install.program("pg_ctl"), "start", "-D", str(files.data), "-l", str(files.log),
         "-w", "-t", "60", "-o", f"-p {state.port}"],
        check=False,
    )
    if result.returncode != 0:
        tail = _log_tail(files)
        raise LocalDbError(
            f"PostgreSQL did not start (see {files.log}): {tail or result.stderr.strip()}"
        )
    _wait_for_connections(state)
    _ensure_database(state)
    report(f"PostgreSQL {install.version} is running on 127.0.0.1:{state.port}")
    return state.url()


def _log_tail(files: ClusterFiles) -> str:
    try:
        lines = [ln for ln in files.log.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return ""
    return lines[-1] if lines else ""


def _wait_for_connections(state: ClusterState, seconds: float = 30) -> None:
    admin_url = state.url().rsplit("/", 1)[0] + "/postgres"
    deadline = time.monotonic() + seconds
    while True:
        try:
            with psycopg.connect(admin_url, connect_timeout=3):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def down(settings: Settings, report: Report = print) -> bool:
    """Stop the cluster, keeping its data. Returns whether it was running.

    Works without a readable ``cluster.json`` too (stopping needs no password; the version
    is read from the cluster), so a cluster whose state was lost or damaged can still be
    stopped and moved away, as the messages of ``up`` advise.
    """
    files = ClusterFiles(settings.home)
    if not files.home.is_dir():
        report(f"no cluster in {settings.home}")
        return False
    with cluster_lock(files, report, settings.db_lock_timeout_s):
        try:
            state = read_state(files)
        except LocalDbError:
            state = None
        version = state.version if state is not None else files.cluster_version()
        if version is None or not files.holds_cluster():
            report(f"no cluster in {settings.home}")
            return False
        install = find_postgres(settings.pg_bindir, version)
        os_user = state.os_user if state is not None else settings.db_os_user
        run_as = ensure_os_user(os_user, report) if os_user else RunAs(None)
        if not _pg_ctl_running(install, files, run_as):
            report("the cluster is not running")
            return False
        run_as.run([install.program("pg_ctl"), "stop", "-D", str(files.data), "-m", "fast", "-w"])
        report("the cluster is stopped; its data stays in " + str(files.data))
        return True


def status(settings: Settings) -> Status:
    files = ClusterFiles(settings.home)
    state = read_state(files)
    if state is None and files.holds_cluster():
        return _status_without_state(files)
    if state is None or not files.data.exists():
        return Status(False, settings.home, None, None, None, None)
    install = find_postgres(settings.pg_bindir, state.version)
    run_as = existing_os_user(state.os_user)
    running = _pg_ctl_running(install, files, run_as)
    pid = pid_in(files.pid_file) if running else None
    return Status(running, settings.home, state.port, state.version, pid, state.url())


def _status_without_state(files: ClusterFiles) -> Status:
    """A cluster whose cluster.json is gone may still be running: say so, from its pid file
    (pid, and port on the file's fourth line), rather than "no cluster"."""
    pid = pid_in(files.pid_file)
    running = pid is not None and is_our_postmaster(pid, files.data)
    port = None
    if running:
        with contextlib.suppress(OSError, IndexError, ValueError):
            port = int(files.pid_file.read_text().splitlines()[3])
    problem = (f"{files.state} is missing, so the cluster's password cannot be read back: "
               f"restore {files.state} from a backup, or stop the cluster (`hub db down`) and "
               f"move it away (`mv {files.data} {files.data}.old`)")
    return Status(running, files.home, port, files.cluster_version(), pid if running else None,
                  None, problem)


def url(settings: Settings) -> str:
    """The URL of the cluster, which must have been created (``hub db up``)."""
    state = read_state(ClusterFiles(settings.home))
    if state is None:
        raise LocalDbError(f"no cluster in {settings.home}: run `hub db up` first")
    return state.url()


def database_url(settings: Settings, report: Report = print) -> str:
    """The database the hub should use: HUB_DATABASE_URL, else the embedded cluster (started
    when needed)."""
    if settings.database_url:
        return settings.database_url
    return up(settings, report=report)


@contextlib.contextmanager
def throwaway_cluster(home: Path, report: Report = lambda _: None) -> Iterator[Settings]:
    """A cluster in ``home`` on its own free port for the length of the block (tests use it).

    Durability is traded for speed (fsync off): the data is thrown away afterwards.
    """
    settings = Settings(home=home, db_port=0)
    up(settings, report=report, conf={
        "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
    })
    try:
        yield settings
    finally:
        down(settings, report=report)
