"""The closed vocabularies of the contract, as plain tuples.

The database CHECK constraints, the data-file validation and the GraphQL enums are all
built from these, so a new value is added in exactly one place.
"""

from __future__ import annotations

FACILITY_CATEGORIES: tuple[str, ...] = (
    "CITIZEN_ACTIVITY",  # 市民活動支援
    "GENDER_EQUALITY",  # 男女共同参画
    "CONSUMER",  # 消費生活
    "PARK",  # 公園
    "INDUSTRY_VOCATIONAL",  # 職業能力開発・産業振興
    "PUBLIC_HOUSING",  # 公営住宅
)

OPERATOR_LEVELS: tuple[str, ...] = ("PREFECTURE", "CITY", "MUNICIPALITY", "NPO", "OTHER")

#: How exactly a facility's point is known: EXACT surveyed, BUILDING geocoded from its
#: address, WARD / MUNICIPALITY a representative point of that area, NONE no single site.
LOCATION_PRECISIONS: tuple[str, ...] = ("EXACT", "BUILDING", "WARD", "MUNICIPALITY", "NONE")

INITIATIVE_STATUSES: tuple[str, ...] = ("ACHIEVED", "PLANNED")

AUDIENCES: tuple[str, ...] = (
    "CITIZENS",
    "INTERMEDIARIES",
    "NPOS",
    "WOMEN",
    "CONSUMERS",
    "BUSINESSES",
    "TEACHERS",
    "GENERAL",
)

#: How precisely the documents date an event: a day, a month, a fiscal year (年度) or a year.
DATE_PRECISIONS: tuple[str, ...] = ("DAY", "MONTH", "FISCAL_YEAR", "YEAR")

MUNICIPALITY_TYPES: tuple[str, ...] = ("市", "町", "村", "区")

AUDIT_ACTIONS: tuple[str, ...] = ("INSERT", "UPDATE", "ARCHIVE", "DELETE")

TOKEN_ROLES: tuple[str, ...] = ("ADMIN", "EDITOR")
