"""Shared fixtures: one throwaway PostGIS cluster for the whole session, started through the
same ``hub.localdb`` code that ``hub db up`` uses, migrated to head; each test that touches
the database gets a connection inside a transaction that is rolled back afterwards."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, Engine

from hub import localdb
from hub.config import Settings
from hub.db import migrate
from hub.db.engine import make_engine


def make_cluster_home(prefix: str = "hub-test-") -> Path:
    """A fresh folder for a cluster, directly under /tmp.

    Not pytest's tmp_path: that lies in a folder only root may enter, and the cluster's
    system user must reach its data.
    """
    return Path(tempfile.mkdtemp(prefix=prefix))


@pytest.fixture(scope="session")
def cluster() -> Iterator[Settings]:
    home = make_cluster_home()
    try:
        with localdb.throwaway_cluster(home) as settings:
            yield settings
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(cluster: Settings) -> str:
    return localdb.url(cluster)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Connection]:
    """A connection whose every change is rolled back when the test ends."""
    with engine.connect() as conn:
        trans = conn.begin()
        try:
            yield conn
        finally:
            trans.rollback()


GEODATA = Settings().geodata_dir


@pytest.fixture(scope="session")
def geodata_loaded(engine: Engine) -> Engine:
    """The session database with the real boundaries (full resolution) and the default
    population table of ../shared/geodata, committed: tests only read them."""
    from hub.services.loading.boundaries import load_boundaries
    from hub.services.loading.population import load_population

    with engine.begin() as conn:
        load_boundaries(conn, GEODATA / "hokkaido_municipalities_full.geojson")
    with engine.begin() as conn:
        load_population(conn, GEODATA / "hokkaido_population.csv")
    return engine


@pytest.fixture(scope="session")
def seed_loaded(geodata_loaded: Engine) -> Engine:
    """The session database with the real geography and the whole seed data set."""
    from hub.services.loading.seed import load_seed

    load_seed(geodata_loaded)
    return geodata_loaded


@dataclass
class LiveServer:
    """The hub's real ASGI app under uvicorn on a free localhost port, in this process (so a
    test can read the app's statement counter)."""

    url: str
    app: Any

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = httpx.post(self.url + "/graphql",
                              json={"query": query, "variables": variables or {}}, timeout=60)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = self.graphql(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    @property
    def statements(self) -> int:
        return int(self.app.state.db.statements)


@contextlib.contextmanager
def live_server(database_url: str, settings: Settings | None = None) -> Iterator[LiveServer]:
    import threading
    import time

    import uvicorn

    from hub.api.app import create_app

    app = create_app(database_url, settings)
    port = localdb.free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def server(seed_loaded: Engine, database_url: str) -> Iterator[LiveServer]:
    """The hub serving the real data set."""
    with live_server(database_url) as live:
        yield live


SYNTHETIC_COUNT = 150


@pytest.fixture(scope="session")
def synthetic_database_url(database_url: str) -> str:
    """A database of its own beside the session's, with SYNTHETIC_COUNT synthetic facilities
    and nothing real, made by the code behind ``hub dev synth`` (on the simplified
    boundaries: the synthetic tests are about answers and statements, not borders)."""
    from hub.db.databases import ensure_database
    from hub.services.loading import synth

    url = ensure_database(database_url, "hub_synthetic")
    eng = make_engine(url)
    try:
        synth.prepare(eng, GEODATA / "hokkaido_municipalities.geojson",
                      GEODATA / "hokkaido_population.csv")
        with eng.begin() as conn:
            synth.create(conn, SYNTHETIC_COUNT, seed=3)
    finally:
        eng.dispose()
    return url


@pytest.fixture(scope="session")
def synthetic_engine(synthetic_database_url: str) -> Iterator[Engine]:
    eng = make_engine(synthetic_database_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def synthetic_server(synthetic_database_url: str) -> Iterator[LiveServer]:
    """The hub pointed at the synthetic database, as a benchmark server is."""
    with live_server(synthetic_database_url) as live:
        yield live
