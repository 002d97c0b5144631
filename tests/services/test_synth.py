"""hub dev synth: deterministic, flagged, inside Hokkaido's municipalities, and only in a
database without real facilities."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, text

from hub.services.loading import load_all, synth


@given(st.integers(0, 10_000),
       st.dictionaries(st.sampled_from("abcdefgh"), st.integers(1, 10**6), min_size=1))
def test_shares_add_up_and_follow_the_weights(total: int, weights: dict[str, int]) -> None:
    counts = synth.shares(total, weights)
    assert sum(counts.values()) == total
    weight_sum = sum(weights.values())
    for code, weight in weights.items():
        assert abs(counts[code] - total * weight / weight_sum) < 1


def _fingerprint(db: Connection) -> tuple[int, str, int]:
    count, digest, outside = db.execute(text(
        "SELECT count(*), md5(string_agg(code || ST_AsText(location) || category, ','"
        "  ORDER BY code)),"
        " count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM municipality m"
        "   WHERE m.code = f.municipality_code AND ST_Covers(m.boundary, f.location)))"
        " FROM facility f WHERE synthetic"
    )).one()
    return int(count), str(digest), int(outside)


@pytest.fixture
def synthetic_db(synthetic_engine: Engine) -> Iterator[Connection]:
    """A connection to the synthetic database whose every change is rolled back."""
    with synthetic_engine.connect() as conn:
        trans = conn.begin()
        try:
            yield conn
        finally:
            trans.rollback()


def test_the_same_seed_makes_the_same_facilities_inside_their_municipalities(
    synthetic_db: Connection
) -> None:
    db = synthetic_db
    synth.create(db, 500, seed=11)
    first = _fingerprint(db)
    synth.create(db, 500, seed=11)
    again = _fingerprint(db)
    synth.create(db, 500, seed=12)
    other = _fingerprint(db)
    assert first == again and first[0] == 500 and first[2] == 0
    assert other[1] != first[1], "another seed, other facilities"
    audit = db.execute(text(
        "SELECT after FROM audit_log WHERE row_key = 'synthetic:*' AND action = 'INSERT'"
        " ORDER BY id DESC LIMIT 1")).scalar_one()
    assert audit == {"count": 500, "seed": 12}


def test_synthetic_facilities_refuse_a_database_with_real_ones(seed_loaded: Engine,
                                                                db: Connection) -> None:
    with pytest.raises(synth.RealFacilitiesError, match="34 real facilities"):
        synth.create(db, 10, seed=1)
    assert db.execute(text("SELECT count(*) FROM facility WHERE synthetic")).scalar_one() == 0


def test_a_synthetic_database_is_not_empty(synthetic_engine: Engine) -> None:
    """So ``hub serve`` pointed at it does not load the seed set beside the synthetic ones."""
    assert load_all.is_empty(synthetic_engine) == (False, False)
