"""docker-compose.yml cannot be run here (no Docker engine); this checks what can be checked
without one: it parses, and the hub service reaches the database service it names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

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
