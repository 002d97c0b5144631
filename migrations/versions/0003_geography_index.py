"""GIST index on facility locations as geography, for exact geodesic radius searches

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE INDEX ix_facility_location_geography ON facility "
        "USING gist ((location::geography))"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_facility_location_geography")
