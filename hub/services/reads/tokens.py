"""Who a request's token belongs to, for the API's writes: one indexed statement through
the request pool."""

from __future__ import annotations

from hub.db.pool import Database
from hub.domain.tokens import Principal, same_hash

_PRINCIPAL = """
SELECT id, name, role, operator_id, scopes, secret_hash
FROM api_token
WHERE secret_hash = %(hash)s AND revoked_at IS NULL
"""


async def principal(db: Database, secret_hash: str) -> Principal | None:
    """The principal of the token in use with this secret hash; None for an unknown or a
    revoked token (the caller answers both alike)."""
    row = await db.fetch_one(_PRINCIPAL, {"hash": secret_hash})
    # The index finds the row by equality; the comparison that decides is constant-time.
    if row is None or not same_hash(row["secret_hash"], secret_hash):
        return None
    return Principal(token_id=int(row["id"]), name=row["name"], role=row["role"],
                     operator_id=row["operator_id"], scopes=frozenset(row["scopes"]))
