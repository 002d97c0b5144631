"""What the documents say that the data left out: a partnership's working group and note,
planned (開催予定) figures of an initiative, and figures of a facility itself (貸室利用率)

Revision ID: 0007_data_left_out
Revises: 0006_facility_places
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_data_left_out"
down_revision: str | None = "0006_facility_places"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("partnership", sa.Column("working_group", sa.Text(), nullable=True))
    op.add_column("partnership", sa.Column("note", sa.Text(), nullable=True))
    op.add_column(
        "initiative_metric",
        sa.Column("planned", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_table(
        "facility_metric",
        sa.Column("facility_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("qualifier", sa.Text(), nullable=True),
        sa.Column("period", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facility.id"], ondelete="CASCADE",
            name=op.f("fk_facility_metric_facility_id_facility"),
        ),
        sa.PrimaryKeyConstraint("facility_id", "position", name=op.f("pk_facility_metric")),
    )


def downgrade() -> None:
    op.drop_table("facility_metric")
    op.drop_column("initiative_metric", "planned")
    op.drop_column("partnership", "note")
    op.drop_column("partnership", "working_group")
