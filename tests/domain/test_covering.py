from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hub.domain.covering import greedy_cover

units = st.sampled_from([f"u{n}" for n in range(12)])
reach_maps = st.dictionaries(st.sampled_from([f"s{n}" for n in range(8)]),
                             st.lists(units, max_size=6), max_size=8)
populations = st.dictionaries(units, st.integers(0, 1000))


def test_a_small_case_by_hand() -> None:
    reach = {"a": ["x", "y"], "b": ["y", "z"], "c": ["z"]}
    population = {"x": 10, "y": 100, "z": 50}
    picks = greedy_cover(reach, population, 3)
    assert [(p.site, p.newly_covered, p.population) for p in picks] == [
        ("b", ("y", "z"), 150), ("a", ("x",), 10)]


@given(reach_maps, populations, st.integers(0, 5))
def test_greedy_picks_are_disjoint_decreasing_and_add_up(
    reach: dict[str, list[str]], population: dict[str, int], count: int
) -> None:
    picks = greedy_cover(reach, population, count)
    assert len(picks) <= count
    covered = [u for p in picks for u in p.newly_covered]
    assert len(covered) == len(set(covered))
    assert all(p.population == sum(population.get(u, 0) for u in p.newly_covered) > 0
               for p in picks)
    assert [p.population for p in picks] == sorted((p.population for p in picks), reverse=True)


@given(reach_maps, populations)
def test_the_first_pick_is_the_best_single_site(
    reach: dict[str, list[str]], population: dict[str, int]
) -> None:
    best = max((sum(population.get(u, 0) for u in set(v)) for v in reach.values()), default=0)
    picks = greedy_cover(reach, population, 1)
    assert (picks[0].population if picks else 0) == best
