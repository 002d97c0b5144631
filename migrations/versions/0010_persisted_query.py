"""The table ``persisted_query``: the query texts of automatic persisted queries (Apollo's
APQ protocol on /graphql), by the SHA-256 of their text.

In the database rather than in each process, so that a query registered through one hub
process (or machine) is known to every other behind the same load balancer. A row is
never changed: the same hash always names the same text.

Revision ID: 0010_persisted_query
Revises: 0009_public_views
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010_persisted_query"
down_revision: str | None = "0009_public_views"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("""
        CREATE TABLE persisted_query (
            sha256 text NOT NULL,
            query text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_persisted_query PRIMARY KEY (sha256),
            CONSTRAINT ck_persisted_query_sha256_hex CHECK (sha256 ~ '^[0-9a-f]{64}$')
        )
    """)


def downgrade() -> None:
    op.execute("DROP TABLE persisted_query")
