"""Async reads for the API, each taking the database handle; the API calls them through
the provider (hub.services.reads.provider.Reads), which owns that handle."""
