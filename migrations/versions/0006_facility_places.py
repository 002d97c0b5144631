"""Facility places: 方書, postal code, phone, hours, closed days and URL, other names (aliases)

The columns follow the municipal standard data set 公共施設一覧 (方書, 電話番号, URL,
利用可能日時特記事項 from hours and closed days), all nullable: most facilities have no
public page stating them. ``facility_alias`` keeps the names pages use where they differ
from the documents' (nicknames such as CoCoDe), each with the page that says so. The
``dataset`` kinds gain ``facility_places``, the CSV of where the facilities are.

Revision ID: 0006_facility_places
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_facility_places"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_COLUMNS = ("building", "postal_code", "phone", "hours", "closed_days", "url")


def upgrade() -> None:
    for column in NEW_COLUMNS:
        op.add_column("facility", sa.Column(column, sa.Text(), nullable=True))
    op.create_table(
        "facility_alias",
        sa.Column("facility_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.CheckConstraint("name <> ''", name=op.f("ck_facility_alias_name_not_empty")),
        sa.ForeignKeyConstraint(["facility_id"], ["facility.id"], ondelete="CASCADE",
                                name=op.f("fk_facility_alias_facility_id_facility")),
        sa.PrimaryKeyConstraint("facility_id", "name", name=op.f("pk_facility_alias")),
    )
    op.drop_constraint(op.f("ck_dataset_kind"), "dataset", type_="check")
    op.create_check_constraint(
        op.f("ck_dataset_kind"), "dataset",
        "kind IN ('boundaries', 'population', 'facility_places')",
    )


def downgrade() -> None:
    op.execute("DELETE FROM dataset WHERE kind = 'facility_places'")
    op.drop_constraint(op.f("ck_dataset_kind"), "dataset", type_="check")
    op.create_check_constraint(
        op.f("ck_dataset_kind"), "dataset", "kind IN ('boundaries', 'population')"
    )
    op.drop_table("facility_alias")
    for column in reversed(NEW_COLUMNS):
        op.drop_column("facility", column)
