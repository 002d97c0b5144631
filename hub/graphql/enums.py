"""The contract's enums and the GeoJSON scalar type, shared by types and inputs."""

from __future__ import annotations

from enum import Enum
from typing import NewType

import strawberry

#: An RFC 7946 geometry object; its scalar definition is in hub.graphql.schema.
GeoJSON = NewType("GeoJSON", object)


@strawberry.enum
class FacilityCategory(Enum):
    CITIZEN_ACTIVITY = "CITIZEN_ACTIVITY"
    GENDER_EQUALITY = "GENDER_EQUALITY"
    CONSUMER = "CONSUMER"
    PARK = "PARK"
    INDUSTRY_VOCATIONAL = "INDUSTRY_VOCATIONAL"
    PUBLIC_HOUSING = "PUBLIC_HOUSING"


@strawberry.enum
class OperatorLevel(Enum):
    PREFECTURE = "PREFECTURE"
    CITY = "CITY"
    MUNICIPALITY = "MUNICIPALITY"
    NPO = "NPO"
    OTHER = "OTHER"


@strawberry.enum
class LocationPrecision(Enum):
    EXACT = "EXACT"
    BUILDING = "BUILDING"
    WARD = "WARD"
    MUNICIPALITY = "MUNICIPALITY"
    NONE = "NONE"


@strawberry.enum
class InitiativeStatus(Enum):
    ACHIEVED = "ACHIEVED"
    PLANNED = "PLANNED"
