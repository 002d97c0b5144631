"""Reports planners take away: CSV, GeoJSON, PNG, each with its credits."""
