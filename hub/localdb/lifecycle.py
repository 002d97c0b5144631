"""The embedded PostGIS cluster: ``hub db up | down | status | url``.

When HUB_DATABASE_URL is unset the hub keeps its own PostgreSQL cluster under HUB_HOME:
``initdb`` once, then ``pg_ctl`` to start and stop it on a localhost port. The tests start a
throwaway cluster through the very same functions, so what users run is what is tested.

Layout of HUB_HOME::

    cluster.json   port, password and owner of the cluster (mode 600)
    pg/data/       the PostgreSQL data folder
    pg/server.log  the server's log

PostgreSQL refuses to run as root. When the hub runs as root, every PostgreSQL program is
started as an unprivileged system user (HUB_DB_OS_USER, created when missing) that owns
``pg/``. Each failure a user can fix raises ``LocalDbError`` with one line naming the fix.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from hub.config import Settings

Report = Callable[[str], None]

_OWNER_ROLE = "hub"
_DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")


class LocalDbError(RuntimeError):
    """A problem with the embedded cluster; the message is one line that names the fix."""


@dataclass(frozen=True)
class PgInstall:
    """One PostgreSQL installation: where its programs and shared files are."""

    bindir: Path
    version: int
    sharedir: Path

    def program(self, name: str) -> str:
        return str(self.bindir / name)


@dataclass(frozen=True)
class ClusterFiles:
    """The paths of one cluster under its home folder."""

    home: Path

    @property
    def state(self) -> Path:
        return self.home / "cluster.json"

    @property
    def pg_dir(self) -> Path:
        return self.home / "pg"

    @property
    def data(self) -> Path:
        return self.pg_dir / "data"

    @property
    def log(self) -> Path:
        return self.pg_dir / "server.log"

    @property
    def pid_file(self) -> Path:
        return self.data / "postmaster.pid"


@dataclass
class ClusterState:
    """What ``cluster.json`` remembers between runs."""

    port: int
    password: str
    version: int
    os_user: str | None
    database: str

    def url(self) -> str:
        return (
            f"postgresql://{_OWNER_ROLE}:{self.password}@127.0.0.1:{self.port}/{self.database}"
        )


@dataclass(frozen=True)
class Status:
    running: bool
    home: Path
    port: int | None
    version: int | None
    pid: int | None
    url: str | None


# ---- finding PostgreSQL ------------------------------------------------------------------


def _version_of(bindir: Path) -> int:
    out = subprocess.run(
        [str(bindir / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    if not match:
        raise LocalDbError(f"cannot read the PostgreSQL version from {bindir}/postgres: {out!r}")
    return int(match.group(1))


def _sharedir_of(bindir: Path, version: int) -> Path:
    pg_config = bindir / "pg_config"
    if pg_config.exists():
        out = subprocess.run(
            [str(pg_config), "--sharedir"], capture_output=True, text=True, check=False
        )
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    return Path(f"/usr/share/postgresql/{version}")


def _candidate_bindirs() -> list[Path]:
    """Every bin folder that holds initdb, newest version first."""
    found: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            found.append(Path(out.stdout.strip()))
    if _DEBIAN_PG_ROOT.is_dir():
        versions = sorted(
            (p for p in _DEBIAN_PG_ROOT.iterdir() if p.name.isdigit()),
            key=lambda p: int(p.name),
            reverse=True,
        )
        found.extend(p / "bin" for p in versions)
    return [d for d in dict.fromkeys(found) if (d / "initdb").exists()]


def find_postgres(bindir: Path | None = None, version: int | None = None) -> PgInstall:
    """The PostgreSQL to use: the one asked for, else the one matching ``version``, else
    the newest (pg_config's, or the highest under /usr/lib/postgresql)."""
    if bindir is not None:
        if not (bindir / "initdb").exists():
            raise LocalDbError(
                f"HUB_PG_BINDIR={bindir} has no initdb: point it at PostgreSQL's bin folder"
            )
        candidates = [bindir]
    else:
        candidates = _candidate_bindirs()
    if not candidates:
        raise LocalDbError(
            "PostgreSQL is not installed: run `apt-get install postgresql postgresql-15-postgis-3` "
            "(or set HUB_PG_BINDIR, or HUB_DATABASE_URL for a server of your own)"
        )
    installs = [
        PgInstall(d, v, _sharedir_of(d, v)) for d in candidates for v in [_version_of(d)]
    ]
    if version is None:
        return max(installs, key=lambda i: i.version)
    for install in installs:
        if install.version == version:
            return install
    raise LocalDbError(
        f"the cluster was made with PostgreSQL {version}, which is not installed: "
        f"run `apt-get install postgresql-{version} postgresql-{version}-postgis-3`"
    )


def check_postgis(install: PgInstall) -> None:
    control = install.sharedir / "extension" / "postgis.control"
    if not control.exists():
        raise LocalDbError(
            f"PostGIS is not installed for PostgreSQL {install.version} (no {control}): "
            f"run `apt-get install postgresql-{install.version}-postgis-3`"
        )


# ---- running as an unprivileged user ------------------------------------------------------


@dataclass(frozen=True)
class RunAs:
    """Who runs PostgreSQL's programs: ourselves, or a system user when we are root."""

    user: str | None
    uid: int | None = None
    gid: int | None = None

    def run(
        self, cmd: list[str], *, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
        if self.user is not None:
            env["HOME"] = "/"
            env["USER"] = self.user
        result = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=env,
            cwd="/",
            user=self.uid,
            group=self.gid,
            extra_groups=[] if self.uid is not None else None,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            last = detail[-1] if detail else f"exit code {result.returncode}"
            raise LocalDbError(f"{Path(cmd[0]).name} failed: {last}")
        return result


def _ensure_os_user(name: str, report: Report) -> RunAs:
    """As root, the system user to run PostgreSQL as (created when missing)."""
    if os.geteuid() != 0:
        return RunAs(None)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        subprocess.run(
            [useradd, "--system", "--user-group", "--no-create-home",
             "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
            check=True, capture_output=True,
        )
        report(f"created system user {name!r} to run PostgreSQL")
        entry = pwd.getpwnam(name)
    return RunAs(name, entry.pw_uid, entry.pw_gid)


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


# ---- state and ports ---------------------------------------------------------------------


def _read_state(files: ClusterFiles) -> ClusterState | None:
    if not files.state.exists():
        return None
    raw = json.loads(files.state.read_text())
    return ClusterState(**raw)


def _write_state(files: ClusterFiles, state: ClusterState) -> None:
    tmp = files.state.with_suffix(".tmp")
    tmp.write_text(json.dumps(state.__dict__, indent=2))
    os.chmod(tmp, 0o600)
    tmp.replace(files.state)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


# ---- the pid file ------------------------------------------------------------------------


def _pid_in(pid_file: Path) -> int | None:
    try:
        first = pid_file.read_text().splitlines()[0]
        return int(first.strip())
    except (OSError, IndexError, ValueError):
        return None


def _is_our_postmaster(pid: int, data_dir: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    words = [w.decode(errors="replace") for w in cmdline if w]
    return bool(words) and Path(words[0]).name in {"postgres", "postmaster"} and (
        str(data_dir) in words
    )


def _check_pid_file(files: ClusterFiles) -> None:
    """Refuse a pid file that names a live process other than this cluster's server.

    PostgreSQL itself replaces a pid file whose process is gone; what it cannot tell apart
    is a pid reused by another program (common after a reboot), which it reports in a way
    that does not say what to do.
    """
    pid = _pid_in(files.pid_file)
    if pid is None or not Path(f"/proc/{pid}").exists():
        return
    if not _is_our_postmaster(pid, files.data):
        raise LocalDbError(
            f"stale pid file {files.pid_file}: process {pid} is not this cluster's server; "
            f"remove the file (rm {files.pid_file}) and run `hub db up` again"
        )


# ---- up, down, status --------------------------------------------------------------------


def _initdb(
    install: PgInstall, files: ClusterFiles, run_as: RunAs, password: str, conf: dict[str, str]
) -> None:
    pwfile = files.pg_dir / "initdb.pw"
    pwfile.write_text(password + "\n")
    os.chmod(pwfile, 0o600)
    if run_as.uid is not None and run_as.gid is not None:
        os.chown(pwfile, run_as.uid, run_as.gid)
    try:
        run_as.run([
            install.program("initdb"), "-D", str(files.data), "-U", _OWNER_ROLE,
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
    if not _port_taken(wanted):
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

    Harmless when it is already running. ``conf`` adds postgresql.conf settings when the
    cluster is first created (the tests turn fsync off this way).
    """
    files = ClusterFiles(settings.home)
    state = _read_state(files)
    version = state.version if state and (files.data / "PG_VERSION").exists() else None
    install = find_postgres(settings.pg_bindir, version)
    check_postgis(install)
    run_as = _ensure_os_user(settings.db_os_user, report)
    _prepare_dirs(files, run_as)
    if run_as.user is not None:
        report(f"running PostgreSQL as system user {run_as.user!r}: it refuses to run as root")

    if state is None or not (files.data / "PG_VERSION").exists():
        state = ClusterState(
            port=settings.db_port or free_port(),
            password=secrets.token_urlsafe(24),
            version=install.version,
            os_user=run_as.user,
            database=settings.db_name,
        )
        if files.data.exists():
            shutil.rmtree(files.data)
        report(f"creating a PostgreSQL {install.version} cluster in {files.data}")
        _initdb(install, files, run_as, state.password, conf or {})
        _write_state(files, state)

    if _pg_ctl_running(install, files, run_as):
        _ensure_database(state)
        return state.url()

    _check_pid_file(files)
    state.port = _choose_port(settings, state, report)
    _write_state(files, state)
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
    """Stop the cluster, keeping its data. Returns whether it was running."""
    files = ClusterFiles(settings.home)
    state = _read_state(files)
    if state is None or not files.data.exists():
        report(f"no cluster in {settings.home}")
        return False
    install = find_postgres(settings.pg_bindir, state.version)
    run_as = _ensure_os_user(state.os_user, report) if state.os_user else RunAs(None)
    if not _pg_ctl_running(install, files, run_as):
        report("the cluster is not running")
        return False
    run_as.run([install.program("pg_ctl"), "stop", "-D", str(files.data), "-m", "fast", "-w"])
    report("the cluster is stopped; its data stays in " + str(files.data))
    return True


def status(settings: Settings) -> Status:
    files = ClusterFiles(settings.home)
    state = _read_state(files)
    if state is None or not files.data.exists():
        return Status(False, settings.home, None, None, None, None)
    install = find_postgres(settings.pg_bindir, state.version)
    run_as = RunAs(None)
    if state.os_user and os.geteuid() == 0:
        entry = pwd.getpwnam(state.os_user)
        run_as = RunAs(state.os_user, entry.pw_uid, entry.pw_gid)
    running = _pg_ctl_running(install, files, run_as)
    pid = _pid_in(files.pid_file) if running else None
    return Status(running, settings.home, state.port, state.version, pid, state.url())


def url(settings: Settings) -> str:
    """The URL of the cluster, which must have been created (``hub db up``)."""
    state = _read_state(ClusterFiles(settings.home))
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
