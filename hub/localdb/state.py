"""What the hub remembers about its cluster between runs: ``cluster.json`` and the paths of
one cluster under HUB_HOME.

``cluster.json`` holds the only copy of the generated password (the server keeps just a
scram verifier), so it is written 0600 from the first byte and replaced atomically: a crash
never leaves the password world-readable, nor a half-written file.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import ClassVar

from pydantic import ConfigDict, TypeAdapter, ValidationError

from hub.localdb.errors import LocalDbError

OWNER_ROLE = "hub"


@dataclass(frozen=True)
class ClusterFiles:
    """The paths of one cluster under its home folder."""

    home: Path

    @property
    def state(self) -> Path:
        return self.home / "cluster.json"

    @property
    def lock(self) -> Path:
        return self.home / "cluster.lock"

    @property
    def pg_dir(self) -> Path:
        return self.home / "pg"

    @property
    def data(self) -> Path:
        return self.pg_dir / "data"

    @property
    def log(self) -> Path:
        return self.pg_dir / "server.log"

    @property
    def pid_file(self) -> Path:
        return self.data / "postmaster.pid"

    def holds_cluster(self) -> bool:
        """Whether the data folder is a PostgreSQL cluster (initdb writes PG_VERSION first)."""
        return (self.data / "PG_VERSION").exists()

    def cluster_version(self) -> int | None:
        """The major version the cluster was made with, read from the cluster itself."""
        try:
            return int((self.data / "PG_VERSION").read_text().strip())
        except (OSError, ValueError):
            return None


@dataclass
class ClusterState:
    """What ``cluster.json`` remembers between runs (checked strictly when read: a value of
    the wrong type or an unknown key means the file is not what the hub wrote)."""

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(strict=True, extra="forbid")

    port: int
    password: str
    version: int
    os_user: str | None
    database: str

    def url(self) -> str:
        return (
            f"postgresql://{OWNER_ROLE}:{self.password}@127.0.0.1:{self.port}/{self.database}"
        )


_STATE = TypeAdapter(ClusterState)


def read_state(files: ClusterFiles) -> ClusterState | None:
    """The remembered state, or None before the first ``hub db up``.

    A damaged file is a ``LocalDbError`` naming the file and the two ways out, never a raw
    JSONDecodeError: the password cannot be recovered from the server.
    """
    try:
        raw = files.state.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return _STATE.validate_json(raw)
    except ValidationError as exc:  # also what bad JSON and bad UTF-8 raise
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise _damaged(files, f"{where}: {first['msg']}" if where else first["msg"]) from exc


def _damaged(files: ClusterFiles, reason: str) -> LocalDbError:
    return LocalDbError(
        f"{files.state} is damaged ({reason}): restore it from a backup, or start a new "
        f"empty cluster with `hub db down; mv {files.data} {files.data}.old; "
        f"rm {files.state}; hub db up`"
    )


def write_state(files: ClusterFiles, state: ClusterState) -> None:
    write_private(files.state, json.dumps(asdict(state), indent=2) + "\n")


def write_private(path: Path, text: str, *, uid: int | None = None, gid: int | None = None) -> None:
    """Write ``path`` atomically, readable by its owner only from creation on.

    The bytes go to a fresh temporary file made with mode 0600 (O_EXCL: never one somebody
    else prepared), are fsynced, and the file is renamed over ``path``. ``uid``/``gid`` hand
    it to the system user that runs PostgreSQL before any secret is written.
    """
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            if uid is not None and gid is not None:
                os.fchown(fh.fileno(), uid, gid)
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
