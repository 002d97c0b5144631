"""Service areas cut into small parts (ST_Subdivide) for fast point-in-area lookups

A service area of all Hokkaido has some 244,000 vertices; testing a point against it costs
tens of milliseconds. Cut into parts of at most 256 vertices under a GIST index, the same
test touches a handful of small polygons. A trigger keeps the parts in step with
facility.service_area, whoever writes it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "facility_area_part",
        sa.Column("facility_id", sa.BigInteger(), nullable=False),
        sa.Column("geom", geoalchemy2.Geometry("POLYGON", srid=4326, spatial_index=False),
                  nullable=False),
        sa.ForeignKeyConstraint(["facility_id"], ["facility.id"], ondelete="CASCADE",
                                name=op.f("fk_facility_area_part_facility_id_facility")),
    )
    op.create_index("ix_facility_area_part_geom", "facility_area_part", ["geom"],
                    postgresql_using="gist")
    op.create_index("ix_facility_area_part_facility_id", "facility_area_part", ["facility_id"])
    op.execute(
        """
        CREATE FUNCTION facility_area_parts_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM facility_area_part WHERE facility_id = NEW.id;
            IF NEW.service_area IS NOT NULL THEN
                INSERT INTO facility_area_part (facility_id, geom)
                SELECT NEW.id, ST_Subdivide(NEW.service_area, 256);
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER facility_area_parts AFTER INSERT OR UPDATE OF service_area ON facility"
        " FOR EACH ROW EXECUTE FUNCTION facility_area_parts_refresh()"
    )
    op.execute(
        "INSERT INTO facility_area_part (facility_id, geom)"
        " SELECT id, ST_Subdivide(service_area, 256) FROM facility"
        " WHERE service_area IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS facility_area_parts ON facility")
    op.execute("DROP FUNCTION IF EXISTS facility_area_parts_refresh()")
    op.drop_table("facility_area_part")
