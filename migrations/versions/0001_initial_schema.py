"""initial schema: every table of the data model (see hub/db/models.py)

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('table_name', sa.Text(), nullable=False),
    sa.Column('row_key', sa.Text(), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('actor', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.CheckConstraint("action IN ('INSERT', 'UPDATE', 'ARCHIVE', 'DELETE')", name=op.f('ck_audit_log_action')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    op.create_index('ix_audit_log_at', 'audit_log', ['at'], unique=False)
    op.create_index('ix_audit_log_row', 'audit_log', ['table_name', 'row_key'], unique=False)
    op.create_table('municipality',
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('code6', sa.String(length=6), nullable=True),
    sa.Column('name_ja', sa.Text(), nullable=False),
    sa.Column('name_kana', sa.Text(), nullable=True),
    sa.Column('name_en', sa.Text(), nullable=True),
    sa.Column('municipality_type', sa.Text(), nullable=True),
    sa.Column('subprefecture', sa.Text(), nullable=False),
    sa.Column('gun', sa.Text(), nullable=True),
    sa.Column('parent_code', sa.String(length=5), nullable=True),
    sa.Column('northern_territories', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('population', sa.Integer(), nullable=True),
    sa.Column('population_year', sa.Integer(), nullable=True),
    sa.Column('population_as_of', sa.Date(), nullable=True),
    sa.Column('population_source', sa.Text(), nullable=True),
    sa.Column('area_km2', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('boundary', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('boundary_source', sa.Text(), nullable=True),
    sa.Column('representative_point', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), sa.Computed('ST_PointOnSurface(boundary)', persisted=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("code ~ '^[0-9]{5}$'", name=op.f('ck_municipality_code_5_digits')),
    sa.CheckConstraint("code6 IS NULL OR code6 ~ '^[0-9]{6}$'", name=op.f('ck_municipality_code6_6_digits')),
    sa.CheckConstraint("municipality_type IS NULL OR municipality_type IN ('市', '町', '村', '区')", name=op.f('ck_municipality_municipality_type')),
    sa.CheckConstraint('boundary IS NULL OR (ST_IsValid(boundary) AND NOT ST_IsEmpty(boundary))', name=op.f('ck_municipality_boundary_valid')),
    sa.CheckConstraint('code6 IS NULL OR left(code6, 5) = code', name=op.f('ck_municipality_code6_extends_code')),
    sa.CheckConstraint('parent_code IS NULL OR parent_code <> code', name=op.f('ck_municipality_not_own_parent')),
    sa.CheckConstraint('population IS NULL OR population >= 0', name=op.f('ck_municipality_population_not_negative')),
    sa.ForeignKeyConstraint(['parent_code'], ['municipality.code'], name=op.f('fk_municipality_parent_code_municipality'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_municipality')),
    sa.UniqueConstraint('code6', name=op.f('uq_municipality_code6'))
    )
    op.create_index('ix_municipality_boundary', 'municipality', ['boundary'], unique=False, postgresql_using='gist')
    op.create_index('ix_municipality_parent_code', 'municipality', ['parent_code'], unique=False)
    op.create_index('ix_municipality_representative_point', 'municipality', ['representative_point'], unique=False, postgresql_using='gist')
    op.create_index('ix_municipality_subprefecture', 'municipality', ['subprefecture'], unique=False)
    op.create_table('partnership',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('theme', sa.Text(), nullable=False),
    sa.Column('category', sa.Text(), nullable=False),
    sa.Column('directions', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('sources', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.CheckConstraint("category IN ('CITIZEN_ACTIVITY', 'GENDER_EQUALITY', 'CONSUMER', 'PARK', 'INDUSTRY_VOCATIONAL', 'PUBLIC_HOUSING')", name=op.f('ck_partnership_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partnership')),
    sa.UniqueConstraint('code', name=op.f('uq_partnership_code'))
    )
    op.create_table('service',
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('name_ja', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.CheckConstraint("code ~ '^[a-z][a-z0-9_]*$'", name=op.f('ck_service_code_format')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_service')),
    sa.UniqueConstraint('name_ja', name=op.f('uq_service_name_ja'))
    )
    op.create_table('initiative',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('partnership_id', sa.BigInteger(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('fiscal_year', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('sources', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.CheckConstraint("status IN ('ACHIEVED', 'PLANNED')", name=op.f('ck_initiative_status')),
    sa.CheckConstraint('fiscal_year IS NULL OR fiscal_year BETWEEN 1989 AND 2100', name=op.f('ck_initiative_fiscal_year_range')),
    sa.CheckConstraint('started_on IS NULL OR extract(day FROM started_on) = 1', name=op.f('ck_initiative_started_on_first_day')),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_initiative_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initiative')),
    sa.UniqueConstraint('code', name=op.f('uq_initiative_code'))
    )
    op.create_index('ix_initiative_partnership_id', 'initiative', ['partnership_id'], unique=False)
    op.create_table('operator',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=True),
    sa.Column('level', sa.Text(), nullable=False),
    sa.Column('municipality_code', sa.String(length=5), nullable=True),
    sa.Column('sources', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.CheckConstraint("code ~ '^[a-z0-9][a-z0-9_-]*$'", name=op.f('ck_operator_code_format')),
    sa.CheckConstraint("level IN ('PREFECTURE', 'CITY', 'MUNICIPALITY', 'NPO', 'OTHER')", name=op.f('ck_operator_level')),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'], name=op.f('fk_operator_municipality_code_municipality')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_operator')),
    sa.UniqueConstraint('code', name=op.f('uq_operator_code'))
    )
    op.create_table('role_division',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('partnership_id', sa.BigInteger(), nullable=False),
    sa.Column('area', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('position', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('sources', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_role_division_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_role_division'))
    )
    op.create_index('ix_role_division_partnership_id', 'role_division', ['partnership_id'], unique=False)
    op.create_table('api_token',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('secret_hash', sa.Text(), nullable=False),
    sa.Column('role', sa.Text(), nullable=False),
    sa.Column('operator_id', sa.BigInteger(), nullable=True),
    sa.Column('scopes', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role <> 'EDITOR' OR operator_id IS NOT NULL", name=op.f('ck_api_token_editor_has_operator')),
    sa.CheckConstraint("role IN ('ADMIN', 'EDITOR')", name=op.f('ck_api_token_role')),
    sa.CheckConstraint('revoked_at IS NULL OR revoked_at >= created_at', name=op.f('ck_api_token_revoked_after')),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], name=op.f('fk_api_token_operator_id_operator')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_api_token_secret_hash'))
    )
    op.create_table('facility',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('name_ja', sa.Text(), nullable=False),
    sa.Column('name_kana', sa.Text(), nullable=True),
    sa.Column('name_en', sa.Text(), nullable=True),
    sa.Column('category', sa.Text(), nullable=False),
    sa.Column('operator_id', sa.BigInteger(), nullable=False),
    sa.Column('municipality_code', sa.String(length=5), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('location', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('location_precision', sa.Text(), nullable=False),
    sa.Column('activity_area', sa.Text(), nullable=True),
    sa.Column('service_area', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('established_on', sa.Date(), nullable=True),
    sa.Column('legal_basis', sa.Text(), nullable=True),
    sa.Column('sources', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('synthetic', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(location IS NULL) = (location_precision = 'NONE')", name=op.f('ck_facility_location_matches_precision')),
    sa.CheckConstraint("category IN ('CITIZEN_ACTIVITY', 'GENDER_EQUALITY', 'CONSUMER', 'PARK', 'INDUSTRY_VOCATIONAL', 'PUBLIC_HOUSING')", name=op.f('ck_facility_category')),
    sa.CheckConstraint("code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]*$'", name=op.f('ck_facility_code_format')),
    sa.CheckConstraint("location_precision IN ('EXACT', 'BUILDING', 'WARD', 'MUNICIPALITY', 'NONE')", name=op.f('ck_facility_location_precision')),
    sa.CheckConstraint('location IS NULL OR (ST_X(location) BETWEEN -180 AND 180 AND ST_Y(location) BETWEEN -90 AND 90)', name=op.f('ck_facility_location_in_range')),
    sa.CheckConstraint('service_area IS NULL OR (ST_IsValid(service_area) AND NOT ST_IsEmpty(service_area))', name=op.f('ck_facility_service_area_valid')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_facility_version_positive')),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'], name=op.f('fk_facility_municipality_code_municipality')),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], name=op.f('fk_facility_operator_id_operator')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility')),
    sa.UniqueConstraint('code', name=op.f('uq_facility_code'))
    )
    op.create_index('ix_facility_category', 'facility', ['category'], unique=False)
    op.create_index('ix_facility_location', 'facility', ['location'], unique=False, postgresql_using='gist')
    op.create_index('ix_facility_municipality_code', 'facility', ['municipality_code'], unique=False)
    op.create_index('ix_facility_operator_id', 'facility', ['operator_id'], unique=False)
    op.create_index('ix_facility_service_area', 'facility', ['service_area'], unique=False, postgresql_using='gist')
    op.create_table('initiative_metric',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('initiative_id', sa.BigInteger(), nullable=False),
    sa.Column('period', sa.Text(), nullable=False),
    sa.Column('value', sa.Numeric(), nullable=False),
    sa.Column('unit', sa.Text(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('position', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.ForeignKeyConstraint(['initiative_id'], ['initiative.id'], name=op.f('fk_initiative_metric_initiative_id_initiative'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_initiative_metric'))
    )
    op.create_index('ix_initiative_metric_initiative_id', 'initiative_metric', ['initiative_id'], unique=False)
    op.create_table('alert',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('published_by_id', sa.BigInteger(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['published_by_id'], ['facility.id'], name=op.f('fk_alert_published_by_id_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert'))
    )
    op.create_index('ix_alert_published_at', 'alert', ['published_at'], unique=False)
    op.create_table('consultation',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('facility_id', sa.BigInteger(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('rule', sa.Text(), nullable=False),
    sa.Column('timezone', sa.Text(), server_default=sa.text("'Asia/Tokyo'"), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('reservation_required', sa.Boolean(), nullable=False),
    sa.Column('minutes_per_person', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('sources', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.CheckConstraint("rule LIKE '%%RRULE:%%'", name=op.f('ck_consultation_rule_has_rrule')),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_consultation_duration_positive')),
    sa.CheckConstraint('minutes_per_person IS NULL OR minutes_per_person > 0', name=op.f('ck_consultation_minutes_per_person')),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_consultation_facility_id_facility'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation')),
    sa.UniqueConstraint('code', name=op.f('uq_consultation_code'))
    )
    op.create_index('ix_consultation_facility_id', 'consultation', ['facility_id'], unique=False)
    op.create_table('event',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('code', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('date_precision', sa.Text(), server_default=sa.text("'DAY'"), nullable=False),
    sa.Column('recurrence', sa.Text(), nullable=True),
    sa.Column('venue_facility_id', sa.BigInteger(), nullable=True),
    sa.Column('sources', postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("date_precision IN ('DAY', 'MONTH', 'FISCAL_YEAR', 'YEAR')", name=op.f('ck_event_date_precision')),
    sa.CheckConstraint('ends_at >= starts_at', name=op.f('ck_event_ends_after_start')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_event_version_positive')),
    sa.ForeignKeyConstraint(['venue_facility_id'], ['facility.id'], name=op.f('fk_event_venue_facility_id_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event')),
    sa.UniqueConstraint('code', name=op.f('uq_event_code'))
    )
    op.create_index('ix_event_period', 'event', ['starts_at', 'ends_at'], unique=False)
    op.create_table('facility_service',
    sa.Column('facility_id', sa.BigInteger(), nullable=False),
    sa.Column('service_code', sa.Text(), nullable=False),
    sa.Column('source_text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_facility_service_facility_id_facility'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_code'], ['service.code'], name=op.f('fk_facility_service_service_code_service')),
    sa.PrimaryKeyConstraint('facility_id', 'service_code', name=op.f('pk_facility_service'))
    )
    op.create_index('ix_facility_service_service_code', 'facility_service', ['service_code'], unique=False)
    op.create_table('partnership_facility',
    sa.Column('partnership_id', sa.BigInteger(), nullable=False),
    sa.Column('facility_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_partnership_facility_facility_id_facility'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['partnership_id'], ['partnership.id'], name=op.f('fk_partnership_facility_partnership_id_partnership'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('partnership_id', 'facility_id', name=op.f('pk_partnership_facility'))
    )
    op.create_index('ix_partnership_facility_facility_id', 'partnership_facility', ['facility_id'], unique=False)
    op.create_table('role_division_facility',
    sa.Column('role_division_id', sa.BigInteger(), nullable=False),
    sa.Column('facility_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_role_division_facility_facility_id_facility'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['role_division_id'], ['role_division.id'], name=op.f('fk_role_division_facility_role_division_id_role_division'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('role_division_id', 'facility_id', name=op.f('pk_role_division_facility'))
    )
    op.create_table('alert_municipality',
    sa.Column('alert_id', sa.BigInteger(), nullable=False),
    sa.Column('municipality_code', sa.String(length=5), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], name=op.f('fk_alert_municipality_alert_id_alert'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['municipality_code'], ['municipality.code'], name=op.f('fk_alert_municipality_municipality_code_municipality')),
    sa.PrimaryKeyConstraint('alert_id', 'municipality_code', name=op.f('pk_alert_municipality'))
    )
    op.create_table('event_audience',
    sa.Column('event_id', sa.BigInteger(), nullable=False),
    sa.Column('audience', sa.Text(), nullable=False),
    sa.CheckConstraint("audience IN ('CITIZENS', 'INTERMEDIARIES', 'NPOS', 'WOMEN', 'CONSUMERS', 'BUSINESSES', 'TEACHERS', 'GENERAL')", name=op.f('ck_event_audience_audience')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_audience_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'audience', name=op.f('pk_event_audience'))
    )
    op.create_table('event_organizer',
    sa.Column('event_id', sa.BigInteger(), nullable=False),
    sa.Column('facility_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.CheckConstraint('position >= 0', name=op.f('ck_event_organizer_position_not_negative')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_organizer_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_event_organizer_facility_id_facility')),
    sa.PrimaryKeyConstraint('event_id', 'facility_id', name=op.f('pk_event_organizer'))
    )
    op.create_index('ix_event_organizer_facility_id', 'event_organizer', ['facility_id'], unique=False)
    # Name search (FacilityFilter.text): substring matches over every name, via trigrams.
    op.execute(
        "CREATE INDEX ix_facility_names_trgm ON facility USING gin "
        "((name_ja || ' ' || coalesce(name_kana, '') || ' ' || coalesce(name_en, ''))"
        " gin_trgm_ops)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_facility_names_trgm")
    op.drop_index('ix_event_organizer_facility_id', table_name='event_organizer')
    op.drop_table('event_organizer')
    op.drop_table('event_audience')
    op.drop_table('alert_municipality')
    op.drop_table('role_division_facility')
    op.drop_index('ix_partnership_facility_facility_id', table_name='partnership_facility')
    op.drop_table('partnership_facility')
    op.drop_index('ix_facility_service_service_code', table_name='facility_service')
    op.drop_table('facility_service')
    op.drop_index('ix_event_period', table_name='event')
    op.drop_table('event')
    op.drop_index('ix_consultation_facility_id', table_name='consultation')
    op.drop_table('consultation')
    op.drop_index('ix_alert_published_at', table_name='alert')
    op.drop_table('alert')
    op.drop_index('ix_initiative_metric_initiative_id', table_name='initiative_metric')
    op.drop_table('initiative_metric')
    op.drop_index('ix_facility_service_area', table_name='facility', postgresql_using='gist')
    op.drop_index('ix_facility_operator_id', table_name='facility')
    op.drop_index('ix_facility_municipality_code', table_name='facility')
    op.drop_index('ix_facility_location', table_name='facility', postgresql_using='gist')
    op.drop_index('ix_facility_category', table_name='facility')
    op.drop_table('facility')
    op.drop_table('api_token')
    op.drop_index('ix_role_division_partnership_id', table_name='role_division')
    op.drop_table('role_division')
    op.drop_table('operator')
    op.drop_index('ix_initiative_partnership_id', table_name='initiative')
    op.drop_table('initiative')
    op.drop_table('service')
    op.drop_table('partnership')
    op.drop_index('ix_municipality_subprefecture', table_name='municipality')
    op.drop_index('ix_municipality_representative_point', table_name='municipality', postgresql_using='gist')
    op.drop_index('ix_municipality_parent_code', table_name='municipality')
    op.drop_index('ix_municipality_boundary', table_name='municipality', postgresql_using='gist')
    op.drop_table('municipality')
    op.drop_index('ix_audit_log_row', table_name='audit_log')
    op.drop_index('ix_audit_log_at', table_name='audit_log')
    op.drop_table('audit_log')
