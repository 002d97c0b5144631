"""Synthetic facilities for benchmarks (``hub dev synth``): deterministic, flagged
``synthetic``, and only ever in a database that holds no real facilities, so that no
answer mixes the two: a hub serves them when pointed at that database (HUB_DATABASE_URL).

Points are spread over the municipalities in proportion to their population, each drawn
inside its municipality by PostGIS ST_GeneratePoints with a fixed seed, so the same count
and seed give the same facilities on any machine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from hub.db import migrate
from hub.domain import vocabulary as vocab
from hub.services.loading import load_all
from hub.services.loading.progress import Track, no_progress
from hub.services.loading.seed import load_services
from hub.services.loading.sync import audit

OPERATOR_CODE = "synthetic"


@dataclass(frozen=True)
class SynthResult:
    created: int
    removed: int


def shares(total: int, weights: dict[str, int]) -> dict[str, int]:
    """``total`` split in proportion to ``weights`` (largest remainders), deterministically."""
    weight_sum = sum(weights.values())
    if weight_sum <= 0:
        raise ValueError("no population to spread the facilities over: load it first")
    exact = {code: total * w / weight_sum for code, w in sorted(weights.items())}
    counts = {code: int(share) for code, share in exact.items()}
    short = total - sum(counts.values())
    by_remainder = sorted(exact, key=lambda c: (-(exact[c] - counts[c]), c))
    for code in by_remainder[:short]:
        counts[code] += 1
    return counts


def remove(conn: Connection, actor: str) -> int:
    removed = conn.execute(text("DELETE FROM facility WHERE synthetic")).rowcount
    if removed:
        audit(conn, "facility", "synthetic:*", "DELETE", actor, {"count": removed}, None)
    return int(removed)


class RealFacilitiesError(Exception):
    """The database holds real facilities: synthetic ones would be served beside them."""


def prepare(engine: Engine, boundaries: Path, population: Path, track: Track = no_progress,
            say: Callable[[str], None] = lambda _: None) -> None:
    """Bring a database to what synthetic facilities need: the schema, the municipalities
    and their population (loaded when missing: the facilities are spread over them) and the
    service vocabulary; nothing else of the seed set."""
    migrate.upgrade(engine)
    no_municipalities, _ = load_all.is_empty(engine)
    if no_municipalities:
        say("loading the boundaries and population the synthetic facilities are placed in")
        load_all.load(engine, boundaries=boundaries, population=population, track=track)
    load_services(engine)


def create(conn: Connection, count: int, seed: int, actor: str = "hub dev synth"
           ) -> SynthResult:
    """Replace the synthetic facilities with ``count`` new ones (one transaction); refused
    in a database with real facilities."""
    real = conn.execute(text("SELECT count(*) FROM facility WHERE NOT synthetic")).scalar_one()
    if real:
        raise RealFacilitiesError(
            f"this database holds {real} real facilities: synthetic ones go in a database of"
            " their own (hub dev synth --database NAME)"
        )
    removed = remove(conn, actor)
    units: dict[str, int] = dict(conn.execute(text(
        "SELECT code, population FROM municipality WHERE boundary IS NOT NULL"
        " AND NOT northern_territories AND code <> '01100' AND population > 0"
    )).all())
    counts = shares(count, units)
    operator_id = conn.execute(text(
        "INSERT INTO operator (code, name, name_en, level, note) VALUES (:code,"
        " '合成データ', 'Synthetic data', 'OTHER', 'Made by hub dev synth for benchmarks')"
        " ON CONFLICT (code) DO UPDATE SET name = excluded.name RETURNING id"
    ), {"code": OPERATOR_CODE}).scalar_one()
    categories = list(vocab.FACILITY_CATEGORIES)
    for code, n in counts.items():
        if n == 0:
            continue
        conn.execute(text(
            "INSERT INTO facility (code, name_ja, category, operator_id, municipality_code,"
            " location, location_precision, sources, synthetic)"
            " SELECT format('synth-%s-%s', m.code, p.path[1]),"
            "        format('合成施設 %s-%s', m.code, p.path[1]),"
            "        (CAST(:categories AS text[]))[1 + (p.path[1] % :ncat)], :op, m.code,"
            "        p.geom, 'EXACT',"
            "        ARRAY['synthetic: hub dev synth'], true"
            " FROM municipality m,"
            # ST_GeneratePoints may fall a point or two short on archipelagos: ask for
            # a few more and keep the first n.
            "      LATERAL (SELECT * FROM ST_Dump(ST_GeneratePoints(m.boundary, :ask, :seed))"
            "               ORDER BY path[1] LIMIT :n) AS p"
            " WHERE m.code = :code"
        ), {"code": code, "n": n, "ask": n + n // 50 + 3, "seed": seed, "op": operator_id,
            "categories": categories, "ncat": len(categories)})
    made = conn.execute(text("SELECT count(*) FROM facility WHERE synthetic")).scalar_one()
    if made != count:
        raise RuntimeError(f"generated {made} synthetic facilities instead of {count}")
    conn.execute(text(
        "INSERT INTO facility_service (facility_id, service_code)"
        " SELECT f.id, s.codes[1 + (abs(hashtext(f.code)) + k * 7) % array_length(s.codes, 1)]"
        " FROM facility f, (SELECT array_agg(code ORDER BY code) AS codes FROM service) s,"
        "      generate_series(0, 1) AS k"
        " WHERE f.synthetic AND array_length(s.codes, 1) > 0"
        " ON CONFLICT DO NOTHING"
    ))
    audit(conn, "facility", "synthetic:*", "INSERT", actor, None,
          {"count": count, "seed": seed})
    conn.execute(text("ANALYZE facility"))
    conn.execute(text("ANALYZE facility_service"))
    return SynthResult(created=count, removed=removed)
