"""Where the files that ship with the hub are: the Alembic migrations, the seed data set and
the web pages' static files (hub/static).

They sit at the top of a checkout (migrations/, geodata/) and are installed inside the package
as ``hub.migrations`` and ``hub.geodata`` (pyproject.toml maps them), so the same lookup works
in a checkout, an editable install and a wheel started from any folder.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _folder(package: str) -> Path:
    # Both are regular packages on the file system (never zipped: setuptools installs
    # wheels unpacked), so the traversable is a real path Alembic and the loaders can use.
    return Path(str(files(package)))


MIGRATIONS_DIR = _folder("hub.migrations")
SEED_DIR = _folder("hub.geodata")

#: The web map's page, scripts and styles, and the front-end packages (vendor/) beside them.
STATIC_DIR = _folder("hub") / "static"
