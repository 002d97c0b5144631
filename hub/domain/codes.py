"""The syntax of every code the hub stores, and the 全国地方公共団体コード check digit.

Each code kind has one pattern here. The seed-file models (hub.domain.seed) validate with
it and the database CHECK constraints (hub.db.models) are built from it, so the YAML check
and the database can never disagree about what a code looks like. A pattern uses only what
means the same in Python's ``re`` (matched whole, with ``fullmatch``) and in PostgreSQL's
regular expressions (``~``): anchors, explicit ASCII ranges and repetition; never ``\\d``
or ``\\w``, which are Unicode-aware in Python only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WEIGHTS = (6, 5, 4, 3, 2)


@dataclass(frozen=True)
class CodeSyntax:
    """What one kind of code looks like: a pattern, and the same rule in words."""

    kind: str
    pattern: str
    rule: str

    def matches(self, value: str) -> bool:
        return re.fullmatch(self.pattern, value) is not None

    def validate(self, value: str) -> str:
        """``value`` if it is such a code; else a ValueError that says what one looks like."""
        if not self.matches(value):
            raise ValueError(f"{value!r} is not a valid {self.kind} ({self.rule})")
        return value

    def check_sql(self, column: str) -> str:
        """The SQL of a CHECK constraint that ``column`` holds such a code."""
        return f"{column} ~ '{self.pattern}'"


#: The codes of seed records: stable keys an editor types, safe in URLs and file names.
_RECORD_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
_RECORD_RULE = "lower-case letters, digits, - and _, beginning with a letter or digit"

OPERATOR_CODE = CodeSyntax("operator code", _RECORD_PATTERN, _RECORD_RULE)
FACILITY_CODE = CodeSyntax("facility code", _RECORD_PATTERN, _RECORD_RULE)
PARTNERSHIP_CODE = CodeSyntax("partnership code", _RECORD_PATTERN, _RECORD_RULE)
INITIATIVE_CODE = CodeSyntax("initiative code", _RECORD_PATTERN, _RECORD_RULE)
CONSULTATION_CODE = CodeSyntax("consultation code", _RECORD_PATTERN, _RECORD_RULE)
EVENT_CODE = CodeSyntax("event code", _RECORD_PATTERN, _RECORD_RULE)
#: Service codes are also GraphQL-friendly identifiers (snake_case).
SERVICE_CODE = CodeSyntax(
    "service code",
    r"^[a-z][a-z0-9_]*$",
    "lower-case letters, digits and _, beginning with a letter",
)
MUNICIPALITY_CODE = CodeSyntax("municipality code", r"^[0-9]{5}$", "5 digits")
MUNICIPALITY_CODE6 = CodeSyntax("6-digit municipality code", r"^[0-9]{6}$", "6 digits")


def check_digit(code5: str) -> str:
    """The check digit that turns a 5-digit code into the 6-digit one (JIS X 0402).

    Weights 6,5,4,3,2 on the five digits, sum mod 11, then the last digit of 11 minus the
    remainder: 札幌市 01100 -> 0 (011002), 札幌市中央区 01101 -> 1 (011011).
    """
    if not MUNICIPALITY_CODE.matches(code5):
        raise ValueError(f"a municipality code has 5 digits, not {code5!r}")
    remainder = sum(int(d) * w for d, w in zip(code5, _WEIGHTS, strict=True)) % 11
    return str((11 - remainder) % 10)


def code6(code5: str) -> str:
    return code5 + check_digit(code5)


def is_valid_code6(code: str) -> bool:
    return MUNICIPALITY_CODE6.matches(code) and check_digit(code[:5]) == code[5]
