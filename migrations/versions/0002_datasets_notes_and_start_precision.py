"""datasets (attribution of loaded data), notes, and how precisely an initiative start is known

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('dataset',
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('sha256', sa.Text(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('attribution', sa.Text(), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('boundaries', 'population')", name=op.f('ck_dataset_kind')),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_dataset'))
    )
    op.add_column('event', sa.Column('note', sa.Text(), nullable=True))
    op.add_column('facility', sa.Column('note', sa.Text(), nullable=True))
    op.add_column('initiative', sa.Column('started_precision', sa.Text(), nullable=True))
    op.add_column('operator', sa.Column('note', sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f('ck_initiative_started_has_precision'), 'initiative',
        '(started_on IS NULL) = (started_precision IS NULL)',
    )
    op.create_check_constraint(
        op.f('ck_initiative_started_precision'), 'initiative',
        "started_precision IS NULL OR started_precision IN ('DAY', 'MONTH', 'FISCAL_YEAR', 'YEAR')",
    )


def downgrade() -> None:
    op.drop_column('operator', 'note')
    op.drop_constraint(op.f('ck_initiative_started_precision'), 'initiative', type_='check')
    op.drop_constraint(op.f('ck_initiative_started_has_precision'), 'initiative', type_='check')
    op.drop_column('initiative', 'started_precision')
    op.drop_column('facility', 'note')
    op.drop_column('event', 'note')
    op.drop_table('dataset')
