"""The seed data set (YAML); installed as the package data hub.geodata, so an installed
hub loads it wherever it runs. See README.md here."""
