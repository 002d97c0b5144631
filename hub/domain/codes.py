"""全国地方公共団体コード: the 5-digit municipality code and its 6-digit check-digit form."""

from __future__ import annotations

_WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(code5: str) -> str:
    """The check digit that turns a 5-digit code into the 6-digit one (JIS X 0402).

    Weights 6,5,4,3,2 on the five digits, sum mod 11, then the last digit of 11 minus the
    remainder: 札幌市 01100 -> 0 (011002), 札幌市中央区 01101 -> 1 (011011).
    """
    if len(code5) != 5 or not code5.isascii() or not code5.isdigit():
        raise ValueError(f"a municipality code has 5 digits, not {code5!r}")
    remainder = sum(int(d) * w for d, w in zip(code5, _WEIGHTS, strict=True)) % 11
    return str((11 - remainder) % 10)


def code6(code5: str) -> str:
    return code5 + check_digit(code5)


def is_valid_code6(code: str) -> bool:
    return len(code) == 6 and code.isdigit() and check_digit(code[:5]) == code[5]
