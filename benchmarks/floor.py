"""The floor of a row: the SQL the hub sends for it, run by ``pgbench -M prepared`` at the
same concurrency over the same stream.

Which SQL: hub.graphql.compiled.sql_for(query, variables) when the compiled fast path plans
the operation (one statement that builds the answer), else the statements of the services
(benchmarks/operations.py). The stream's inputs vary per transaction: ``\\set i random(1,
N)`` picks an item and each input is ``(ARRAY[...])[:i]`` over the stream's column, a
constant folded once at prepare time; everything else is a literal (psycopg's sql.Literal).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from benchmarks.operations import Col, Operation, Statement
from benchmarks.stream import FIELDS, Item
from hub.config import get_settings

SqlFor = Callable[[str, dict[str, Any] | None], tuple[str, dict[str, Any]] | None]


def compiled_sql_for() -> SqlFor | None:
    """The compiled fast path's planner, when this hub has one and serves with it
    (HUB_COMPILED_QUERIES=false sends everything through the executor: then the floor is
    the services' SQL too)."""
    if not get_settings().compiled_queries:
        return None
    try:
        from hub.graphql import compiled  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return None
    sql_for: SqlFor = compiled.sql_for
    return sql_for


@dataclass(frozen=True)
class Script:
    text: str
    source: str  # "compiled" (sql_for) or "services"
    statements: int


def _column(items: Sequence[Item], field: str, conn: psycopg.Connection[Any]) -> str:
    values = [getattr(item, field) for item in items]
    array = sql.SQL("CAST({} AS {}[])").format(sql.Literal(values), sql.SQL(FIELDS[field]))
    return f"({array.as_string(conn)})[:i]"


def _render(statement: Statement, items: Sequence[Item], conn: psycopg.Connection[Any]) -> str:
    query, params = statement
    text = query if isinstance(query, str) else query.as_string(conn)

    def value(name: str) -> str:
        param = params[name]
        if isinstance(param, Col):
            column = _column(items, param.field, conn)
            return f"ARRAY[{column}]" if param.array else column
        return sql.Literal(param).as_string(conn)

    text = re.sub(r"%\((\w+)\)s|%%",
                  lambda m: "%" if m.group(0) == "%%" else value(m.group(1)), text)
    return " ".join(text.split()) + ";"


def _by_value(params: dict[str, Any], item: Item) -> dict[str, Any]:
    """sql_for's parameters with the ones carrying the sample item's inputs named as stream
    columns (matched by value: the floats of a point and a code are distinct enough; an
    integer such as ``first`` could equal an id by chance, so integers stay literals)."""
    known: dict[float | str, str] = {}
    for field in FIELDS:
        value = getattr(item, field)
        if isinstance(value, float | str):
            known.setdefault(value, field)

    def varies(value: object) -> bool:
        return isinstance(value, float | str) and value in known

    named: dict[str, Any] = {}
    for name, value in params.items():
        if varies(value):
            named[name] = Col(known[value])
        elif isinstance(value, list) and value and all(varies(v) for v in value):
            named[name] = [Col(known[v]) for v in value]
        else:
            named[name] = value
    return named


def _render_compiled(text: str, params: dict[str, Any], items: Sequence[Item],
                     conn: psycopg.Connection[Any]) -> str:
    lists = {k: v for k, v in params.items() if isinstance(v, list) and v
             and all(isinstance(c, Col) for c in v)}
    plain = {k: v for k, v in params.items() if k not in lists}
    for name, cols in lists.items():
        array = "ARRAY[" + ", ".join(_column(items, c.field, conn) for c in cols) + "]"
        text = text.replace(f"%({name})s", array)
    return _render((text, plain), items, conn)


def script(op: Operation, items: Sequence[Item], zoom: int, url: str,
           sql_for: SqlFor | None) -> Script:
    with psycopg.connect(url) as conn:
        planned = None
        if sql_for is not None and op.query is not None:
            planned = sql_for(op.query, op.variables(items[0]))
        if planned is not None:
            text, params = planned
            body = _render_compiled(text, _by_value(params, items[0]), items, conn)
            source, count = "compiled", 1
        else:
            statements = op.fallback(zoom)
            body = "\n".join(_render(s, items, conn) for s in statements)
            source, count = "services", len(statements)
    return Script(f"\\set i random(1, {len(items)})\n{body}\n", source, count)


@dataclass(frozen=True)
class FloorResult:
    tps: float
    avg_ms: float
    p50: float
    p99: float


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else 0.0


def run(text: str, url: str, seconds: int, warmup: int, clients: int) -> FloorResult:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "floor.sql"
        path.write_text(text)
        base = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "2",
                "-f", str(path)]
        subprocess.run([*base, "-T", str(warmup), url], capture_output=True, text=True,
                       check=True)
        done = subprocess.run([*base, "-T", str(seconds), "--log", "--log-prefix",
                               str(Path(tmp) / "log"), url],
                              capture_output=True, text=True, cwd=tmp)
        if done.returncode != 0:
            raise SystemExit(f"pgbench failed:\n{done.stderr[-3000:]}")
        out = done.stdout
        latencies = [int(line.split()[2]) / 1000.0 for log in Path(tmp).glob("log*")
                     for line in log.read_text().splitlines()]
    tps = re.search(r"tps = ([\d.]+) \(without initial", out)
    avg = re.search(r"latency average = ([\d.]+) ms", out)
    return FloorResult(float(tps.group(1)) if tps else 0.0, float(avg.group(1)) if avg else 0.0,
                       percentile(latencies, 50), percentile(latencies, 99))
