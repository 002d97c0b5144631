"""The Alembic migrations; installed as the package data hub.migrations."""
