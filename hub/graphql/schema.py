"""The schema, with the protections every public GraphQL server needs: the request limits
of hub.graphql.limits (tokens, depth, aliases, cost, input sizes; parsing and validation
cached for short texts) and error codes without stack traces (hub.graphql.errors)."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from hub.config import Settings
from hub.graphql.coverage import CoverageQuery
from hub.graphql.enums import GeoJSON
from hub.graphql.errors import classify
from hub.graphql.events import EventMutation, EventsQuery
from hub.graphql.imports import ImportMutation
from hub.graphql.limits import executor_for, extension_for
from hub.graphql.live import AlertMutation, AlertsQuery, Subscription
from hub.graphql.mutations import FacilityMutation
from hub.graphql.query import Query as ReadQuery
from hub.graphql.routing import ReadRouting

GEOJSON_SCALAR = strawberry.scalar(
    name="GeoJSON",
    description="An RFC 7946 geometry object, coordinates [lon, lat] in WGS 84.",
    serialize=lambda value: value,
    parse_value=lambda value: value,
)

@strawberry.type(name="Query")
class Query(ReadQuery, CoverageQuery, EventsQuery, AlertsQuery):
    """Every read of the contract: facilities and their relations, coverage, events, alerts."""


@strawberry.type(name="Mutation")
class Mutation(FacilityMutation, EventMutation, AlertMutation, ImportMutation):
    """Every write: each needs a token (hub.graphql.auth)."""


class HubSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError],
                       execution_context: ExecutionContext | None = None) -> None:
        """Every error list passes here before it is returned: classified in place (and
        logged by classify), instead of strawberry's logging of each error with its
        traceback and the query text."""
        errors[:] = classify(errors)


def make_schema(settings: Settings) -> strawberry.Schema:
    """The schema with the request limits of ``settings``."""
    extensions: list[Any] = [extension_for(settings), ReadRouting]
    return HubSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(scalar_map={GeoJSON: GEOJSON_SCALAR}),
        extensions=extensions,
        execution_context_class=executor_for(settings),
    )


#: With the default limits: for exporting the SDL and for tests that execute directly.
schema = make_schema(Settings.model_construct())
