"""CPU time of a process tree from /proc: the hub server with its worker processes, or the
PostgreSQL postmaster with its backends. Read before and after a run, the difference over
the requests is the CPU each request cost there."""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a live process: its user and system time and that of
    its children that ended and were waited for (so that a worker or a backend ending
    between two readings keeps its time in the tree's sum)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "; fields[0] is state
    return int(fields[1]), sum(int(f) for f in fields[11:15]) / _TICK


def tree_cpu_seconds(root: int) -> float:
    """utime + stime of ``root`` and every descendant, alive or ended."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = stat
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
        todo += children.get(pid, [])
    return total


def descendants(root: int) -> list[int]:
    found: list[int] = []
    todo = [root]
    while todo:
        pid = todo.pop()
        try:
            listed = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            listed = []
        found += [int(p) for p in listed]
        todo += [int(p) for p in listed]
    return found
