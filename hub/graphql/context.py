"""What every resolver gets: the read provider, the request's DataLoaders, and the request
itself (its Authorization header decides who writes)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import HTTPConnection
from strawberry.dataloader import DataLoader

from hub.config import Settings
from hub.db.listener import Listener
from hub.domain.filters import FacilityFilter
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
from hub.services.reads.facilities import AliasRow, FacilityRow
from hub.services.reads.municipalities import MunicipalityRow
from hub.services.reads.provider import Reads
from hub.services.writes.runner import Writes


def _ordered(found: dict[Any, Any], keys: list[Any], default: Any = None) -> list[Any]:
    return [found.get(key, default) for key in keys]


@dataclass
class Loaders:
    """One DataLoader per relation, so that a page of 100 facilities asks for its operators
    in one statement. Made with the context (HubGraphQL.get_context), which strawberry asks
    for once per HTTP request, so nothing is cached from one request to the next; a
    WebSocket connection would ask only once and keep the cache for its whole life."""

    reads: Reads
    facility: DataLoader[int, FacilityRow | None] = field(init=False)
    aliases: DataLoader[int, list[AliasRow]] = field(init=False)
    operator: DataLoader[int, OperatorRow | None] = field(init=False)
    municipality: DataLoader[str, MunicipalityRow | None] = field(init=False)
    services: DataLoader[int, list[ServiceRow]] = field(init=False)
    consultations: DataLoader[int, list[ConsultationRow]] = field(init=False)
    partnerships: DataLoader[int, list[PartnershipRow]] = field(init=False)
    partnership: DataLoader[int, PartnershipRow | None] = field(init=False)
    partnership_facilities: DataLoader[int, list[int]] = field(init=False)
    role_divisions: DataLoader[int, list[RoleDivisionRow]] = field(init=False)
    initiatives: DataLoader[int, list[InitiativeRow]] = field(init=False)
    metrics: DataLoader[int, list[MetricRow]] = field(init=False)
    facility_metrics: DataLoader[int, list[FacilityMetricRow]] = field(init=False)
    _by_filter: dict[Any, Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        reads = self.reads

        async def load_facilities(ids: list[int]) -> list[FacilityRow | None]:
            return _ordered(await reads.facilities_by_ids(ids), ids)

        async def load_aliases(ids: list[int]) -> list[list[AliasRow]]:
            return _ordered(await reads.aliases_of(ids), ids, [])

        async def load_operators(ids: list[int]) -> list[OperatorRow | None]:
            return _ordered(await reads.operators(ids), ids)

        async def load_municipalities(codes: list[str]) -> list[MunicipalityRow | None]:
            return _ordered(await reads.municipalities_by_codes(codes), codes)

        async def load_services(ids: list[int]) -> list[list[ServiceRow]]:
            return _ordered(await reads.services_of(ids), ids, [])

        async def load_consultations(ids: list[int]) -> list[list[ConsultationRow]]:
            return _ordered(await reads.consultations_of(ids), ids, [])

        async def load_partnerships(ids: list[int]) -> list[list[PartnershipRow]]:
            return _ordered(await reads.partnerships_of(ids), ids, [])

        async def load_partnership(ids: list[int]) -> list[PartnershipRow | None]:
            return _ordered(await reads.partnerships_by_ids(ids), ids)

        async def load_partnership_facilities(ids: list[int]) -> list[list[int]]:
            return _ordered(await reads.facility_ids_of(ids), ids, [])

        async def load_role_divisions(ids: list[int]) -> list[list[RoleDivisionRow]]:
            return _ordered(await reads.role_divisions_of(ids), ids, [])

        async def load_initiatives(ids: list[int]) -> list[list[InitiativeRow]]:
            return _ordered(await reads.initiatives_of(ids), ids, [])

        async def load_metrics(ids: list[int]) -> list[list[MetricRow]]:
            return _ordered(await reads.metrics_of(ids), ids, [])

        self.facility = DataLoader(load_facilities)
        self.aliases = DataLoader(load_aliases)
        self.operator = DataLoader(load_operators)
        self.municipality = DataLoader(load_municipalities)
        self.services = DataLoader(load_services)
        self.consultations = DataLoader(load_consultations)
        self.partnerships = DataLoader(load_partnerships)
        self.partnership = DataLoader(load_partnership)
        self.partnership_facilities = DataLoader(load_partnership_facilities)
        self.role_divisions = DataLoader(load_role_divisions)
        self.initiatives = DataLoader(load_initiatives)
        async def load_facility_metrics(ids: list[int]) -> list[list[FacilityMetricRow]]:
            return _ordered(await reads.facility_metrics_of(ids), ids, [])

        self.metrics = DataLoader(load_metrics)
        self.facility_metrics = DataLoader(load_facility_metrics)

    def facilities_in(self, flt: FacilityFilter | None) -> DataLoader[str, list[FacilityRow]]:
        """Facilities located in municipalities, one loader per distinct filter."""
        key = ("in", flt)
        if key not in self._by_filter:
            reads = self.reads

            async def load(codes: list[str]) -> list[list[FacilityRow]]:
                # Unknown codes in the filter are the client's mistake, as at the top level;
                # checked once per batch, not once per municipality.
                await reads.check_references(flt, "filter")
                return _ordered(await reads.facilities_in(codes, flt), codes, [])

            self._by_filter[key] = DataLoader(load)
        loader: DataLoader[str, list[FacilityRow]] = self._by_filter[key]
        return loader

    def geometry(self, kind: str, simplify: float | None) -> DataLoader[Any, Any]:
        """Boundaries or service areas as GeoJSON, one loader per simplification."""
        key = (kind, simplify)
        if key not in self._by_filter:
            reads = self.reads

            async def load(keys: list[Any]) -> list[Any]:
                if kind == "boundary":
                    return _ordered(await reads.boundaries(keys, simplify), keys)
                return _ordered(await reads.service_areas(keys, simplify), keys)

            self._by_filter[key] = DataLoader(load)
        loader: DataLoader[Any, Any] = self._by_filter[key]
        return loader


@dataclass
class Context:
    reads: Reads
    loaders: Loaders
    #: The write side (mutations); None where a context only reads (tests, exports).
    writes: Writes | None = None
    #: The HTTP request, or the WebSocket of a subscription (both carry the headers); None
    #: when a query runs outside a request (a test, a script).
    request: HTTPConnection | None = None
    #: This process's LISTEN connection, for subscriptions (hub.db.listener).
    listener: Listener | None = None
    #: The app's settings (limits a resolver applies itself, such as an upload's size).
    settings: Settings | None = None
    #: The primary's reads when ``reads`` are a replica's (HUB_DATABASE_READ_URL); an
    #: operation that must see its own writes switches to them (hub.graphql.routing).
    primary: Reads | None = None
