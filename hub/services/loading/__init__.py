"""Synchronous loading: data files into the database, audited and idempotent."""
