"""A service area equal to another facility's takes a copy of that facility's parts

Five facilities of the seed set serve all of Hokkaido: one area of some 244,000 vertices
that ST_Subdivide needs about 2.5 s to cut, every time. The trigger of 0004 now looks for a
facility whose area is the same geometry (the bounding-box operator narrows it through the
GIST index, then exact equality decides) and copies its parts; any other area is cut as
before.

Revision ID: 0008_shared_area_parts
Revises: 0007_data_left_out
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008_shared_area_parts"
down_revision: str | None = "0007_data_left_out"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
        CREATE OR REPLACE FUNCTION facility_area_parts_refresh() RETURNS trigger
        LANGUAGE plpgsql AS $$
        DECLARE
            twin bigint;
        BEGIN
            DELETE FROM facility_area_part WHERE facility_id = NEW.id;
            IF NEW.service_area IS NULL THEN
                RETURN NULL;
            END IF;
            SELECT f.id INTO twin FROM facility f
             WHERE f.id <> NEW.id
               AND f.service_area ~= NEW.service_area
               AND f.service_area = NEW.service_area
               AND EXISTS (SELECT 1 FROM facility_area_part p WHERE p.facility_id = f.id)
             LIMIT 1;
            IF twin IS NOT NULL THEN
                INSERT INTO facility_area_part (facility_id, geom)
                SELECT NEW.id, geom FROM facility_area_part WHERE facility_id = twin;
            ELSE
                INSERT INTO facility_area_part (facility_id, geom)
                SELECT NEW.id, ST_Subdivide(NEW.service_area, 256);
            END IF;
            RETURN NULL;
        END $$
        """
    )


def downgrade() -> None:
    op.execute(
        """
        CREATE OR REPLACE FUNCTION facility_area_parts_refresh() RETURNS trigger
        LANGUAGE plpgsql AS $$
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
