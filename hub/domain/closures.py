"""A facility's closed days, read from the words its source page uses (休館日).

The places data keeps closed days and opening hours as written (日曜日、祝日、年末年始(12月29日
から1月3日)). A calendar must not offer a session on a day the building is shut, so this module
reads that text into a rule and says, for a date, why the facility is closed on it. Japan's
national holidays (with substitute holidays, 振替休日, and 国民の休日) come from the maintained
``jpholiday`` package rather than a table of our own, so that future years stay right. (The
``holidays`` package would do as well, but it needs python-dateutil < 3 and the hub pins 4.)

Nothing is guessed: text this reader does not understand in full gives no rule at all
(closures unknown), never a partial one; and 年末年始 counts only with the range the text states.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

import jpholiday

WEEKDAYS = "月火水木金土日"  # index = datetime.date.weekday()

_HOLIDAY_WORDS = frozenset({
    "祝日", "休日", "祝祭日", "国民の祝日", "国民の休日",
    "国民の祝日に関する法律に規定する休日",
})
_DASHES = "~〜-"
_RANGE_JA = re.compile(
    r"(?P<m1>\d{1,2})月(?P<d1>\d{1,2})日から(?:翌年)?(?P<m2>\d{1,2})月(?P<d2>\d{1,2})日(?:まで)?")
_RANGE_SLASH = re.compile(
    rf"(?P<m1>\d{{1,2}})/(?P<d1>\d{{1,2}})[{_DASHES}](?P<m2>\d{{1,2}})/(?P<d2>\d{{1,2}})")
_WEEKDAY = re.compile(rf"(?:毎週)?(?P<day>[{WEEKDAYS}])曜日?")
_NTH_WEEKDAY = re.compile(rf"(?:毎月)?(?P<ns>第\d(?:[・,及び]第?\d)*)(?P<day>[{WEEKDAYS}])曜日?")
# Hours that give a time for holidays mean the facility is open on them (札幌エルプラザ: 「日曜日
# 及び国民の祝日に関する法律に規定する休日にあっては、午後8時」).
_OPEN_ON_HOLIDAYS = re.compile(
    r"(?:祝日|休日)[^()。]*?(?:にあっては|は)[、,]?\s*(?:午前|午後)?\s*\d")


@dataclass(frozen=True, slots=True)
class AnnualRange:
    """Closed every year from one month-day to another (wrapping over New Year if need be)."""

    start: tuple[int, int]
    end: tuple[int, int]
    label: str

    def covers(self, day: dt.date) -> bool:
        key = (day.month, day.day)
        if self.start <= self.end:
            return self.start <= key <= self.end
        return key >= self.start or key <= self.end


@dataclass(frozen=True, slots=True)
class ClosureRule:
    """The closed days a source page states; ``text`` is kept as written."""

    text: str
    weekdays: frozenset[int] = frozenset()
    nth_weekdays: frozenset[tuple[int, int]] = frozenset()  # (n, weekday): 第n X曜日
    national_holidays: bool = False
    annual: tuple[AnnualRange, ...] = ()


class _Unreadable(ValueError):
    """A piece of closed-days text this reader does not understand."""


def _split_items(text: str) -> list[str]:
    """Split on 、 and , outside brackets: 年末年始(12/29~1/3) stays one item."""
    items: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char in "、," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def _annual(text: str, label: str) -> AnnualRange:
    found = _RANGE_JA.fullmatch(text) or _RANGE_SLASH.fullmatch(text)
    if found is None:
        raise _Unreadable(text)
    start = (int(found["m1"]), int(found["d1"]))
    end = (int(found["m2"]), int(found["d2"]))
    for month, day in (start, end):
        try:
            dt.date(2000, month, day)  # a leap year, so 2月29日 is a real date
        except ValueError as exc:
            raise _Unreadable(text) from exc
    return AnnualRange(start, end, label)


@dataclass
class _Parts:
    weekdays: set[int] = field(default_factory=set)
    nth: set[tuple[int, int]] = field(default_factory=set)
    annual: list[AnnualRange] = field(default_factory=list)
    holidays: bool = False


def _read_item(item: str, parts: _Parts) -> None:
    if item in _HOLIDAY_WORDS:
        parts.holidays = True
    elif found := _WEEKDAY.fullmatch(item):
        parts.weekdays.add(WEEKDAYS.index(found["day"]))
    elif found := _NTH_WEEKDAY.fullmatch(item):
        day = WEEKDAYS.index(found["day"])
        for n in re.findall(r"\d", found["ns"]):
            if not 1 <= int(n) <= 5:
                raise _Unreadable(item)
            parts.nth.add((int(n), day))
    elif item.startswith("年末年始"):
        # Only with the range the text states: 年末年始 alone does not say which days.
        rest = item.removeprefix("年末年始").strip()
        if rest.startswith("(") and rest.endswith(")"):
            rest = rest[1:-1].strip()
        parts.annual.append(_annual(rest, item))
    else:
        parts.annual.append(_annual(item, item))


def read_closures(closed_days: str | None, hours: str | None = None) -> ClosureRule | None:
    """The rule the closed-days text states, or None where closures are unknown.

    Hours that give a time for holidays override a 祝日 closure (the page says it is open).
    """
    if closed_days is None or not closed_days.strip():
        return None
    text = unicodedata.normalize("NFKC", closed_days).strip().rstrip("。")
    parts = _Parts()
    try:
        for item in _split_items(text):
            _read_item(item, parts)
    except _Unreadable:
        return None
    return ClosureRule(
        text=closed_days,
        weekdays=frozenset(parts.weekdays),
        nth_weekdays=frozenset(parts.nth),
        national_holidays=parts.holidays and not opens_on_holidays(hours),
        annual=tuple(parts.annual),
    )


def opens_on_holidays(hours: str | None) -> bool:
    """Whether the hours text gives opening hours for national holidays."""
    if not hours:
        return False
    return _OPEN_ON_HOLIDAYS.search(unicodedata.normalize("NFKC", hours)) is not None


def holiday_name(day: dt.date) -> str | None:
    """Japan's national holiday on ``day`` in Japanese (振替休日 included), or None."""
    name = jpholiday.is_holiday_name(day)
    return str(name) if name is not None else None


def closure_reason(rule: ClosureRule, day: dt.date) -> str | None:
    """Why the facility is closed on ``day`` (every reason, 、-separated), or None if open."""
    reasons: list[str] = []
    if rule.national_holidays and (name := holiday_name(day)) is not None:
        reasons.append(name)
    reasons.extend(r.label for r in rule.annual if r.covers(day))
    if day.weekday() in rule.weekdays:
        reasons.append(f"{WEEKDAYS[day.weekday()]}曜日")
    n = (day.day - 1) // 7 + 1
    if (n, day.weekday()) in rule.nth_weekdays:
        reasons.append(f"第{n}{WEEKDAYS[day.weekday()]}曜日")
    return "、".join(reasons) if reasons else None
