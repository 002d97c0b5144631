"""``--profile``: py-spy samples the hub's server processes while wrk drives one row, writes
a speedscope file (open it at https://www.speedscope.app or with ``speedscope``) and the
functions where the time goes are printed: by their own time (the leaf of each sample) and
by the time under them (inclusive). Sampling is non-blocking (py-spy does not pause the
workers), and the profiled run is an extra run, not one of the table's."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path


def start(pid: int, seconds: int, output: Path, native: bool = False
          ) -> subprocess.Popen[str]:
    """py-spy on the server and its workers; ``native`` adds the C frames (libpq, the
    event loop) but has to pause the processes to read them, which slows them."""
    spy = shutil.which("py-spy") or str(Path(__file__).resolve().parents[1] / ".venv/bin/py-spy")
    how = ["--native"] if native else ["--nonblocking"]
    return subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--subprocesses", *how, "--rate", "250",
         "--duration", str(seconds), "--format", "speedscope", "--output", str(output)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _short_file(file: str) -> str:
    for marker in ("site-packages/", "/wt-bench/", "/lib/python3.11/", "/lib/python3"):
        if marker in file:
            return file[file.index(marker) + len(marker):]
    return file


def _frame_name(frame: dict[str, object]) -> str:
    """The function and its file (py-spy gives a frame per line: they are summed)."""
    return f"{frame.get('name')} ({_short_file(str(frame.get('file', '')))})"


def _package(frame: dict[str, object]) -> str:
    """The top-level package of a frame's file (``asyncio``, ``psycopg``, ``hub``, ...)."""
    file = str(frame.get("file", ""))
    if ".so" in file:  # a C frame (--profile-native): the shared library
        return "native: " + file.rsplit("/", 1)[-1].split(".so", 1)[0]
    if file.endswith((".c", ".h")):  # a C frame with its source file
        return "native: " + file.rsplit("/", 1)[-1]
    if "site-packages/" in file:
        return file.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/hub/" in file:
        return "hub"
    short = _short_file(file)
    return "python: " + short.split("/", 1)[0].removesuffix(".py") if short else "native: ?"


def top(output: Path, n: int = 20) -> str:
    """What a speedscope file (all its processes) says: own time by package, the ``n``
    functions with the most own time (the leaf of the samples), and the hub's functions by
    the time under them (inclusive)."""
    data = json.loads(output.read_text())
    frames = data["shared"]["frames"]
    names = [_frame_name(frame) for frame in frames]
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0.0
    for profile in data["profiles"]:
        for stack, weight in zip(profile["samples"], profile["weights"], strict=True):
            if not stack:
                continue
            total += weight
            own[names[stack[-1]]] += weight
            packages[_package(frames[stack[-1]])] += weight
            for name in {names[i] for i in stack}:
                under[name] += weight
    if not total:
        return "no samples (is the hub busy? py-spy needs ptrace: run as root)"

    def share(weight: float) -> str:
        return f"{100 * weight / total:5.1f}%"

    lines = ["own time by package:"]
    lines += [f"  {share(w)}  {name}" for name, w in packages.most_common(n)]
    lines.append("functions by own time (the leaf of each sample):")
    lines += [f"  {share(w)}  {name}" for name, w in own.most_common(n)]
    lines.append("the hub's functions by the time under them (inclusive):")
    hub = [(name, w) for name, w in under.most_common() if name.endswith(".py)")
           and " (hub/" in name and not name.startswith(("main ", "serve ", "<module> "))]
    lines += [f"  {share(w)}  {name}" for name, w in hub[:n]]
    return "\n".join(lines)
