"""Every setting of the hub, read from environment variables (``HUB_*``) in one place.

Nothing else in the package reads ``os.environ`` for a setting: a module that needs one takes
a ``Settings`` (usually from ``get_settings()``), so tests can hand in their own. Parsing and
checking are pydantic-settings' job; a bad value is a ``SettingsError`` naming the variable,
which the command line prints as one line (never a ``SystemExit`` from here).
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

#: The project root, one level above the package (a checkout: ../shared lies beside it).
PROJECT_ROOT = Path(__file__).resolve().parent.parent

#: The boundary files of ../shared/geodata, by the name HUB_BOUNDARIES takes.
BOUNDARY_FILES = {
    "full": "hokkaido_municipalities_full.geojson",
    "simplified": "hokkaido_municipalities.geojson",
}

#: The population tables of ../shared/geodata, by the name HUB_POPULATION takes.
POPULATION_FILES = {
    "registry": "hokkaido_population.csv",
    "census": "hokkaido_population_census2025_preliminary.csv",
}


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


def _alias(name: str) -> AliasChoices:
    """Settings whose variable is not HUB_ + the field name still take the field name in
    code (``Settings(geodata_dir=...)``)."""
    return AliasChoices(name, name.lower().removeprefix("hub_"))


class SettingsError(ValueError):
    """A setting with a value the hub cannot use; the message names the variable."""


class Settings(BaseSettings):
    """The hub's configuration: ``Settings()`` reads the environment; keyword arguments win."""

    model_config = SettingsConfigDict(
        env_prefix="HUB_", env_ignore_empty=True, frozen=True, populate_by_name=True,
        extra="ignore",
    )

    # --- the database -----------------------------------------------------------------------
    #: Any PostGIS database; when None the embedded cluster under ``home`` is used.
    database_url: str | None = None
    #: A read replica (a streaming standby of the same database): when set, the API's
    #: queries read from it; mutations, subscriptions, requests carrying a token, writes,
    #: migrations, loads and the OGC API stay on the primary (HUB_DATABASE_URL or the
    #: embedded cluster).
    database_read_url: str | None = None
    #: Folder of the embedded cluster (data, log, its connection details).
    home: Path = Field(default_factory=_default_home)
    #: Folder with PostgreSQL's initdb/pg_ctl; None means look for the newest install.
    pg_bindir: Path | None = None
    #: Port of the embedded cluster; 0 picks a free one on first start and keeps it.
    db_port: int = Field(default=0, ge=0, le=65535)
    #: Operating-system user that runs the embedded cluster when the hub runs as root.
    db_os_user: str = "postgres"
    #: Name of the database and its owner role in the embedded cluster.
    db_name: str = "hub"
    #: How long ``hub db up``/``down`` waits for another one on the same cluster (its file
    #: lock): longer than one ``up`` may take (initdb, plus 60 s for the server to start).
    db_lock_timeout_s: float = Field(default=180.0, gt=0)
    #: How long a migration (``hub db migrate``, ``hub serve`` at start) waits for another
    #: one on the same database before it gives up with an error saying so.
    migration_lock_timeout_s: float = Field(default=300.0, gt=0)
    #: Every database statement is cancelled after this long.
    statement_timeout_ms: int = Field(default=15_000, gt=0)

    # --- the server -------------------------------------------------------------------------
    #: Where ``hub serve`` listens.
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    #: Origins whose browser pages may call the API (CORS); "*" lets any map frontend in.
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ("*",)

    # --- the connection pool of each server process -----------------------------------------
    #: Connections the server keeps to the database.
    pool_min: int = Field(default=2, ge=0)
    pool_max: int = Field(default=16, ge=1)
    #: How long a request waits for a free connection before it is answered UNAVAILABLE.
    pool_timeout_s: float = Field(default=5.0, gt=0)
    #: Requests that may wait for a connection at once; one more is UNAVAILABLE at once
    #: (a bounded queue keeps a saturated server answering instead of piling up work).
    pool_max_waiting: int = Field(default=64, ge=1)
    #: Connections for writes (mutations), beside the read pool: writes are few, and each
    #: holds its connection for one transaction in a worker thread.
    write_pool_max: int = Field(default=2, ge=1)
    #: A lost connection is retried with growing pauses for this long, then afresh on the
    #: next request: it bounds how long the pool takes to notice that PostgreSQL is back.
    pool_reconnect_s: float = Field(default=10.0, gt=0)
    #: A new connection that takes longer fails and is retried, so a server that drops
    #: packets does not hold up the pool's reconnection (libpq connect_timeout, seconds).
    pool_connect_timeout_s: int = Field(default=5, ge=1)
    #: How long /ready waits for a connection before it reports the database unavailable.
    ready_timeout_s: float = Field(default=2.0, gt=0)
    #: The Retry-After (seconds) of a 503 answer: the database is down or the pool is full.
    retry_after_s: int = Field(default=5, ge=1)

    # --- metrics (/metrics, Prometheus) -------------------------------------------------------
    #: Serve /metrics and count requests; false: neither (no route, no middleware).
    metrics: bool = True
    #: Addresses or networks (CIDR, comma-separated) whose clients may read /metrics; empty:
    #: any client. Behind a proxy the client is the proxy: restrict it there as well.
    metrics_allow: Annotated[tuple[str, ...], NoDecode] = ()
    #: Distinct GraphQL operation names each process gives a series of their own; later
    #: names are counted as "other" (names come from clients, series cost memory).
    metrics_max_operations: int = Field(default=200, ge=0)
    #: How often (seconds) each process updates its pool and replica-lag gauges between
    #: scrapes (a scrape also updates those of the process answering it).
    metrics_refresh_s: float = Field(default=5.0, gt=0)

    # --- the OGC API (/ogc, tipg) -------------------------------------------------------------
    #: Connections of the OGC API's own pool (asyncpg, tipg's driver) per server process,
    #: beside the GraphQL read pool; opened on the first /ogc request.
    ogc_pool_max: int = Field(default=4, ge=1)
    #: Most features one /ogc request may return: an items page (``limit``) or a tile.
    ogc_max_features: int = Field(default=10_000, gt=0)
    #: Deepest nesting of brackets in a CQL2 filter of /ogc (the CQL2 parser recurses on
    #: them in the native stack, which a few thousand levels overflow).
    ogc_max_filter_depth: int = Field(default=50, gt=0, le=500)

    # --- request limits ---------------------------------------------------------------------
    #: Largest request body in bytes; a larger one is refused with HTTP 413 while it is read.
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    #: Longest string argument (characters), e.g. a ``text`` filter or a code.
    max_string_length: int = Field(default=1_000, gt=0)
    #: Most items in a list argument (``services``, ``facilityIds``, ``addSites``, ...).
    max_list_length: int = Field(default=100, gt=0)
    #: Most positions in a GeoJSON argument (the ``within`` polygon of a filter).
    max_polygon_vertices: int = Field(default=10_000, gt=0)
    #: Longest cursor (``after``); the hub's own are far shorter.
    max_cursor_length: int = Field(default=200, gt=0)
    #: Deepest field nesting of an operation (root fields are at depth 0).
    max_query_depth: int = Field(default=12, gt=0)
    #: Most aliased fields in a document.
    max_aliases: int = Field(default=30, gt=0)
    #: Most lexical tokens in a document.
    max_tokens: int = Field(default=5_000, gt=0)
    #: Highest estimated cost of an operation (each field once per object it is asked of;
    #: a geometry weighs 100 (boundary) or 500 (service area) at full resolution).
    max_query_cost: int = Field(default=100_000, gt=0)
    #: Most distinct geometry variants (field and simplifyMeters) in one operation; each
    #: is a statement of its own that holds a pool connection.
    max_geometry_variants: int = Field(default=4, gt=0)
    #: A request still running after this long is stopped and its statements cancelled.
    request_timeout_ms: int = Field(default=20_000, gt=0)
    #: Query texts longer than this (characters) are parsed and validated every time
    #: instead of being kept in the caches.
    max_cached_query_length: int = Field(default=10_000, gt=0)
    #: Entries of the parse cache and of the validation cache each (and of the compiled
    #: path's plans).
    query_cache_size: int = Field(default=512, gt=0)
    #: Answer the queries it can with one SQL statement that builds the JSON in PostgreSQL
    #: (hub.graphql.compiled); false: every operation goes through the Strawberry executor.
    compiled_queries: bool = True
    #: Answers at least this large (bytes) are gzipped for clients that accept it; 0: never.
    gzip_min_bytes: int = Field(default=2048, ge=0)

    # --- persisted queries and HTTP caching of /graphql ---------------------------------------
    #: Longest query text (characters) that may be registered as an automatic persisted
    #: query; at the parse cache's bound by default, so a registered text is parsed once.
    max_persisted_query_length: int = Field(default=10_000, gt=0)
    #: Registered query texts each process keeps in memory in front of the table
    #: ``persisted_query`` (least recently used go first).
    persisted_query_cache_size: int = Field(default=1_000, gt=0)
    #: How long (seconds) browsers and proxies may reuse the answer of a GET to /graphql
    #: without asking again (Cache-Control max-age); after that an If-None-Match gets a 304
    #: when the answer is the same. 0: they must ask every time (no-cache).
    graphql_max_age_s: int = Field(default=60, ge=0)

    # --- bulk import (hub import facilities, importFacilities) -------------------------------
    #: Largest file an import reads, in bytes; a larger one is refused before it is decoded.
    max_import_bytes: int = Field(default=20_000_000, gt=0)
    #: The longest date range of consultationSessions, events and eventConflicts (days).
    max_calendar_days: int = Field(default=366, gt=0)
    #: The widest eventConflicts windowDays.
    max_event_window_days: int = Field(default=366, ge=0)
    #: Most rows (CSV) or features (GeoJSON) of one import: a file is one transaction, and
    #: its rows hold their facilities' locks until it ends.
    max_import_rows: int = Field(default=10_000, gt=0)

    # --- open-data exports (/export/facilities.csv|.geojson, hub export facilities) ---------
    #: Most facilities one export may hold; a request for more is refused before anything is
    #: written (narrow it with a filter). Exports stream in batches, so memory stays flat
    #: whatever this is; it bounds time and bytes: 100,000 are about 20 s and 20 MB of CSV
    #: or 125 MB of GeoJSON (benchmarks/export.py), any real list of Hokkaido's facilities
    #: many times over. The synthetic 1,000,000 need HUB_MAX_EXPORT_ROWS=1000000.
    max_export_rows: int = Field(default=100_000, gt=0)
    #: The GeoJSON export's service areas are simplified so that no vertex moves farther
    #: than this (metres; islands smaller than it drop out): the areas of all Hokkaido have
    #: 244,330 vertices each at full resolution (GraphQL and /ogc serve those). 0 keeps them
    #: whole.
    export_simplify_meters: float = Field(default=500.0, ge=0)

    # --- vector tiles (/tiles) ----------------------------------------------------------------
    #: The deepest zoom the tile routes serve (TileJSON maxzoom; a map zooms the last tiles
    #: in further by itself). A deeper z is refused with HTTP 400.
    tile_max_zoom: int = Field(default=16, ge=0, le=24)
    #: How long (seconds) browsers and proxies may use a tile without asking again
    #: (Cache-Control max-age); after that a request with If-None-Match costs one small
    #: statement and a 304 when the data has not changed.
    tile_max_age_s: int = Field(default=300, ge=0)
    #: Coverage results kept for the municipalities layer (one per data version, filter and
    #: distance), so that the tiles of one map view compute coverage once.
    tile_coverage_cache_size: int = Field(default=32, ge=1)
    # --- the web map (/) and the front-end packages ------------------------------------------
    #: An XYZ raster tile URL drawn under the hub's own municipal tiles (e.g. an office's
    #: tile server, with {z}, {x} and {y}); unset: no basemap, so the map needs nothing
    #: beyond the hub.
    basemap_url: str | None = None
    #: The credit the basemap's terms require, shown in the map's attribution.
    basemap_attribution: str | None = None
    #: The npm registry ``python -m hub.web_assets`` (scripts/setup) fetches MapLibre and
    #: GraphiQL from; an office mirror of it works the same.
    npm_registry: str = "https://registry.npmjs.org"
    #: How long one tarball download may take (seconds).
    npm_timeout_s: float = Field(default=120.0, gt=0)

    # --- data -------------------------------------------------------------------------------
    #: The folder with the municipal boundaries and population (../shared/geodata).
    geodata_dir: Path = Field(default=PROJECT_ROOT.parent / "shared" / "geodata",
                              validation_alias=_alias("HUB_GEODATA"))
    #: Which boundary file to load: "full" (N03 within 1 m, 17.6 MB: analysis deserves the
    #: real borders) or "simplified" (7 % of the vertices, borders shared without gaps,
    #: 2.6 MB: loads, unions and serves several times faster on a small machine).
    boundary_resolution: Literal["full", "simplified"] = Field(
        default="full", validation_alias=_alias("HUB_BOUNDARIES"))
    #: Which population table to load: "registry" (住民基本台帳 2025-01-01, the default) or
    #: "census" (2025 census, preliminary count).
    population_table: Literal["registry", "census"] = Field(
        default="registry", validation_alias=_alias("HUB_POPULATION"))

    @field_validator("cors_origins", "metrics_allow", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(o.strip() for o in value.split(",") if o.strip())
        return value

    @field_validator("metrics_allow", mode="after")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(f"{network!r} is not an address or a network (CIDR)") from None
        return value

    @field_validator("basemap_url", mode="after")
    @classmethod
    def _xyz_template(cls, value: str | None) -> str | None:
        if value is not None:
            if not value.startswith(("http://", "https://")):
                raise ValueError("must be an http(s) URL")
            absent = [p for p in ("{z}", "{x}", "{y}") if p not in value]
            if absent:
                raise ValueError(f"must be an XYZ tile URL; it lacks {', '.join(absent)}")
        return value

    @field_validator("home", "pg_bindir", "geodata_dir", mode="after")
    @classmethod
    def _expand_user(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @model_validator(mode="after")
    def _pool_bounds(self) -> Self:
        if self.pool_min > self.pool_max:
            raise ValueError(f"HUB_POOL_MIN ({self.pool_min}) must not exceed HUB_POOL_MAX "
                             f"({self.pool_max})")
        return self

    def boundaries_file(self) -> Path:
        return self.geodata_dir / BOUNDARY_FILES[self.boundary_resolution]

    def population_file(self) -> Path:
        return self.geodata_dir / POPULATION_FILES[self.population_table]

    @classmethod
    def from_env(cls) -> Settings:
        """The settings of the environment, or a SettingsError naming each bad variable."""
        try:
            return cls()
        except ValidationError as exc:
            raise SettingsError(describe(exc)) from None


def _variable(field: str) -> str:
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info else None
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    return f"HUB_{field.upper()}"


def describe(exc: ValidationError) -> str:
    """One line per bad setting, in the words of the environment (HUB_PORT='eighty': ...)."""
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        value = error.get("input")
        if loc:
            name = _variable(loc[0])
            shown = f"={value!r}" if isinstance(value, str | int | float) else ""
            lines.append(f"{name}{shown}: {error['msg']}")
        else:
            lines.append(error["msg"].removeprefix("Value error, "))
    return "; ".join(lines)


def get_settings() -> Settings:
    return Settings.from_env()
