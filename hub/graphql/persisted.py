"""The checks a query text passes before it is registered as an automatic persisted query.

A registered text is run later by its hash alone, by anyone, so it must pass the request
limits (hub.graphql.limits) when it is registered, not only when it runs: its length
(``max_persisted_query_length``), tokens, validity, and for each of its operations the
depth, aliases, geometry variants and estimated cost with the variables of the registering
request (a paging argument without a value counts at its largest page). Each run checks
its own variables again as any request does.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    get_variable_values,
    validate,
)

from hub.config import Settings
from hub.domain.errors import InputError
from hub.graphql.errors import TooComplex, client_error
from hub.graphql.limits import check_operation, parse_query


def registration_errors(settings: Settings, schema: GraphQLSchema, query: str,
                        variables: dict[str, Any] | None) -> list[GraphQLError]:
    """Why ``query`` may not be registered (typed errors, as the executor's), or nothing."""
    limit = settings.max_persisted_query_length
    if len(query) > limit:
        message = (f"The query is {len(query)} characters long; at most {limit} may be "
                   "registered as a persisted query.")
        return [GraphQLError(message, original_error=TooComplex(message, limit, len(query)))]
    try:
        document = parse_query(query, settings.max_tokens)
    except GraphQLError as error:
        return [error if error.original_error is not None else client_error(error)]
    invalid = validate(schema, document)
    if invalid:
        return [client_error(error) for error in invalid]
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        coerced = get_variable_values(schema, operation.variable_definitions or (),
                                      variables or {})
        if isinstance(coerced, list):
            return [client_error(error) for error in coerced]
        try:
            check_operation(settings, schema, document, operation, fragments, coerced)
        except (InputError, TooComplex) as exc:
            return [GraphQLError(str(exc), original_error=exc)]
    return []
