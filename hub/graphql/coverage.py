"""Coverage types and queries for planners (contract: coverage; additions: addSites,
suggestSites)."""

from __future__ import annotations

import strawberry

from hub.domain.errors import InputError
from hub.domain.filters import check_distance, check_first
from hub.graphql.inputs import FacilityFilterInput, GeoPointInput, to_filter, to_point
from hub.graphql.types import Ctx, Facility, GeoPoint, Municipality, NearbyFacility
from hub.services.reads.coverage import UnitCoverage

MAX_ADDED_SITES = 100
MAX_SUGGESTIONS = 20


@strawberry.type
class AddedSiteDistance:
    index: int = strawberry.field(description="1-based position in addSites.")
    location: GeoPoint
    distance_meters: float


@strawberry.type
class MunicipalityCoverage:
    served_by_area: bool = strawberry.field(
        description="Its representative point lies in a matching facility's service area."
    )
    nearest: NearbyFacility | None = strawberry.field(
        description="Nearest matching facility to its representative point."
    )
    within_reach: bool = strawberry.field(
        description="The nearest facility or added site is within maxDistanceMeters."
    )
    accessibility: float | None = strawberry.field(
        description="2SFCA score: matching facilities per 10,000 residents in reach."
    )
    nearest_added_site: AddedSiteDistance | None = strawberry.field(
        description="The nearest of the hypothetical addSites, when any were given."
    )
    population: int
    code: strawberry.Private[str]

    @strawberry.field
    async def municipality(self, info: Ctx) -> Municipality:
        row = await info.context.loaders.municipality.load(self.code)
        assert row is not None  # units come from the municipality table
        return Municipality.of(row)

    @classmethod
    def of(cls, unit: UnitCoverage, sites: list[tuple[float, float]]) -> MunicipalityCoverage:
        nearest = None
        if unit.nearest is not None and unit.nearest_distance is not None:
            nearest = NearbyFacility(facility=Facility.of(unit.nearest),
                                     distance_meters=unit.nearest_distance)
        added = None
        if unit.nearest_site is not None and unit.nearest_site_distance is not None:
            lat, lon = sites[unit.nearest_site - 1]
            added = AddedSiteDistance(index=unit.nearest_site, location=GeoPoint(lat=lat, lon=lon),
                                      distance_meters=unit.nearest_site_distance)
        return cls(served_by_area=unit.served_by_area, nearest=nearest,
                   within_reach=unit.within_reach, accessibility=unit.accessibility,
                   nearest_added_site=added, population=unit.population, code=unit.code)


@strawberry.type
class CoverageReport:
    municipalities: list[MunicipalityCoverage]
    total_population: int
    population_in_gaps: int = strawberry.field(
        description="Living in municipalities neither served by area nor within reach."
    )
    gaps: list[MunicipalityCoverage] = strawberry.field(
        description="Those municipalities, largest population first."
    )


@strawberry.type
class SuggestedSite:
    location: GeoPoint = strawberry.field(description="A municipality's representative point.")
    newly_covered_population: int
    code: strawberry.Private[str]
    covered: strawberry.Private[tuple[str, ...]]

    @strawberry.field(description="The municipality whose representative point this is.")
    async def municipality(self, info: Ctx) -> Municipality:
        row = await info.context.loaders.municipality.load(self.code)
        assert row is not None
        return Municipality.of(row)

    @strawberry.field(description="The gap municipalities this site would bring within reach.")
    async def newly_covered(self, info: Ctx) -> list[Municipality]:
        rows = await info.context.loaders.municipality.load_many(list(self.covered))
        return [Municipality.of(r) for r in rows if r is not None]


def _sites(values: list[GeoPointInput] | None) -> list[tuple[float, float]]:
    values = values or []
    if len(values) > MAX_ADDED_SITES:
        raise InputError(f"addSites: {len(values)} sites; at most {MAX_ADDED_SITES}", "addSites")
    return [to_point(v, f"addSites[{n}]") for n, v in enumerate(values)]


def _reach(meters: float) -> float:
    checked = check_distance(meters)
    assert checked is not None
    return checked


@strawberry.type
class CoverageQuery:
    @strawberry.field(description="Per coverage unit (municipalities but Sapporo, plus its "
                      "wards; not the Northern Territories): served by area, nearest "
                      "facility, within reach, 2SFCA accessibility; gaps largest first. "
                      "addSites evaluates hypothetical facilities without writing anything.")
    async def coverage(self, info: Ctx, filter: FacilityFilterInput | None = None,
                       max_distance_meters: float = 20000,
                       add_sites: list[GeoPointInput] | None = None) -> CoverageReport:
        reach = _reach(max_distance_meters)
        sites = _sites(add_sites)
        flt = to_filter(filter)
        await info.context.reads.check_references(flt, "filter")
        report = await info.context.reads.coverage(flt, reach, sites)
        units = {u.code: MunicipalityCoverage.of(u, sites) for u in report.units}
        return CoverageReport(
            municipalities=list(units.values()),
            total_population=report.total_population,
            population_in_gaps=report.population_in_gaps,
            gaps=[units[u.code] for u in report.gaps],
        )

    @strawberry.field(description="Up to `count` new sites among the municipalities' "
                      "representative points, each covering the most population still in a "
                      "gap (greedy maximal covering).")
    async def suggest_sites(self, info: Ctx, filter: FacilityFilterInput | None = None,
                            max_distance_meters: float = 20000, count: int = 1
                            ) -> list[SuggestedSite]:
        reach = _reach(max_distance_meters)
        check_first(count, "count", MAX_SUGGESTIONS)
        flt = to_filter(filter)
        await info.context.reads.check_references(flt, "filter")
        report, picks = await info.context.reads.suggest_sites(flt, reach, count)
        where = {u.code: (u.lat, u.lon) for u in report.units}
        return [SuggestedSite(location=GeoPoint(lat=where[p.site][0], lon=where[p.site][1]),
                              newly_covered_population=p.population, code=p.site,
                              covered=p.newly_covered) for p in picks]
