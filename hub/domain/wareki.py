"""Japanese era dates (和暦) as the source documents write them.

The documents date things like ``H27.10`` (October 2015), ``H29.8～`` (ongoing since August
2017), ``H29.8現在`` (as of August 2017), ``H30.1予定`` (planned for January 2018),
``H29年度`` (fiscal year 2017: 2017-04-01 to 2018-03-31) and ``平成13年6月``. A bare year
such as ``H27`` in these administrative documents is a 年度 (fiscal year); the parser only
reports what is written, and ``start_of`` applies that reading.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

#: Era letter -> (era name, the Gregorian year before its year 1).
ERAS: dict[str, tuple[str, int]] = {
    "M": ("明治", 1867),
    "T": ("大正", 1911),
    "S": ("昭和", 1925),
    "H": ("平成", 1988),
    "R": ("令和", 2018),
}
_LETTER_OF_NAME = {name: letter for letter, (name, _) in ERAS.items()}

_PATTERN = re.compile(
    r"""^(?P<era>[MTSHR]|明治|大正|昭和|平成|令和)\s*
        (?P<year>元|\d{1,2})
        (?:(?P<fy>年度)|(?:[./]|年)(?P<month>\d{1,2})月?|年)?
        (?P<suffix>~|から|現在|予定)?$""",
    re.VERBOSE,
)


class WarekiError(ValueError):
    """Text that is not a 和暦 date this parser understands."""


@dataclass(frozen=True)
class WarekiDate:
    """A date as written: a year, optionally a month, and how the text qualifies it."""

    year: int  # Gregorian
    month: int | None = None
    fiscal_year: bool = False  # written as 年度
    ongoing: bool = False  # "～": from then on
    as_of: bool = False  # "現在": a count as of then
    planned: bool = False  # "予定": not yet happened when written

    @property
    def precision(self) -> str:
        """DAY, MONTH, FISCAL_YEAR or YEAR, as in hub.domain.vocabulary.DATE_PRECISIONS."""
        if self.month is not None:
            return "MONTH"
        return "FISCAL_YEAR" if self.fiscal_year else "YEAR"


def gregorian_year(era: str, year: int) -> int:
    letter = _LETTER_OF_NAME.get(era, era)
    if letter not in ERAS:
        raise WarekiError(f"unknown era {era!r}")
    if year < 1:
        raise WarekiError(f"an era year starts at 1, not {year}")
    return ERAS[letter][1] + year


def parse_wareki(text: str) -> WarekiDate:
    """Parse ``H27``, ``Ｈ27.10``, ``H29.8～``, ``H29.8現在``, ``H29年度``, ``平成13年6月`` ..."""
    normal = unicodedata.normalize("NFKC", text)
    normal = "".join(normal.split()).replace("〜", "~").replace("～", "~")
    match = _PATTERN.match(normal)
    if not match:
        raise WarekiError(f"not a 和暦 date: {text!r}")
    year_text = match["year"]
    year = gregorian_year(match["era"], 1 if year_text == "元" else int(year_text))
    month = int(match["month"]) if match["month"] else None
    if month is not None and not 1 <= month <= 12:
        raise WarekiError(f"month {month} out of 1..12 in {text!r}")
    suffix = match["suffix"] or ""
    return WarekiDate(
        year=year,
        month=month,
        fiscal_year=bool(match["fy"]),
        ongoing=suffix in ("~", "から"),
        as_of=suffix == "現在",
        planned=suffix == "予定",
    )


def fiscal_year_bounds(fiscal_year: int) -> tuple[dt.date, dt.date]:
    """年度 n runs from 1 April of n to 31 March of n+1."""
    return dt.date(fiscal_year, 4, 1), dt.date(fiscal_year + 1, 3, 31)


def fiscal_year_of(day: dt.date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def month_in_fiscal_year(fiscal_year: int, month: int) -> dt.date:
    """The first day of ``month`` within 年度 ``fiscal_year``: 3月 of H29年度 is March 2018."""
    if not 1 <= month <= 12:
        raise WarekiError(f"month {month} out of 1..12")
    return dt.date(fiscal_year if month >= 4 else fiscal_year + 1, month, 1)


def start_of(date: WarekiDate) -> dt.date:
    """The first day a written date stands for; a bare year is read as a 年度."""
    if date.month is not None:
        return dt.date(date.year, date.month, 1)
    return fiscal_year_bounds(date.year)[0]


def to_wareki(year: int, month: int | None = None) -> str:
    """The inverse of ``parse_wareki`` for the Heisei and Reiwa dates the documents use.

    Heisei ended on 2019-04-30, so April 2019 and earlier are Heisei and May 2019 onwards
    Reiwa; a year alone is named by the era it started in.
    """
    if year < 1989:
        raise WarekiError(f"{year} is before Heisei")
    reiwa = year > 2019 or (year == 2019 and month is not None and month >= 5)
    era = "R" if reiwa else "H"
    text = f"{era}{year - ERAS[era][1]}"
    return text if month is None else f"{text}.{month}"
