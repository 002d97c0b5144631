"""One ``hub db up``/``down`` at a time per cluster: an exclusive file lock on
HUB_HOME/cluster.lock.

Every ``hub serve`` starts the cluster when needed, so two processes racing through initdb
(or one stopping it while another starts it) is an ordinary event, not a corner case. The
lock is an flock: the kernel drops it when its holder dies, so a crash never leaves it stuck.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator

from hub.localdb.errors import LocalDbError, Report
from hub.localdb.state import ClusterFiles

_POLL_SECONDS = 0.1


@contextlib.contextmanager
def cluster_lock(
    files: ClusterFiles,
    report: Report,
    timeout: float,
) -> Iterator[None]:
    """Hold the cluster's lock for the block, waiting at most ``timeout`` seconds for it
    (HUB_DB_LOCK_TIMEOUT_S)."""
    files.home.mkdir(parents=True, exist_ok=True)
    fd = os.open(files.lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + timeout
        waiting = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LocalDbError(
                        f"another `hub db up`/`down` has held {files.lock} for over "
                        f"{timeout:g} s: wait for it to finish (`fuser -v {files.lock}` "
                        "shows which process it is) and run the command again"
                    ) from None
                if not waiting:
                    report(f"waiting for another `hub db up`/`down` on {files.home}")
                    waiting = True
                time.sleep(_POLL_SECONDS)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the lock
