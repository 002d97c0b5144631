"""The hub's side of a row: wrk replaying the stream against ``hub serve``.

The Lua script sends one request per stream item in turn (a POST of the GraphQL operation
with the item's variables, or a GET of a tile), counts every answer that is not 2xx or whose
body holds ``"errors"`` (a GraphQL error answer is 200), and prints, when done, one JSON
line with the requests, the errors and the latency percentiles wrk measured."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.operations import Operation
from benchmarks.stream import Item

_LUA_TAIL = r"""
local n = 0
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  errors = 0
  first_error = ""
end
request = function()
  n = n % #requests + 1
  return requests[n]
end
response = function(status, headers, body)
  if status < 200 or status > 299 or string.find(body, '"errors"', 1, true) then
    errors = errors + 1
    if first_error == "" then first_error = status .. " " .. string.sub(body, 1, 300) end
  end
end
done = function(summary, latency, requests)
  local lua_errors = 0
  local sample = ""
  for _, thread in ipairs(threads) do
    lua_errors = lua_errors + thread:get("errors")
    local e = thread:get("first_error")
    if sample == "" and e ~= nil then sample = e end
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "bad_answers": %d, "non2xx": %d,' ..
    ' "socket_errors": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, lua_errors, e.status,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
  io.write("SAMPLE " .. string.gsub(sample, "[\r\n]", " ") .. "\n")
end
"""


def lua_script(op: Operation, items: Sequence[Item], zoom: int) -> str:
    lines = ["local requests = {}"]
    for item in items:
        if op.path is not None:
            path = op.path(item, zoom)
            lines.append(f"table.insert(requests, wrk.format('GET', [==[{path}]==]))")
        else:
            body = json.dumps({"query": op.query, "variables": op.variables(item)},
                              ensure_ascii=False)
            lines.append("table.insert(requests, wrk.format('POST', '/graphql',"
                         " {['Content-Type'] = 'application/json'}, [==[" + body + "]==]))")
    return "\n".join(lines) + _LUA_TAIL


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    errors: int
    p50: float
    p95: float
    p99: float
    sample: str

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def run(script: str, port: int, seconds: int, clients: int) -> LoadResult:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stream.lua"
        path.write_text(script)
        done = subprocess.run(
            ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s", "-s", str(path),
             f"http://127.0.0.1:{port}"], capture_output=True, text=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    data = json.loads(line[len("RESULT "):])
    sample = next((x[len("SAMPLE "):] for x in done.stdout.splitlines()
                   if x.startswith("SAMPLE ")), "")
    errors = int(data["bad_answers"]) + int(data["socket_errors"])
    return LoadResult(int(data["requests"]), int(data["duration_us"]) / 1e6, errors,
                      data["p50_us"] / 1000, data["p95_us"] / 1000, data["p99_us"] / 1000,
                      sample)
