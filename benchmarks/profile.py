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


def start(pid: int, seconds: int, output: Path) -> subprocess.Popen[str]:
    spy = shutil.which("py-spy") or str(Path(__file__).resolve().parents[1] / ".venv/bin/py-spy")
    return subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--rate", "250",
         "--duration", str(seconds), "--format", "speedscope", "--output", str(output)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _frame_name(frame: dict[str, object]) -> str:
    file = str(frame.get("file", ""))
    for marker in ("site-packages/", "/hub/", "/lib/python3"):
        if marker in file:
            file = file[file.index(marker) + len(marker):]
            break
    return f"{frame.get('name')} ({file}:{frame.get('line', '?')})"


def top(output: Path, n: int = 20) -> str:
    """The text of the two top-``n`` lists of a speedscope file (all its processes)."""
    data = json.loads(output.read_text())
    frames = data["shared"]["frames"]
    own: Counter[int] = Counter()
    under: Counter[int] = Counter()
    total = 0.0
    for profile in data["profiles"]:
        for stack, weight in zip(profile["samples"], profile["weights"], strict=True):
            if not stack:
                continue
            total += weight
            own[stack[-1]] += weight
            for index in set(stack):
                under[index] += weight
    if not total:
        return "no samples (is the hub busy? py-spy needs ptrace: run as root)"
    lines = [f"{total:.0f} samples; own time (leaf of the sample):"]
    lines += [f"  {100 * w / total:5.1f}%  {_frame_name(frames[i])}" for i, w in own.most_common(n)]
    lines.append("time under (inclusive):")
    lines += [f"  {100 * w / total:5.1f}%  {_frame_name(frames[i])}"
              for i, w in under.most_common(n)]
    return "\n".join(lines)
