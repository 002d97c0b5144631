"""The GraphQL schema. Later issues add the contract's queries; for now it answers
``{ __typename }`` and says which version of the hub is serving."""

from __future__ import annotations

from importlib.metadata import version

import strawberry


@strawberry.type
class Query:
    @strawberry.field(description="Version of the hub package serving this API.")
    def hub_version(self) -> str:
        return version("hub")


schema = strawberry.Schema(query=Query)
