"""The read provider: the one object the API reads through. It owns the database handle
(built once per app in hub.api.app.create_app), so resolvers and DataLoaders say what they
want and never handle a connection; the storage behind it can change without the API
noticing (as pygeoapi separates its providers from the API)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from hub.config import Settings
from hub.db.pool import Database
from hub.domain.covering import Pick
from hub.domain.filters import FacilityFilter
from hub.domain.tiles import Tile
from hub.domain.tokens import Principal
from hub.services.reads import (
    alerts,
    calendar,
    catalog,
    coverage,
    datasets,
    events,
    exports,
    facilities,
    history,
    json_sql,
    municipalities,
    tiles,
    tokens,
)
from hub.services.reads.alerts import AlertRow
from hub.services.reads.calendar import Session
from hub.services.reads.catalog import (
    ConsultationRow,
    FacilityMetricRow,
    InitiativeRow,
    MetricRow,
    OperatorRow,
    PartnershipRow,
    RoleDivisionRow,
    ServiceRow,
)
from hub.services.reads.coverage import Report
from hub.services.reads.datasets import DatasetRow
from hub.services.reads.events import Conflict, EventRow
from hub.services.reads.facilities import AliasRow, FacilityRow, Page
from hub.services.reads.history import AuditRow
from hub.services.reads.municipalities import MunicipalityRow
from hub.services.reads.tiles import Coverage, TileSetInfo


class Reads:
    """Every read use case of the API, on one database."""

    def __init__(self, db: Database, settings: Settings | None = None) -> None:
        self.db = db
        #: The limits the reads apply themselves (date ranges, windows).
        self.settings = settings or Settings.model_construct()
        self._tile_coverage = tiles.CoverageMemo(self.settings.tile_coverage_cache_size)

    # Facilities.

    async def check_references(self, flt: FacilityFilter | None, field: str) -> None:
        await facilities.check_references(self.db, flt, field)

    async def facility_page(self, flt: FacilityFilter | None, first: int, after: str | None
                            ) -> Page:
        return await facilities.page(self.db, flt, first, after)

    async def nearest(self, lat: float, lon: float, first: int, flt: FacilityFilter | None,
                      max_distance: float | None) -> list[tuple[FacilityRow, float]]:
        return await facilities.nearest(self.db, lat, lon, first, flt, max_distance)

    async def serving(self, lat: float, lon: float, flt: FacilityFilter | None
                      ) -> list[FacilityRow]:
        return await facilities.serving(self.db, lat, lon, flt)

    async def json_answer(self, text: str, params: dict[str, Any]) -> tuple[str, bool]:
        """The compiled path's statement (hub.services.reads.json_sql): its JSON and
        whether it is exact."""
        return await json_sql.run(self.db, text, params)

    async def facility_by_code(self, code: str) -> FacilityRow | None:
        return await facilities.by_code(self.db, code)

    async def facilities_by_ids(self, ids: Sequence[int]) -> dict[int, FacilityRow]:
        return await facilities.by_ids(self.db, ids)

    async def archived_facility(self, facility_id: int) -> FacilityRow | None:
        """A facility as it was archived (the answer of archiveFacility, nothing else)."""
        return await facilities.archived_by_id(self.db, facility_id)

    async def facility_matches(self, flt: FacilityFilter | None, facility_id: int) -> bool:
        return await facilities.matches(self.db, flt, facility_id)

    async def alerts(self, since: dt.datetime | None, municipality_code: str | None
                     ) -> list[AlertRow]:
        return await alerts.listing(self.db, since, municipality_code)

    async def alerts_by_ids(self, ids: Sequence[int]) -> dict[int, AlertRow]:
        return await alerts.by_ids(self.db, ids)

    async def facility_history(self, facility_id: int) -> list[AuditRow] | None:
        return await history.of_facility(self.db, facility_id)

    async def aliases_of(self, facility_ids: Sequence[int]) -> dict[int, list[AliasRow]]:
        return await facilities.aliases_of(self.db, facility_ids)

    async def facilities_in(self, codes: Sequence[str], flt: FacilityFilter | None
                            ) -> dict[str, list[FacilityRow]]:
        return await facilities.in_municipalities(self.db, codes, flt)

    async def service_areas(self, ids: Sequence[int], simplify_meters: float | None
                            ) -> dict[int, dict[str, Any]]:
        return await facilities.service_areas(self.db, ids, simplify_meters)

    # Open-data exports.

    async def export_count(self, flt: FacilityFilter | None) -> int:
        return await exports.count(self.db, flt)

    async def export_batch(self, flt: FacilityFilter | None, after: str | None, limit: int
                           ) -> list[FacilityRow]:
        return await exports.batch(self.db, flt, after, limit)

    async def export_service_areas(self, ids: Sequence[int], simplify_meters: float
                                   ) -> dict[int, dict[str, Any]]:
        return await exports.service_areas(self.db, ids, simplify_meters)

    # Municipalities.

    async def municipalities(self, subprefecture: str | None) -> list[MunicipalityRow]:
        return await municipalities.listing(self.db, subprefecture)

    async def municipalities_by_codes(self, codes: Sequence[str]
                                      ) -> dict[str, MunicipalityRow]:
        return await municipalities.by_codes(self.db, codes)

    async def boundaries(self, codes: Sequence[str], simplify_meters: float | None
                         ) -> dict[str, dict[str, Any]]:
        return await municipalities.boundaries(self.db, codes, simplify_meters)

    # The records around facilities, in batches.

    async def operators(self, ids: Sequence[int]) -> dict[int, OperatorRow]:
        return await catalog.operators(self.db, ids)

    async def services_of(self, facility_ids: Sequence[int]) -> dict[int, list[ServiceRow]]:
        return await catalog.services_of(self.db, facility_ids)

    async def consultations_of(self, facility_ids: Sequence[int]
                               ) -> dict[int, list[ConsultationRow]]:
        return await catalog.consultations_of(self.db, facility_ids)

    async def partnerships(self, category: str | None) -> list[PartnershipRow]:
        return await catalog.partnerships(self.db, category)

    async def partnerships_by_ids(self, ids: Sequence[int]) -> dict[int, PartnershipRow]:
        return await catalog.partnerships_by_ids(self.db, ids)

    async def partnerships_of(self, facility_ids: Sequence[int]
                              ) -> dict[int, list[PartnershipRow]]:
        return await catalog.partnerships_of(self.db, facility_ids)

    async def facility_ids_of(self, partnership_ids: Sequence[int]) -> dict[int, list[int]]:
        return await catalog.facility_ids_of(self.db, partnership_ids)

    async def role_divisions_of(self, partnership_ids: Sequence[int]
                                ) -> dict[int, list[RoleDivisionRow]]:
        return await catalog.role_divisions_of(self.db, partnership_ids)

    async def initiatives(self, status: str | None, fiscal_year: int | None
                          ) -> list[InitiativeRow]:
        return await catalog.initiatives(self.db, status, fiscal_year)

    async def initiatives_of(self, partnership_ids: Sequence[int]
                             ) -> dict[int, list[InitiativeRow]]:
        return await catalog.initiatives_of(self.db, partnership_ids)

    async def metrics_of(self, initiative_ids: Sequence[int]) -> dict[int, list[MetricRow]]:
        return await catalog.metrics_of(self.db, initiative_ids)

    async def facility_metrics_of(self, facility_ids: Sequence[int]
                                  ) -> dict[int, list[FacilityMetricRow]]:
        return await catalog.facility_metrics_of(self.db, facility_ids)

    # Calendar, data sets, coverage.

    async def sessions(self, first: dt.date, last: dt.date, facility_ids: Sequence[int] | None,
                       include_skipped: bool = False) -> list[Session]:
        return await calendar.sessions(self.db, first, last, facility_ids, include_skipped,
                                       self.settings.max_calendar_days)

    async def datasets(self) -> list[DatasetRow]:
        return await datasets.listing(self.db)

    async def coverage(self, flt: FacilityFilter | None, reach: float,
                       sites: Sequence[tuple[float, float]] = ()) -> Report:
        return await coverage.coverage(self.db, flt, reach, sites)

    async def suggest_sites(self, flt: FacilityFilter | None, reach: float, count: int
                            ) -> tuple[Report, list[Pick]]:
        return await coverage.suggest_sites(self.db, flt, reach, count)

    # Events.

    async def events(self, first: dt.date, last: dt.date, audience: str | None,
                     organizer_id: int | None) -> list[EventRow]:
        return await events.listing(self.db, first, last, audience, organizer_id,
                                    self.settings.max_calendar_days)

    async def event_conflicts(self, first: dt.date, last: dt.date, window_days: int
                              ) -> list[Conflict]:
        return await events.conflicts(self.db, first, last, window_days,
                                      self.settings.max_calendar_days,
                                      self.settings.max_event_window_days)

    async def events_by_ids(self, ids: Sequence[int]) -> dict[int, EventRow]:
        return await events.by_ids(self.db, ids)

    async def facility_exists(self, facility_id: int) -> bool:
        """Archived facilities included."""
        return await events.facility_exists(self.db, facility_id)

    # Tokens.

    async def principal(self, secret_hash: str) -> Principal | None:
        """The token in use with this secret hash (None: unknown or revoked)."""
        return await tokens.principal(self.db, secret_hash)

    # Vector tiles.

    async def data_version(self) -> int:
        """Changes with every write to the data (what a tile's entity tag is made of)."""
        return await tiles.data_version(self.db)

    async def tile(self, layer: str, tile: Tile, flt: FacilityFilter | None,
                   units: Coverage | None = None) -> bytes:
        """A vector tile of ``layer`` (empty bytes: no feature in it)."""
        return await tiles.make_tile(self.db, layer, tile, flt, units)

    async def tile_coverage(self, version: int, flt: FacilityFilter | None, reach: float
                            ) -> Coverage:
        """Coverage per unit for the municipalities layer, kept per data version."""
        return await self._tile_coverage.get(self.db, version, flt, reach)

    async def tile_set_info(self, credits: Sequence[str]) -> TileSetInfo:
        return await tiles.tile_set_info(self.db, credits)
