"""Activity areas (活動エリア) as the documents write them, turned into municipality codes.

The forms found in the table of support bases: ``全道`` (all of Hokkaido, also written
``全 道``), ``江別市内`` / ``白老町内`` (that one municipality), ``旭川・滝川`` (several, the
suffix 市/町/村 left out), ``北見市他`` (Kitami and unnamed others: the remark is kept and only
Kitami is covered). Parsing is separate from resolving names to codes so that the syntax can
be tested without a database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

WHOLE_PREFECTURE = ("全道", "道内", "道内一円", "道内全域", "北海道全域", "全道域")
_SEPARATORS = re.compile(r"[・、,/]|及び|および")
_OTHERS = ("他", "ほか", "等", "など")
_SUFFIXES = ("市", "町", "村", "区")


class ActivityAreaError(ValueError):
    """An activity area that cannot be read, or names a place that is not known."""


@dataclass(frozen=True)
class ActivityArea:
    """What an activity-area text says: all of Hokkaido, or named places plus a remark."""

    whole_prefecture: bool
    places: tuple[str, ...] = ()
    #: Words beyond the named places, e.g. 他 ("and others") in 北見市他.
    remark: str | None = None


def _normal(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def parse_activity_area(text: str) -> ActivityArea:
    normal = _normal(text)
    if not normal:
        raise ActivityAreaError("an activity area is empty")
    if normal in WHOLE_PREFECTURE:
        return ActivityArea(whole_prefecture=True)
    remark = None
    for word in _OTHERS:
        if normal.endswith(word) and len(normal) > len(word):
            normal, remark = normal[: -len(word)], word
            break
    places = []
    for part in _SEPARATORS.split(normal):
        if not part:
            raise ActivityAreaError(f"activity area {text!r} has an empty place between separators")
        if part.endswith("内") and part[:-1].endswith(_SUFFIXES):
            part = part[:-1]
        places.append(part)
    return ActivityArea(whole_prefecture=False, places=tuple(places), remark=remark)


def resolve_place(place: str, codes_by_name: Mapping[str, str]) -> str:
    """The code of one place name; ``旭川`` finds 旭川市 when only one suffix fits."""
    if place in codes_by_name:
        return codes_by_name[place]
    matches = sorted({codes_by_name[place + s] for s in _SUFFIXES if place + s in codes_by_name})
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ActivityAreaError(f"place {place!r} is ambiguous: it could be any of {matches}")
    raise ActivityAreaError(f"unknown place {place!r}")


def resolve_activity_area(
    text: str, codes_by_name: Mapping[str, str], all_codes: frozenset[str]
) -> frozenset[str]:
    """The municipality codes an activity area covers.

    ``codes_by_name`` maps names (江別市, 札幌市中央区, ...) to codes; ``all_codes`` is what
    全道 stands for. Unknown or ambiguous places raise ActivityAreaError naming the text.
    """
    area = parse_activity_area(text)
    if area.whole_prefecture:
        return all_codes
    try:
        return frozenset(resolve_place(place, codes_by_name) for place in area.places)
    except ActivityAreaError as exc:
        raise ActivityAreaError(f"activity area {text!r}: {exc}") from exc
