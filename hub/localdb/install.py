"""Finding the PostgreSQL installation to run, and checking that PostGIS is there for it."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hub.localdb.errors import LocalDbError

_DEBIAN_PG_ROOT = Path("/usr/lib/postgresql")


@dataclass(frozen=True)
class PgInstall:
    """One PostgreSQL installation: where its programs and shared files are."""

    bindir: Path
    version: int
    sharedir: Path

    def program(self, name: str) -> str:
        return str(self.bindir / name)


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
    """Fail before anything is created: a cluster without PostGIS is of no use to the hub."""
    control = install.sharedir / "extension" / "postgis.control"
    if not control.exists():
        raise LocalDbError(
            f"PostGIS is not installed for PostgreSQL {install.version} (no {control}): "
            f"run `apt-get install postgresql-{install.version}-postgis-3`"
        )
