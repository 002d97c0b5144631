"""The pages a browser opens: the web map at ``/`` (hub/static: plain JS modules on MapLibre
GL JS, no build step) with its static files under ``/static``, and the GraphiQL page of
``/graphql`` pointed at the same local copies of its packages instead of unpkg, so both work
on a network that reaches only the hub."""

from __future__ import annotations

import json
import logging
from functools import cache

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from strawberry.http.ides import get_graphql_ide_html

from hub import web_assets
from hub.config import Settings
from hub.resources import STATIC_DIR

log = logging.getLogger(__name__)

#: Where strawberry's GraphiQL page loads its packages from, and where the hub serves the
#: same files (relative: the page works under a path prefix too).
UNPKG = "https://unpkg.com/"
LOCAL_VENDOR = "static/vendor/"
#: Marks the place in index.html where the page's settings go.
CONFIG_MARK = "<!--hub-config-->"

@cache
def graphiql_page() -> str:
    """strawberry's own GraphiQL page (its JavaScript kept as it is, upgrades included)
    with every unpkg URL pointing at the hub's copy of the same file. The page's SRI
    ``integrity`` hashes stay: the browser checks that the local file is byte for byte the
    one strawberry pinned (a test keeps hub/static/vendor.json equal to the page's list)."""
    return get_graphql_ide_html("graphiql").replace(UNPKG, LOCAL_VENDOR)


def page_config(settings: Settings) -> dict[str, object]:
    """What the map page needs to know of the server's settings."""
    return {"basemapUrl": settings.basemap_url,
            "basemapAttribution": settings.basemap_attribution}


def index_page(settings: Settings) -> str:
    html = (STATIC_DIR / "index.html").read_text()
    # "<" escaped so that no setting can close the script element.
    config = json.dumps(page_config(settings), ensure_ascii=False).replace("<", "\\u003c")
    return html.replace(CONFIG_MARK, f'<script id="hub-config" type="application/json">'
                                     f"{config}</script>", 1)


MISSING_PAGE = """<!doctype html><meta charset="utf-8"><title>Hub: web assets missing</title>
<p>The map's front-end packages are not installed ({missing}). Run
<code>bash scripts/setup</code>, or <code>python -m hub.web_assets</code> with the hub's
Python, on the server.</p>"""


def routes(settings: Settings) -> list[BaseRoute]:
    """``/`` (the map) and ``/static``; ``hub serve`` warns at start when the front-end
    packages are not unpacked, and ``/`` then says how to fetch them (503)."""
    missing = web_assets.missing()
    if missing:
        log.warning("The web map's front-end packages are missing (%s): run "
                    "`python -m hub.web_assets` (scripts/setup does).", ", ".join(missing))
    page = index_page(settings)

    async def index(_: Request) -> HTMLResponse:
        if missing and web_assets.missing():
            return HTMLResponse(MISSING_PAGE.format(missing=", ".join(missing)), 503)
        return HTMLResponse(page)

    return [
        Route("/", index, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
