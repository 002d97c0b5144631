"""The schema, with the protections every public GraphQL server needs: limits on depth,
aliases and tokens, cached parsing and validation, and error codes without stack traces."""

from __future__ import annotations

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from hub.graphql.coverage import CoverageQuery
from hub.graphql.enums import GeoJSON
from hub.graphql.errors import ErrorCodes
from hub.graphql.query import Query as ReadQuery

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 5_000

GEOJSON_SCALAR = strawberry.scalar(
    name="GeoJSON",
    description="An RFC 7946 geometry object, coordinates [lon, lat] in WGS 84.",
    serialize=lambda value: value,
    parse_value=lambda value: value,
)

@strawberry.type(name="Query")
class Query(ReadQuery, CoverageQuery):
    """Every read of the contract: facilities and their relations, and coverage."""


#: The limit rules are made once: the validation cache is keyed by the rule classes, and a
#: limiter built per request would make new ones each time and never hit the cache.
_LIMIT_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]

schema = strawberry.Schema(
    query=Query,
    config=StrawberryConfig(scalar_map={GeoJSON: GEOJSON_SCALAR}),
    extensions=[
        ErrorCodes,
        lambda: AddValidationRules(_LIMIT_RULES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        # Parsing and validation results are cached across requests (module-level LRU).
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
    ],
)
