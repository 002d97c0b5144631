"""The web map and GraphiQL in a real browser: Debian's chromium, headless, driven by
Playwright through its executable path (no browser download), against the hub serving the
real data. Every request to another host is blocked and recorded: the pages must work on a
network that reaches only the hub. Screenshots go to test-artifacts/ (git-ignored) for CI
to keep."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright

from tests.conftest import ROOT, LiveServer

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
VIEWPORT = {"width": 1100, "height": 720}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.exists(), "Debian's chromium is missing: apt-get install chromium " \
                              "(scripts/setup does)"
    with sync_playwright() as playwright:
        # SwiftShader: WebGL on the CPU, as on a CI machine without a GPU.
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=["--enable-unsafe-swiftshader"])
        yield launched
        launched.close()


class Visit:
    """A page of its own, with requests to any other host than the hub's blocked and
    recorded, and the page's uncaught errors collected."""

    def __init__(self, browser: Browser, server: LiveServer) -> None:
        self.hub = urlsplit(server.url).netloc
        self.blocked: list[str] = []
        self.errors: list[str] = []
        # Reduced motion: MapLibre jumps instead of flying, which spares rendering frames.
        self.context = browser.new_context(viewport=VIEWPORT,  # type: ignore[arg-type]
                                           timezone_id="Asia/Tokyo", reduced_motion="reduce")
        self.context.route("**/*", self._only_the_hub)
        self.page: Page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _only_the_hub(self, route: Route) -> None:
        url = urlsplit(route.request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.netloc != self.hub:
            self.blocked.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / name))

    def close(self) -> None:
        self.context.close()
        assert self.blocked == [], f"the page asked another host: {self.blocked}"
        assert self.errors == [], f"the page failed: {self.errors}"


@pytest.fixture
def visit(browser: Browser, server: LiveServer) -> Iterator[Visit]:
    opened = Visit(browser, server)
    yield opened
    opened.close()


def open_map(visit: Visit, server: LiveServer) -> Page:
    page = visit.page
    page.goto(server.url + "/")
    page.wait_for_selector("body[data-ready=true]")
    page.evaluate("hubIdle()")
    return page


def click_at(page: Page, lon: float, lat: float) -> None:
    """A click on the map where (lon, lat) is drawn."""
    point = page.evaluate("([lon, lat]) => hubMap.project([lon, lat])", [lon, lat])
    box = page.locator("#map").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])


def names(page: Page, selector: str) -> list[str]:
    return [n.strip() for n in page.locator(selector).all_inner_texts()]


FACILITY = """query ($code: String!, $from: Date!, $to: Date!) {
  facility(code: $code) {
    id nameJa nameEn address hours location { lat lon } services { nameJa nameEn }
    partnerships { facilities { id nameJa services { nameJa } } }
  }
  today: consultationSessions(from: $from, to: $to) { startsAt consultation { facility { id } } }
}"""


def test_search_a_facility_click_it_on_the_map_and_read_its_panel(
    server: LiveServer, visit: Visit
) -> None:
    page = open_map(visit, server)
    today = page.evaluate("new Intl.DateTimeFormat('en-CA', {timeZone: 'Asia/Tokyo'})"
                          ".format(new Date())")
    until = page.evaluate("new Intl.DateTimeFormat('en-CA', {timeZone: 'Asia/Tokyo'})"
                          ".format(new Date(Date.now() + 60 * 86400000))")
    expected: dict[str, Any] = server.data(FACILITY, {
        "code": "pref-womens-plaza", "from": today, "to": until})
    facility = expected["facility"]

    page.fill("#search-input", "女性プラザ")
    page.wait_for_selector(f"#search-results li[data-facility-id='{facility['id']}']")
    assert names(page, "#search-results li")[0].startswith("北海道立女性プラザ")
    page.click(f"#search-results li[data-facility-id='{facility['id']}']")
    page.wait_for_selector("#panel[data-state=facility]")
    page.evaluate("hubIdle()")
    page.click("#panel-close")

    # On the map: its building holds another facility too, so the click may offer a choice.
    click_at(page, facility["location"]["lon"], facility["location"]["lat"])
    page.wait_for_selector("#panel[data-state=facility], #panel[data-state=choice]")
    if page.get_attribute("#panel", "data-state") == "choice":
        assert "北海道立女性プラザ" in names(page, "#choice-list li button")
        page.click(f"#choice-list li[data-facility-id='{facility['id']}'] button")
        page.wait_for_selector("#panel[data-state=facility]")

    assert page.inner_text("#facility-name") == "北海道立女性プラザ"
    assert "建物の位置" in page.inner_text("#facility-precision")
    assert names(page, "#facility-services > li") == [s["nameJa"] for s in facility["services"]]
    panel = page.inner_text("#panel-body")
    assert facility["address"] in panel and facility["hours"] in panel
    sessions = [s for s in expected["today"]
                if s["consultation"]["facility"]["id"] == facility["id"]]
    assert sessions, "the seed's consultation rule has sessions in the next 60 days"
    assert page.locator("#facility-sessions li.session").count() == min(len(sessions), 8)
    partners = [f for p in facility["partnerships"] for f in p["facilities"]
                if f["id"] != facility["id"]]
    assert partners
    for partner in partners:
        item = page.locator(f"#facility-partners li.partner[data-facility-id='{partner['id']}']")
        assert item.locator("button").inner_text() == partner["nameJa"]
        assert names(page, f"#facility-partners li.partner[data-facility-id='{partner['id']}'] "
                           ".partner-services li") == [s["nameJa"] for s in partner["services"]]
    visit.screenshot("map-facility.png")

    page.click("#lang-toggle")
    assert page.inner_text("#facility-name") == (facility["nameEn"] or facility["nameJa"])
    assert page.inner_text("h1") == "Hokkaido support facilities"
    assert page.inner_text("#facility-precision") == "building"
    assert names(page, "#facility-services > li") == [s["nameEn"] for s in facility["services"]]
    labels = page.evaluate("hubMap.getLayoutProperty('municipality-labels', 'text-field')")
    assert ["get", "name_en"] in labels, labels
    visit.screenshot("map-facility-en.png")


POINT = """query ($p: GeoPointInput!) {
  nearestFacilities(near: $p, first: 5) { facility { nameJa } }
  facilitiesServing(point: $p) { nameJa }
}"""


def test_a_click_on_the_map_lists_the_nearest_facilities_and_those_serving_the_point(
    server: LiveServer, visit: Visit
) -> None:
    page = open_map(visit, server)
    click_at(page, 143.2, 42.92)  # farmland near Obihiro, no facility drawn there
    page.wait_for_selector("#panel[data-state=point]")
    clicked = {"lat": float(page.get_attribute("#point", "data-lat") or "nan"),
               "lon": float(page.get_attribute("#point", "data-lon") or "nan")}
    assert abs(clicked["lat"] - 42.92) < 0.05 and abs(clicked["lon"] - 143.2) < 0.05
    expected = server.data(POINT, {"p": clicked})
    nearest = [n.split("\n")[0] for n in names(page, "#nearest-list li button")]
    assert nearest == [n["facility"]["nameJa"] for n in expected["nearestFacilities"]]
    distances = [float(d) for d in page.locator("#nearest-list .distance").evaluate_all(
        "nodes => nodes.map(n => n.dataset.meters)")]
    assert distances == sorted(distances) and len(distances) == 5
    serving = names(page, "#serving-list li button")
    assert serving == [f["nameJa"] for f in expected["facilitiesServing"]]
    assert serving, "全道 facilities serve every point of Hokkaido"
    visit.screenshot("map-point.png")


COVERAGE = """query ($d: Float!) {
  coverage(filter: {categories: [PARK]}, maxDistanceMeters: $d) {
    populationInGaps municipalities { servedByArea withinReach population
      municipality { code } }
  }
}"""


def test_the_coverage_view_colours_municipalities_by_gap_with_a_legend(
    server: LiveServer, visit: Visit
) -> None:
    page = open_map(visit, server)
    page.select_option("#coverage-category", "PARK")
    page.fill("#coverage-distance", "30")
    page.check("#coverage-toggle")
    page.wait_for_selector("#coverage-legend[data-state=ready][data-category=PARK]"
                           "[data-distance='30000']")
    page.evaluate("hubIdle()")

    report = server.data(COVERAGE, {"d": 30000})["coverage"]
    units = report["municipalities"]
    classes = {
        "servedByArea": [u for u in units if u["servedByArea"]],
        "withinReach": [u for u in units if not u["servedByArea"] and u["withinReach"]],
        "gap": [u for u in units if not u["servedByArea"] and not u["withinReach"]],
    }
    for key, members in classes.items():
        row = page.locator(f"#coverage-legend tr[data-class={key}]")
        assert row.get_attribute("data-units") == str(len(members))
        assert row.get_attribute("data-population") == str(sum(u["population"] for u in members))
    assert classes["gap"], "parks leave gaps at 30 km"
    summary = page.locator("#coverage-legend .summary")
    assert summary.get_attribute("data-population-in-gaps") == str(report["populationInGaps"])
    assert "空白地域" in page.inner_text("#coverage-legend")

    # The colours come from the tiles: each drawn unit's gap flag is GraphQL's.
    drawn = page.evaluate("""() => hubMap.querySourceFeatures('coverage',
        {sourceLayer: 'municipalities'}).map(f => [f.properties.code, f.properties.gap])""")
    gaps = {u["municipality"]["code"] for u in classes["gap"]}
    flagged = {code: bool(gap) for code, gap in drawn if gap is not None}
    assert flagged, "the coverage tiles carry the gap property"
    assert {code for code, gap in flagged.items() if gap} <= gaps
    assert {code for code, gap in flagged.items() if not gap}.isdisjoint(gaps)
    visit.screenshot("map-coverage.png")

    page.click("#lang-toggle")
    assert "Gap" in page.inner_text("#coverage-legend")


def test_graphiql_runs_a_query_with_every_other_host_blocked(
    server: LiveServer, visit: Visit
) -> None:
    page = visit.page
    page.goto(server.url + "/graphql?q=" + "%7B%20hubVersion%20%7D")
    page.wait_for_selector(".graphiql-execute-button")
    page.click(".graphiql-execute-button")
    result = page.locator(".result-window")
    result.filter(has_text="hubVersion").wait_for()
    version = server.data("{ hubVersion }")["hubVersion"]
    assert version in result.inner_text()
    visit.screenshot("graphiql.png")
