"""Which database an operation reads from when a read replica is configured
(HUB_DATABASE_READ_URL): anonymous queries go to the replica; everything that must see its
own writes goes to the primary.

A streaming replica lags the primary by a few milliseconds to seconds, so a read that follows
a write may not find it there. The primary therefore serves:

- mutations, whole: the token check, the write (hub.services.writes, its own connections)
  and the object the mutation returns, with every nested field of it, so the answer shows
  the write it made;
- subscriptions: an event names a row that was written a moment ago (NOTIFY comes from the
  primary), so the row is read where it was written;
- any request with an ``Authorization`` header: a writer who reads right after writing
  (``facilityHistory`` after ``updateFacility``) sees the write. Writers are few; the
  anonymous public, who never write, is what the replica takes.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from hub.graphql.context import Context, Loaders


def needs_primary(operation: OperationType, has_token: bool) -> bool:
    """Whether an operation must read from the primary (see the module's docstring)."""
    return operation is not OperationType.QUERY or has_token


class ReadRouting(SchemaExtension):
    """Points the context at the primary's reads before an operation that needs them runs;
    the context starts on the replica's (HubGraphQL.get_context)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context) and context.primary is not None \
                and context.reads is not context.primary:
            request = context.request
            has_token = request is not None and "authorization" in request.headers
            if needs_primary(self.execution_context.operation_type, has_token):
                context.reads = context.primary
                context.loaders = Loaders(context.primary)
        yield
