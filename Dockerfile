# The hub as a container; docker-compose.yml pairs it with a PostGIS database.
# Untested here (no Docker engine on the build machines); see README.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml constraints.txt README.md alembic.ini ./
COPY hub ./hub
COPY migrations ./migrations
COPY geodata ./geodata
COPY schema ./schema
RUN pip install --no-cache-dir -c constraints.txt .
# MapLibre and GraphiQL from the npm registry, as pinned (none at page load: no CDN).
RUN python -m hub.web_assets
ENV HUB_HOST=0.0.0.0 HUB_PORT=8000
EXPOSE 8000
CMD ["hub", "serve"]
