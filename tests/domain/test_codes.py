from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.config import Settings
from hub.domain.codes import (
    FACILITY_CODE,
    MUNICIPALITY_CODE,
    SERVICE_CODE,
    CodeSyntax,
    check_digit,
    code6,
    is_valid_code6,
)


@pytest.mark.parametrize(
    ("code5", "expected"),
    # From DOMAIN.md and the 6-digit codes in ../shared/geodata (code6 of 江別市, 函館市);
    # 010006 is 北海道 itself (the prefecture's 01000), as 公共施設一覧 files write it.
    [("01100", "011002"), ("01101", "011011"), ("01217", "012173"), ("01202", "012025"),
     ("01000", "010006")],
)
def test_known_codes(code5: str, expected: str) -> None:
    assert code6(code5) == expected


@pytest.mark.parametrize("bad", ["0110", "011000", "0110a", "０１１００", ""])
def test_malformed_codes_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="5 digits"):
        check_digit(bad)


@given(st.from_regex(r"\A[0-9]{5}\Z"))
def test_every_code6_validates_and_any_other_last_digit_does_not(code5: str) -> None:
    full = code6(code5)
    assert is_valid_code6(full)
    wrong = [d for d in "0123456789" if d != full[5]]
    assert not any(is_valid_code6(code5 + d) for d in wrong)


@pytest.mark.parametrize(
    ("syntax", "good", "bad"),
    [
        (FACILITY_CODE, ["base-ebetsu-ai", "0-a_b", "a"], ["", "Base", "-a", "a.b", "a b", "a\n"]),
        (SERVICE_CODE, ["training", "it_support"], ["", "1st", "a-b", "Training", "_a", "a\n"]),
        (MUNICIPALITY_CODE, ["01100"], ["0110", "011000", "０１１００", "01100\n"]),
    ],
)
def test_a_code_matches_its_pattern_whole(syntax: CodeSyntax, good: list[str], bad: list[str]
                                          ) -> None:
    """Whole, as PostgreSQL's ``~ '^...$'`` does: Python's ``$`` alone would let a trailing
    newline through."""
    assert all(syntax.matches(code) for code in good)
    assert not any(syntax.matches(code) for code in bad)


def test_a_bad_code_is_refused_with_the_rule_in_words() -> None:
    with pytest.raises(ValueError, match=r"'Base' is not a valid facility code \(lower-case"):
        FACILITY_CODE.validate("Base")
    assert FACILITY_CODE.validate("base") == "base"


def test_the_check_sql_carries_the_pattern() -> None:
    assert SERVICE_CODE.check_sql("code") == "code ~ '^[a-z][a-z0-9_]*$'"


def test_every_published_code6_of_the_geodata_is_computed() -> None:
    """The 6-digit codes ../shared/geodata carries as published (code6_source) for all 194
    municipalities and wards: the check digit computed agrees with each."""
    path = Settings().geodata_dir / "hokkaido_municipalities.geojson"
    published = {f["properties"]["code"]: f["properties"]["code6"]
                 for f in json.loads(path.read_text())["features"]}
    assert len(published) == 194
    assert {code: code6(code) for code in published} == published
