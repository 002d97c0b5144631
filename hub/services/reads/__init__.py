"""Async reads for the API: each function takes the request path's database handle."""
