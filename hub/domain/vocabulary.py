"""The closed vocabularies of the contract, each written once as a ``Literal`` type.

The seed-file models validate with the Literal types; the database CHECK constraints, the
filters and the GraphQL enums use the tuples derived from them, so a new value is added in
exactly one place.
"""

from __future__ import annotations

from typing import Literal, get_args

FacilityCategory = Literal[
    "CITIZEN_ACTIVITY",  # 市民活動支援
    "GENDER_EQUALITY",  # 男女共同参画
    "CONSUMER",  # 消費生活
    "PARK",  # 公園
    "INDUSTRY_VOCATIONAL",  # 職業能力開発・産業振興
    "PUBLIC_HOUSING",  # 公営住宅
]

OperatorLevel = Literal["PREFECTURE", "CITY", "MUNICIPALITY", "NPO", "OTHER"]

#: How exactly a facility's point is known: EXACT surveyed, BUILDING geocoded from its
#: address, WARD / MUNICIPALITY a representative point of that area, NONE no single site.
LocationPrecision = Literal["EXACT", "BUILDING", "WARD", "MUNICIPALITY", "NONE"]

InitiativeStatus = Literal["ACHIEVED", "PLANNED"]

Audience = Literal[
    "CITIZENS",
    "INTERMEDIARIES",
    "NPOS",
    "WOMEN",
    "CONSUMERS",
    "BUSINESSES",
    "TEACHERS",
    "GENERAL",
]

#: How precisely the documents date an event: a day, a month, a fiscal year (年度) or a year.
DatePrecision = Literal["DAY", "MONTH", "FISCAL_YEAR", "YEAR"]

MunicipalityType = Literal["市", "町", "村", "区"]

AuditAction = Literal["INSERT", "UPDATE", "ARCHIVE", "DELETE"]

TokenRole = Literal["ADMIN", "EDITOR"]

#: What a token may do beyond its role: ``bulk`` raises the page cap for bulk reads and
#: imports (DESIGN.md).
TokenScope = Literal["bulk"]

FACILITY_CATEGORIES: tuple[str, ...] = get_args(FacilityCategory)
OPERATOR_LEVELS: tuple[str, ...] = get_args(OperatorLevel)
LOCATION_PRECISIONS: tuple[str, ...] = get_args(LocationPrecision)
INITIATIVE_STATUSES: tuple[str, ...] = get_args(InitiativeStatus)
AUDIENCES: tuple[str, ...] = get_args(Audience)
DATE_PRECISIONS: tuple[str, ...] = get_args(DatePrecision)
MUNICIPALITY_TYPES: tuple[str, ...] = get_args(MunicipalityType)
AUDIT_ACTIONS: tuple[str, ...] = get_args(AuditAction)
TOKEN_ROLES: tuple[str, ...] = get_args(TokenRole)
TOKEN_SCOPES: tuple[str, ...] = get_args(TokenScope)
