"""Writes of the API: one transaction and one audit row each."""
