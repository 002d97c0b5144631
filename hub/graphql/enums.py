"""The contract's enums, and the name GeoJSON fields are annotated with, shared by types and
inputs. Strawberry needs the enums as classes, so their values are written out here; they
are those of hub.domain.vocabulary, which tests/graphql/test_schema.py holds them to. The
GeoJSON scalar itself (parsing, serialising) is defined in hub.graphql.schema."""

from __future__ import annotations

from enum import Enum
from typing import NewType

import strawberry

#: An RFC 7946 geometry object: a stand-in type that the schema maps to its GeoJSON scalar.
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


@strawberry.enum
class DatePrecision(Enum):
    """How precisely the source dates something: 平成29年8月 is MONTH, H27～ a FISCAL_YEAR."""

    DAY = "DAY"
    MONTH = "MONTH"
    FISCAL_YEAR = "FISCAL_YEAR"
    YEAR = "YEAR"


@strawberry.enum
class Audience(Enum):
    """Whom an event is for."""

    CITIZENS = "CITIZENS"
    INTERMEDIARIES = "INTERMEDIARIES"
    NPOS = "NPOS"
    WOMEN = "WOMEN"
    CONSUMERS = "CONSUMERS"
    BUSINESSES = "BUSINESSES"
    TEACHERS = "TEACHERS"
    GENERAL = "GENERAL"
