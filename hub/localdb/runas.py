"""Running PostgreSQL's programs as an unprivileged system user when the hub runs as root.

PostgreSQL refuses to run as root, so a root hub runs them as HUB_DB_OS_USER (created when
missing); anyone else runs them as themselves.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from hub.localdb.errors import LocalDbError, Report


@dataclass(frozen=True)
class RunAs:
    """Who runs PostgreSQL's programs: ourselves, or a system user when we are root."""

    user: str | None
    uid: int | None = None
    gid: int | None = None

    def run(
        self, cmd: list[str], *, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run ``cmd`` with a minimal environment; a failure becomes its last line of output,
        which is where PostgreSQL's programs say what went wrong."""
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
        if self.user is not None:
            env["HOME"] = "/"
            env["USER"] = self.user
        result = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            env=env,
            cwd="/",
            user=self.uid,
            group=self.gid,
            extra_groups=[] if self.uid is not None else None,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            last = detail[-1] if detail else f"exit code {result.returncode}"
            raise LocalDbError(f"{Path(cmd[0]).name} failed: {last}")
        return result


def ensure_os_user(name: str, report: Report) -> RunAs:
    """As root, the system user to run PostgreSQL as (created when missing)."""
    if os.geteuid() != 0:
        return RunAs(None)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        subprocess.run(
            [useradd, "--system", "--user-group", "--no-create-home",
             "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
            check=True, capture_output=True,
        )
        report(f"created system user {name!r} to run PostgreSQL")
        entry = pwd.getpwnam(name)
    return RunAs(name, entry.pw_uid, entry.pw_gid)


def existing_os_user(name: str | None) -> RunAs:
    """Who runs an existing cluster's programs, without creating anybody: for read-only
    questions such as ``hub db status``."""
    if name is None or os.geteuid() != 0:
        return RunAs(None)
    try:
        entry = pwd.getpwnam(name)
    except KeyError as exc:
        raise LocalDbError(
            f"the cluster belongs to system user {name!r}, which no longer exists: "
            "run `hub db up` to create it again"
        ) from exc
    return RunAs(name, entry.pw_uid, entry.pw_gid)
