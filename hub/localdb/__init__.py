"""The embedded PostGIS cluster: ``hub db up | down | status | url``.

When HUB_DATABASE_URL is unset the hub keeps its own PostgreSQL cluster under HUB_HOME:
``initdb`` once, then ``pg_ctl`` to start and stop it on a localhost port. The tests start a
throwaway cluster through the very same functions, so what users run is what is tested.

Layout of HUB_HOME::

    cluster.json   port, password and owner of the cluster (mode 600 from creation)
    cluster.lock   held by ``up`` and ``down``, so only one runs at a time
    pg/data/       the PostgreSQL data folder (never deleted by the hub)
    pg/server.log  the server's log

The modules: ``install`` finds PostgreSQL and PostGIS, ``runas`` runs PostgreSQL's programs
as an unprivileged system user when the hub is root, ``state`` reads and writes
``cluster.json``, ``lock`` serializes ``up``/``down``, ``ports`` and ``pidfile`` guard the
start, and ``lifecycle`` is the commands. Each failure a user can fix raises
``LocalDbError`` with one line naming the fix.
"""

from hub.localdb.errors import LocalDbError, Report
from hub.localdb.install import PgInstall, check_postgis, find_postgres
from hub.localdb.lifecycle import (
    Status,
    database_url,
    down,
    status,
    throwaway_cluster,
    up,
    url,
)
from hub.localdb.lock import cluster_lock
from hub.localdb.ports import free_port
from hub.localdb.runas import RunAs
from hub.localdb.state import ClusterFiles, ClusterState, read_state, write_state

__all__ = [
    "ClusterFiles",
    "ClusterState",
    "LocalDbError",
    "PgInstall",
    "Report",
    "RunAs",
    "Status",
    "check_postgis",
    "cluster_lock",
    "database_url",
    "down",
    "find_postgres",
    "free_port",
    "read_state",
    "status",
    "throwaway_cluster",
    "up",
    "url",
    "write_state",
]
