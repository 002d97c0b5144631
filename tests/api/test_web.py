"""The pages over HTTP, without a browser: / with its settings, /static, and the GraphiQL
page loading nothing from another host, each of its files served by the hub and matching the
SRI hash strawberry's page pins (what the browser checks). The browser tests are in
test_web_map.py."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from hub import web_assets
from hub.api.app import create_app
from hub.config import Settings

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none"  # the pages need no database


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(UNREACHABLE, Settings(
        basemap_url="https://tiles.example/{z}/{x}/{y}.png",
        basemap_attribution="</script><script>alert(1)</script> © Example")))


def test_the_map_page_carries_its_settings_and_no_setting_can_close_the_script(
    client: TestClient,
) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    found = re.search(r'<script id="hub-config" type="application/json">(.*?)</script>', page)
    assert found is not None
    assert json.loads(found.group(1)) == {
        "basemapUrl": "https://tiles.example/{z}/{x}/{y}.png",
        "basemapAttribution": "</script><script>alert(1)</script> © Example"}
    assert "<script>alert(1)" not in page


def test_the_map_page_loads_only_from_the_hub(client: TestClient) -> None:
    page = client.get("/").text
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "static/js/main.js" in urls
    for url in urls:
        assert not re.match(r"(?:[a-z]+:)?//", url), url
        if not url.startswith("data:"):
            assert client.get("/" + url).status_code == 200, url


def test_the_map_s_scripts_and_maplibre_are_served_as_javascript(client: TestClient) -> None:
    maplibre = next(p for p in web_assets.read_manifest() if p.name == "maplibre-gl")
    for path in (f"/static/vendor/{maplibre.folder}/dist/maplibre-gl.mjs",
                 f"/static/vendor/{maplibre.folder}/dist/maplibre-gl-worker.mjs",
                 "/static/js/main.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/javascript"), path
    assert client.get("/static/js/nothing.js").status_code == 404


def test_graphiql_loads_every_file_from_the_hub_as_strawberry_pinned_it(
    client: TestClient,
) -> None:
    response = client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    page = response.text
    assert "unpkg.com" not in page
    tags = re.findall(r"<(?:script|link)\b[^>]*>", page)
    loaded = 0
    for tag in tags:
        url = re.search(r'(?:src|href)="([^"]+)"', tag)
        if url is None or url.group(1).startswith("data:"):
            continue
        assert url.group(1).startswith("static/vendor/"), tag
        served = client.get("/" + url.group(1))
        assert served.status_code == 200, url.group(1)
        pinned = re.search(r'integrity="sha384-([^"]+)"', tag)
        assert pinned is not None, tag
        digest = base64.b64encode(hashlib.sha384(served.content).digest()).decode()
        assert digest == pinned.group(1), f"{url.group(1)} is not the file strawberry pinned"
        loaded += 1
    assert loaded == 7


def test_a_basemap_url_that_is_not_an_xyz_template_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from hub.config import SettingsError

    monkeypatch.setenv("HUB_BASEMAP_URL", "https://tiles.example/{z}/{x}.png")
    with pytest.raises(SettingsError, match=r"HUB_BASEMAP_URL=.*lacks \{y\}"):
        Settings.from_env()
    monkeypatch.setenv("HUB_BASEMAP_URL", "file:///etc/{z}/{x}/{y}")
    with pytest.raises(SettingsError, match=r"HUB_BASEMAP_URL=.*http"):
        Settings.from_env()


def test_without_its_packages_the_map_page_says_how_to_fetch_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(web_assets, "VENDOR_DIR", tmp_path / "vendor")
    response = TestClient(create_app(UNREACHABLE)).get("/")
    assert response.status_code == 503
    assert "python -m hub.web_assets" in response.text
    assert "maplibre-gl@" in response.text
