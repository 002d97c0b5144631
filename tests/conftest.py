"""Shared fixtures: one throwaway PostGIS cluster for the whole session, started through the
same ``hub.localdb`` code that ``hub db up`` uses, migrated to head; each test that touches
the database gets a connection inside a transaction that is rolled back afterwards.

The session database holds the real data at full resolution, loaded once; tests only read
it. A test that writes (a load, a change of the seed set) gets a database of its own, cloned
in a fraction of a second from a template that holds the simplified boundaries, the
population and the seed set: loading the seed set again there takes a second, on the full
boundaries half a minute. The source files are parsed once per session (``features``,
``shapes``)."""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import shapely
from psycopg import sql
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url

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
FULL_BOUNDARIES = GEODATA / "hokkaido_municipalities_full.geojson"
SIMPLIFIED_BOUNDARIES = GEODATA / "hokkaido_municipalities.geojson"
POPULATION = GEODATA / "hokkaido_population.csv"


@functools.cache
def features(path: Path) -> tuple[dict[str, Any], ...]:
    """The features of a boundary file, parsed once per session (the full file takes
    seconds); callers only read them."""
    return tuple(json.loads(path.read_text())["features"])


@functools.cache
def shapes(path: Path) -> dict[str, BaseGeometry]:
    """The geometry of each feature of a boundary file by code, plus Sapporo (01100) as the
    union of its wards, as the loader forms it; parsed once per session, only read."""
    by_code = {f["properties"]["code"]: shape(f["geometry"]) for f in features(path)}
    wards = [g for code, g in by_code.items() if code.startswith("011") and code != "01100"]
    by_code["01100"] = shapely.union_all(wards)
    return by_code


@pytest.fixture(scope="session")
def geodata_loaded(engine: Engine) -> Engine:
    """The session database with the real boundaries (full resolution) and the default
    population table of ../shared/geodata, committed: tests only read them."""
    from hub.services.loading.boundaries import load_boundaries
    from hub.services.loading.population import load_population

    with engine.begin() as conn:
        load_boundaries(conn, FULL_BOUNDARIES)
    with engine.begin() as conn:
        load_population(conn, POPULATION)
    return engine


@pytest.fixture(scope="session")
def seed_loaded(geodata_loaded: Engine) -> Engine:
    """The session database with the real geography and the whole seed data set."""
    from hub.services.loading.seed import load_seed

    load_seed(geodata_loaded)
    return geodata_loaded


def _admin(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


def url_of(url: str, database: str) -> str:
    """``url`` with another database name."""
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def create_database(url: str, name: str, template: str | None = None) -> str:
    """A new database ``name`` on the server of ``url`` (replacing one of that name), empty
    or a copy of ``template``; returns its URL."""
    with psycopg.connect(_admin(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        conn.execute(statement)
    return url_of(url, name)


def drop_database(url: str, name: str) -> None:
    with psycopg.connect(_admin(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


SEEDED_TEMPLATE = "hub_template_seeded"


@pytest.fixture(scope="session")
def seeded_template(database_url: str) -> str:
    """The name of a database that nobody connects to once it is made: migrated, with the
    simplified boundaries, the default population table and the seed set. Databases of
    their own are copied from it (CREATE DATABASE ... TEMPLATE needs it idle)."""
    from hub.services.loading import load_all

    eng = make_engine(create_database(database_url, SEEDED_TEMPLATE))
    try:
        migrate.upgrade(eng)
        load_all.load(eng, boundaries=SIMPLIFIED_BOUNDARIES, population=POPULATION, seed=True,
                      actor="tests")
    finally:
        eng.dispose()
    return SEEDED_TEMPLATE


def make_tokens(engine: Engine, prefix: str,
                tokens_wanted: list[tuple[str, str, str | None, list[str]]]) -> dict[str, str]:
    """API tokens (label, role, operator code, scopes), named ``prefix-label``, made by the
    code behind ``hub token create``; their secrets by label."""
    from hub.services import tokens

    secrets: dict[str, str] = {}
    with engine.begin() as conn:
        for label, role, operator, scopes in tokens_wanted:
            _, secrets[label] = tokens.create(conn, role, operator, scopes, f"{prefix}-{label}")
    return secrets


_copies = itertools.count(1)


@pytest.fixture
def seeded_copy_url(database_url: str, seeded_template: str) -> Iterator[str]:
    """The URL of a database of this test's own, a copy of the seeded template (simplified
    boundaries, population, seed set), dropped afterwards: the test may write anything."""
    name = f"hub_copy_{next(_copies)}"
    url = create_database(database_url, name, template=seeded_template)
    yield url
    drop_database(database_url, name)


@pytest.fixture
def seeded_copy(seeded_copy_url: str) -> Iterator[Engine]:
    """An engine on this test's own copy of the seeded template."""
    eng = make_engine(seeded_copy_url)
    yield eng
    eng.dispose()


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

    def facility_nodes(self, fields: str, flt: dict[str, Any] | None = None,
                       page: int = 10) -> list[dict[str, Any]]:
        """Every facility matching ``flt`` with ``fields``, page by page: a page of
        full-resolution service areas costs what the request limits allow, 10 at a time."""
        query = ("query ($filter: FacilityFilter, $first: Int, $after: String) { facilities("
                 "filter: $filter, first: $first, after: $after) { pageInfo { hasNextPage "
                 "endCursor } edges { node { " + fields + " } } } }")
        nodes: list[dict[str, Any]] = []
        after = None
        while True:
            found = self.data(query, {"filter": flt, "first": page, "after": after})
            nodes += [e["node"] for e in found["facilities"]["edges"]]
            if not found["facilities"]["pageInfo"]["hasNextPage"]:
                return nodes
            after = found["facilities"]["pageInfo"]["endCursor"]

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
        synth.prepare(eng, SIMPLIFIED_BOUNDARIES, POPULATION)
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


# ---- running in parallel ------------------------------------------------------------------
#
# pytest-xdist runs the test files on one worker per core (pyproject's addopts), each worker
# with a cluster of its own. What the workers share, such as the wheel below, lives in one
# folder the controlling process makes before the workers start (they inherit the
# environment) and removes after they have all finished.

SHARED_ENV = "_HUB_TESTS_SHARED_DIR"


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """One worker per core, at most four: each worker starts a cluster and loads the full
    boundaries, so more workers mostly repeat that."""
    return max(1, min(os.cpu_count() or 1, 4))


def pytest_configure(config: pytest.Config) -> None:
    if not _is_worker(config):
        os.environ[SHARED_ENV] = tempfile.mkdtemp(prefix="hub-tests-")


def shared_dir() -> Path:
    return Path(os.environ[SHARED_ENV])


# ---- a wheel of this checkout in a fresh virtualenv, made while the other tests run --------

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class InstalledWheel:
    wheel: Path
    venv: Path


class WheelBuild:
    """Builds a wheel of this checkout and installs it, with its dependencies at the pinned
    versions, into a new virtualenv (no system site packages), in a thread: pip spends most
    of a minute downloading and unpacking, which overlaps with the database loads of the
    tests that run meanwhile.

    One process builds it, whichever claims the folder first; the result (or the error) is
    written to a file there that every process waits for."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.done = work / "done.json"
        self._thread: threading.Thread | None = None
        with contextlib.suppress(FileExistsError):
            work.mkdir()
            self._thread = threading.Thread(target=self._run, name="wheel-build", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            dist, venv = self.work / "dist", self.work / "venv"
            _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", str(ROOT),
                  "-w", str(dist)], timeout=300)
            wheel = next(dist.glob("hub-*.whl"))
            # Without pip inside: the outer pip installs into it (--python), which spares
            # ensurepip; what the hub needs comes from the wheel's own requirements.
            _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], timeout=120)
            _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                  "install", "-q", "--no-compile", "-c", str(ROOT / "constraints.txt"),
                  str(wheel)], timeout=600)
            result = {"wheel": str(wheel), "venv": str(venv)}
        except BaseException as exc:  # handed to the test that waits for it
            result = {"error": f"{type(exc).__name__}: {exc}"}
        partial = self.work / "done.partial"
        partial.write_text(json.dumps(result))
        partial.rename(self.done)

    def wait(self, timeout: float = 900) -> InstalledWheel:
        deadline = time.monotonic() + timeout
        while not self.done.exists():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the wheel was not installed within {timeout:.0f} s")
            time.sleep(0.5)
        result = json.loads(self.done.read_text())
        if "error" in result:
            raise RuntimeError(f"building and installing the wheel failed: {result['error']}")
        return InstalledWheel(Path(result["wheel"]), Path(result["venv"]))

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join(60)


def _run(command: list[str], timeout: float) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")


_wheel_build: WheelBuild | None = None


def _wheel() -> WheelBuild:
    global _wheel_build
    if _wheel_build is None:
        _wheel_build = WheelBuild(shared_dir() / "wheel")
    return _wheel_build


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the wheel build at once when a selected test needs it (``installed_wheel``)."""
    if any("installed_wheel" in getattr(item, "fixturenames", ()) for item in session.items):
        _wheel()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _wheel_build is not None:
        _wheel_build.join()
    if not _is_worker(session.config):
        shutil.rmtree(shared_dir(), ignore_errors=True)


@pytest.fixture(scope="session")
def installed_wheel() -> InstalledWheel:
    """This checkout as a wheel, installed in a fresh virtualenv (started at collection)."""
    return _wheel().wait()
