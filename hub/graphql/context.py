"""What every resolver gets: the database, the request's DataLoaders, the serving mode."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader

from hub.db.pool import Database
from hub.domain.filters import FacilityFilter
from hub.services.reads import catalog, facilities, municipalities
from hub.services.reads.catalog import (
    ConsultationRow,
    InitiativeRow,
    MetricRow,
    OperatorRow,
    PartnershipRow,
    RoleDivisionRow,
    ServiceRow,
)
from hub.services.reads.facilities import FacilityRow
from hub.services.reads.municipalities import MunicipalityRow


def _ordered(found: dict[Any, Any], keys: list[Any], default: Any = None) -> list[Any]:
    return [found.get(key, default) for key in keys]


@dataclass
class Loaders:
    """One DataLoader per relation, new for each request (so nothing is cached across
    requests): a page of 100 facilities asks for its operators in one statement."""

    db: Database
    synthetic: bool
    facility: DataLoader[int, FacilityRow | None] = field(init=False)
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
    _by_filter: dict[Any, Any] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        db, synthetic = self.db, self.synthetic

        async def load_facilities(ids: list[int]) -> list[FacilityRow | None]:
            return _ordered(await facilities.by_ids(db, ids, synthetic), ids)

        async def load_operators(ids: list[int]) -> list[OperatorRow | None]:
            return _ordered(await catalog.operators(db, ids), ids)

        async def load_municipalities(codes: list[str]) -> list[MunicipalityRow | None]:
            return _ordered(await municipalities.by_codes(db, codes), codes)

        async def load_services(ids: list[int]) -> list[list[ServiceRow]]:
            return _ordered(await catalog.services_of(db, ids), ids, [])

        async def load_consultations(ids: list[int]) -> list[list[ConsultationRow]]:
            return _ordered(await catalog.consultations_of(db, ids), ids, [])

        async def load_partnerships(ids: list[int]) -> list[list[PartnershipRow]]:
            return _ordered(await catalog.partnerships_of(db, ids), ids, [])

        async def load_partnership(ids: list[int]) -> list[PartnershipRow | None]:
            return _ordered(await catalog.partnerships_by_ids(db, ids), ids)

        async def load_partnership_facilities(ids: list[int]) -> list[list[int]]:
            return _ordered(await catalog.facility_ids_of(db, ids), ids, [])

        async def load_role_divisions(ids: list[int]) -> list[list[RoleDivisionRow]]:
            return _ordered(await catalog.role_divisions_of(db, ids), ids, [])

        async def load_initiatives(ids: list[int]) -> list[list[InitiativeRow]]:
            return _ordered(await catalog.initiatives_of(db, ids), ids, [])

        async def load_metrics(ids: list[int]) -> list[list[MetricRow]]:
            return _ordered(await catalog.metrics_of(db, ids), ids, [])

        self.facility = DataLoader(load_facilities)
        self.operator = DataLoader(load_operators)
        self.municipality = DataLoader(load_municipalities)
        self.services = DataLoader(load_services)
        self.consultations = DataLoader(load_consultations)
        self.partnerships = DataLoader(load_partnerships)
        self.partnership = DataLoader(load_partnership)
        self.partnership_facilities = DataLoader(load_partnership_facilities)
        self.role_divisions = DataLoader(load_role_divisions)
        self.initiatives = DataLoader(load_initiatives)
        self.metrics = DataLoader(load_metrics)

    def facilities_in(self, flt: FacilityFilter | None) -> DataLoader[str, list[FacilityRow]]:
        """Facilities located in municipalities, one loader per distinct filter."""
        key = ("in", flt)
        if key not in self._by_filter:
            db, synthetic = self.db, self.synthetic

            async def load(codes: list[str]) -> list[list[FacilityRow]]:
                # Unknown codes in the filter are the client's mistake, as at the top level;
                # checked once per batch, not once per municipality.
                await facilities.check_references(db, flt, "filter")
                return _ordered(
                    await facilities.in_municipalities(db, codes, flt, synthetic), codes, []
                )

            self._by_filter[key] = DataLoader(load)
        loader: DataLoader[str, list[FacilityRow]] = self._by_filter[key]
        return loader

    def geometry(self, kind: str, simplify: float | None) -> DataLoader[Any, Any]:
        """Boundaries or service areas as GeoJSON, one loader per simplification."""
        key = (kind, simplify)
        if key not in self._by_filter:
            db = self.db

            async def load(keys: list[Any]) -> list[Any]:
                if kind == "boundary":
                    return _ordered(await municipalities.boundaries(db, keys, simplify), keys)
                return _ordered(await facilities.service_areas(db, keys, simplify), keys)

            self._by_filter[key] = DataLoader(load)
        loader: DataLoader[Any, Any] = self._by_filter[key]
        return loader


@dataclass
class Context:
    db: Database
    synthetic: bool
    loaders: Loaders
