from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.codes import check_digit, code6, is_valid_code6


@pytest.mark.parametrize(
    ("code5", "expected"),
    # From DOMAIN.md and the 6-digit codes in ../shared/geodata (code6 of 江別市, 函館市).
    [("01100", "011002"), ("01101", "011011"), ("01217", "012173"), ("01202", "012025")],
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
