"""One code syntax for the seed files and the database (hub.domain.codes)

Facility codes were allowed upper-case letters and dots by the database but not by the seed
files; they now follow the one rule of every record code, lower-case letters, digits, - and
_. Partnership, initiative, consultation and event codes get the CHECK they lacked. The
patterns are written out here, as they stood at this revision, so that a later change of
hub.domain.codes needs a migration of its own.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORD_CODE = "code ~ '^[a-z0-9][a-z0-9_-]*$'"
NEW_CHECKS = ("partnership", "initiative", "consultation", "event")


def upgrade() -> None:
    op.drop_constraint(op.f("ck_facility_code_format"), "facility", type_="check")
    op.create_check_constraint(op.f("ck_facility_code_format"), "facility", RECORD_CODE)
    for table in NEW_CHECKS:
        op.create_check_constraint(op.f(f"ck_{table}_code_format"), table, RECORD_CODE)


def downgrade() -> None:
    for table in NEW_CHECKS:
        op.drop_constraint(op.f(f"ck_{table}_code_format"), table, type_="check")
    op.drop_constraint(op.f("ck_facility_code_format"), "facility", type_="check")
    op.create_check_constraint(
        op.f("ck_facility_code_format"), "facility", "code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]*$'"
    )
