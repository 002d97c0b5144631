"""The server's postmaster.pid, and telling a stale one from a live server."""

from __future__ import annotations

from pathlib import Path

from hub.localdb.errors import LocalDbError
from hub.localdb.state import ClusterFiles


def pid_in(pid_file: Path) -> int | None:
    try:
        first = pid_file.read_text().splitlines()[0]
        return int(first.strip())
    except (OSError, IndexError, ValueError):
        return None


def is_our_postmaster(pid: int, data_dir: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    words = [w.decode(errors="replace") for w in cmdline if w]
    return bool(words) and Path(words[0]).name in {"postgres", "postmaster"} and (
        str(data_dir) in words
    )


def check_pid_file(files: ClusterFiles) -> None:
    """Refuse a pid file that names a live process other than this cluster's server.

    PostgreSQL itself replaces a pid file whose process is gone; what it cannot tell apart
    is a pid reused by another program (common after a reboot), which it reports in a way
    that does not say what to do.
    """
    pid = pid_in(files.pid_file)
    if pid is None or not Path(f"/proc/{pid}").exists():
        return
    if not is_our_postmaster(pid, files.data):
        raise LocalDbError(
            f"stale pid file {files.pid_file}: process {pid} is not this cluster's server; "
            f"remove the file (rm {files.pid_file}) and run `hub db up` again"
        )
