"""docker-compose.yml cannot be run here (no Docker engine); this checks what can be checked
without one: it parses, and the hub service reaches the database service it names."""

from __future__ import annotations

import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from tests.conftest import InstalledWheel

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_compose_hub_points_at_the_postgis_service() -> None:
    services = _compose()["services"]
    db, hub = services["db"], services["hub"]
    assert "postgis" in db["image"]
    url = make_url(hub["environment"]["HUB_DATABASE_URL"])
    assert url.host == "db" and url.port == 5432
    assert (url.username, url.password, url.database) == (
        db["environment"]["POSTGRES_USER"],
        db["environment"]["POSTGRES_PASSWORD"],
        db["environment"]["POSTGRES_DB"],
    )
    assert hub["depends_on"]["db"]["condition"] == "service_healthy"


def test_dockerfile_copies_what_the_hub_needs_and_serves_on_the_published_port() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for needed in ("hub", "migrations", "geodata", "constraints.txt"):
        assert f"COPY {needed}" in dockerfile or f" {needed} " in dockerfile
    assert 'CMD ["hub", "serve"]' in dockerfile
    published = _compose()["services"]["hub"]["ports"][0]
    assert published.endswith(":8000") and "HUB_PORT=8000" in dockerfile


def _fresh_database(database_url: str, name: str) -> str:
    import psycopg
    from psycopg import sql

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    target = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION postgis")
    return target


@pytest.mark.slow
def test_a_wheel_in_a_fresh_virtualenv_serves_from_another_folder(
    database_url: str, installed_wheel: InstalledWheel, tmp_path: Path
) -> None:
    """Migrations and the seed data set ship inside the wheel: a hub installed from it,
    started in an unrelated folder on an empty database, migrates, loads and answers (on
    the simplified boundaries: the point is what the wheel carries, not the borders)."""
    import httpx

    from hub import localdb
    from hub.config import Settings

    names = zipfile.ZipFile(installed_wheel.wheel).namelist()
    assert "hub/migrations/versions/0001_initial_schema.py" in names
    assert "hub/geodata/facilities.yaml" in names
    # The web map, and the front-end packages scripts/setup fetched before the build.
    assert {"hub/static/index.html", "hub/static/js/main.js",
            "hub/static/vendor.json"} <= set(names)
    assert any(n.endswith("/dist/maplibre-gl.mjs") for n in names)
    venv = installed_wheel.venv

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port = localdb.free_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(elsewhere),
           "HUB_DATABASE_URL": _fresh_database(database_url, "hub_wheel"),
           "HUB_GEODATA": str(Settings().geodata_dir), "HUB_BOUNDARIES": "simplified"}
    server = subprocess.Popen(
        [str(venv / "bin" / "hub"), "serve", "--port", str(port)], cwd=elsewhere, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        assert server.stdout is not None
        lines = []
        for line in server.stdout:
            lines.append(line)
            if "Hub is serving GraphQL at" in line:
                break
        assert any(f":{port}/graphql" in line for line in lines), "".join(lines)
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/graphql", timeout=30, json={
                    "query": "{ hubVersion facilities { totalCount } }"}).json()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert answer["data"]["facilities"]["totalCount"] == 34
        assert answer["data"]["hubVersion"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_wheel_lists_every_package_folder() -> None:
    """pyproject.toml lists the packages by hand (to map migrations/ and geodata/ into the
    wheel); a package folder missing from the list would be missing from an installed hub."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for init in (ROOT / "hub").rglob("__init__.py")}
    assert found <= listed, f"add to pyproject.toml's packages: {sorted(found - listed)}"
    assert listed - found == {"hub.migrations", "hub.geodata"}
