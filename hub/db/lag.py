"""How far a read replica is behind its primary, asked of the replica itself: the hook
``hub.api.metrics`` turns into the ``hub_db_replica_lag_seconds`` gauge."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from hub.db.pool import Database

#: 0 when the replica has replayed all the WAL it received (an idle primary sends none, so
#: the age of the last replayed transaction alone would grow without any lag); otherwise the
#: age of the last replayed transaction. NULL on a server that is not a replica.
LAG_SQL = """
SELECT CASE
         WHEN NOT pg_is_in_recovery() THEN NULL
         WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0.0
         ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8
       END AS lag_s
"""


def replica_lag(replica: Database) -> Callable[[], Awaitable[float | None]]:
    """The lag probe for ``create_app(replica_lag=...)``: one statement on the replica's pool
    per refresh (every ``HUB_METRICS_REFRESH_S`` and at each scrape)."""

    async def probe() -> float | None:
        row = await replica.fetch_one(LAG_SQL)
        value = row["lag_s"] if row else None
        return float(value) if value is not None else None

    return probe
