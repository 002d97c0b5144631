from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.activity_area import (
    ActivityAreaError,
    parse_activity_area,
    resolve_activity_area,
)

# A few real names and codes (../shared/geodata), enough for the forms in the documents.
NAMES = {
    "江別市": "01217", "旭川市": "01204", "滝川市": "01225", "北見市": "01208",
    "白老町": "01578", "芽室町": "01637", "札幌市": "01100", "札幌市中央区": "01101",
    "伊達市": "01233", "森町": "01345",
}
ALL = frozenset(NAMES.values())


@pytest.mark.parametrize(
    ("text", "codes", "remark"),
    [
        ("全道", ALL, None),
        ("全 道", ALL, None),
        ("江別市内", {"01217"}, None),
        ("白老町内", {"01578"}, None),
        ("旭川・滝川", {"01204", "01225"}, None),
        ("北見市他", {"01208"}, "他"),
        ("札幌市内", {"01100"}, None),
        ("札幌市中央区内", {"01101"}, None),
        ("森町内", {"01345"}, None),
    ],
)
def test_the_forms_of_the_documents(text: str, codes: set[str], remark: str | None) -> None:
    assert resolve_activity_area(text, NAMES, ALL) == codes
    assert parse_activity_area(text).remark == remark


@pytest.mark.parametrize("text", ["函館市内", "東京", "旭川・", "", "・滝川"])
def test_unknown_or_malformed_places_name_the_text(text: str) -> None:
    with pytest.raises(ActivityAreaError) as caught:
        resolve_activity_area(text, NAMES, ALL)
    if text:
        assert repr(text) in str(caught.value) or "empty" in str(caught.value)


names = st.sampled_from(sorted(NAMES))


@given(st.lists(names, min_size=1, max_size=4), st.sampled_from(["・", "、", ","]))
def test_any_list_of_known_names_resolves_to_their_codes(chosen: list[str], sep: str) -> None:
    assert resolve_activity_area(sep.join(chosen), NAMES, ALL) == {NAMES[n] for n in chosen}


@given(names, st.booleans(), st.booleans())
def test_suffix_within_and_others_do_not_change_the_place(
    name: str, within: bool, others: bool
) -> None:
    text = name + ("内" if within else "") + ("他" if others else "")
    assert resolve_activity_area(text, NAMES, ALL) == {NAMES[name]}
    assert (parse_activity_area(text).remark == "他") is others


@given(names, st.lists(st.sampled_from([" ", "\u3000", "\n"]), max_size=3))
def test_whitespace_anywhere_is_ignored(name: str, spaces: list[str]) -> None:
    text = "".join(spaces) + name[:1] + "".join(spaces) + name[1:] + "内"
    assert resolve_activity_area(text, NAMES, ALL) == {NAMES[name]}


@given(st.text(alphabet="アイウエオカキクケコ", min_size=1, max_size=6))
def test_text_that_names_no_known_place_is_never_silently_accepted(text: str) -> None:
    with pytest.raises(ActivityAreaError):
        resolve_activity_area(text, NAMES, ALL)
