"""Every setting of the hub, read from environment variables in one place.

Nothing else in the package reads ``os.environ``: a module that needs a setting takes a
``Settings`` (usually from ``get_settings()``), so tests can hand in their own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

#: The project root, one level above the package; the seed set and migrations live here.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_home() -> Path:
    """Where the embedded cluster lives when HUB_HOME is unset.

    Root gets a system location because PostgreSQL runs as an unprivileged user, who
    must be able to reach the data folder (``/root`` is closed to other users).
    """
    if os.geteuid() == 0:
        return Path("/var/lib/hub")
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "hub"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name}={raw!r} is not a whole number") from exc


def _path(name: str) -> Path | None:
    raw = os.environ.get(name, "").strip()
    return Path(raw).expanduser() if raw else None


@dataclass(frozen=True)
class Settings:
    """The hub's configuration; build one with ``Settings.from_env()``."""

    #: Any PostGIS database; when None the embedded cluster under ``home`` is used.
    database_url: str | None = None
    #: Folder of the embedded cluster (data, log, its connection details).
    home: Path = field(default_factory=_default_home)
    #: Folder with PostgreSQL's initdb/pg_ctl; None means look for the newest install.
    pg_bindir: Path | None = None
    #: Port of the embedded cluster; 0 picks a free one on first start and keeps it.
    db_port: int = 0
    #: Operating-system user that runs the embedded cluster when the hub runs as root.
    db_os_user: str = "postgres"
    #: Name of the database and its owner role in the embedded cluster.
    db_name: str = "hub"
    #: Where ``hub serve`` listens.
    host: str = "127.0.0.1"
    port: int = 8000
    #: Every database statement is cancelled after this long.
    statement_timeout_ms: int = 15_000
    #: The folder with the municipal boundaries and population (../shared/geodata).
    geodata_dir: Path = PROJECT_ROOT.parent / "shared" / "geodata"
    #: Serve only the synthetic facilities of ``hub dev synth`` instead of the real ones: for
    #: benchmark servers. The two kinds never appear in one answer.
    serve_synthetic: bool = False
    #: Origins whose browser pages may call the API (CORS); "*" lets any map frontend in.
    cors_origins: tuple[str, ...] = ("*",)
    #: Connections the server keeps to the database.
    pool_min: int = 2
    pool_max: int = 16
    #: Which population table to load: "registry" (住民基本台帳 2025-01-01, the default) or
    #: "census" (2025 census, preliminary count).
    population_table: str = "registry"

    def boundaries_file(self) -> Path:
        """Full resolution by default: analysis deserves the real borders."""
        return self.geodata_dir / "hokkaido_municipalities_full.geojson"

    def population_file(self) -> Path:
        names = {
            "registry": "hokkaido_population.csv",
            "census": "hokkaido_population_census2025_preliminary.csv",
        }
        if self.population_table not in names:
            raise SystemExit(
                f"HUB_POPULATION={self.population_table!r}: expected one of {', '.join(names)}"
            )
        return self.geodata_dir / names[self.population_table]

    @classmethod
    def from_env(cls) -> Settings:
        defaults = cls()
        return cls(
            database_url=os.environ.get("HUB_DATABASE_URL") or None,
            home=_path("HUB_HOME") or defaults.home,
            pg_bindir=_path("HUB_PG_BINDIR"),
            db_port=_int("HUB_DB_PORT", defaults.db_port),
            db_os_user=os.environ.get("HUB_DB_OS_USER") or defaults.db_os_user,
            db_name=os.environ.get("HUB_DB_NAME") or defaults.db_name,
            host=os.environ.get("HUB_HOST") or defaults.host,
            port=_int("HUB_PORT", defaults.port),
            statement_timeout_ms=_int("HUB_STATEMENT_TIMEOUT_MS", defaults.statement_timeout_ms),
            geodata_dir=_path("HUB_GEODATA") or defaults.geodata_dir,
            population_table=os.environ.get("HUB_POPULATION") or defaults.population_table,
            serve_synthetic=os.environ.get("HUB_SERVE_SYNTHETIC", "").lower()
            in ("1", "true", "yes"),
            cors_origins=tuple(
                o.strip() for o in os.environ.get("HUB_CORS_ORIGINS", "*").split(",") if o.strip()
            ),
            pool_min=_int("HUB_POOL_MIN", defaults.pool_min),
            pool_max=_int("HUB_POOL_MAX", defaults.pool_max),
        )


def get_settings() -> Settings:
    return Settings.from_env()
