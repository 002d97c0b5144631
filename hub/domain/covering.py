"""Choosing new sites: greedy maximal covering (MCLP), pure.

Given which candidate sites would reach which gap units, and each unit's population, pick
up to ``count`` sites one at a time, each covering the most population not yet covered.
Greedy is the standard heuristic for MCLP (within 1 - 1/e of the optimum); ties go to the
candidate listed first, so the answer is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Pick:
    site: str
    newly_covered: tuple[str, ...]
    population: int


def greedy_cover(reach: Mapping[str, Sequence[str]], population: Mapping[str, int],
                 count: int) -> list[Pick]:
    """``reach[site]`` lists the units a site would cover; at most ``count`` picks, each
    adding population (a pick that would add none is not made)."""
    covered: set[str] = set()
    picks: list[Pick] = []
    for _ in range(count):
        best: tuple[int, str, tuple[str, ...]] | None = None
        for site, units in reach.items():
            new = tuple(sorted(u for u in set(units) if u not in covered))
            gain = sum(population.get(u, 0) for u in new)
            if gain > 0 and (best is None or gain > best[0]):
                best = (gain, site, new)
        if best is None:
            break
        gain, site, new = best
        covered.update(new)
        picks.append(Pick(site, new, gain))
    return picks
