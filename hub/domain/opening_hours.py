"""The 公共施設一覧 columns 利用可能曜日 / 開始時間 / 終了時間 / 利用可能日時特記事項, read from
hours and closed days as a page writes them.

Pages write hours as prose with exceptions (「土曜日は、午後5時まで」, 「ただし、…」). A value
is given only when the whole text is one plain range, so that a reader never gets a time
the page qualifies elsewhere; anything else stays null and the text as written goes to
利用可能日時特記事項.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DAYS = "月火水木金土日"
_HOUR = r"(\d{1,2})時(?:(\d{1,2})分)?"
#: 「9~21時」
_BARE = re.compile(r"^(\d{1,2})[~〜～-](\d{1,2})時$")
#: 「午前9時から午後9時まで」
_AM_PM = re.compile(rf"^(午前|午後){_HOUR}から(午前|午後){_HOUR}(?:まで)?$")
#: 「月~金曜日10:00~18:00」
_DAYS_CLOCK = re.compile(
    rf"^([{_DAYS}])[~〜～]([{_DAYS}])曜日?\s*(\d{{1,2}}):(\d{{2}})[~〜～](\d{{1,2}}):(\d{{2}})$"
)


@dataclass(frozen=True)
class OpeningHours:
    """What the hours say in the open-data layout; None where the text does not say it
    plainly."""

    days: str | None  # 利用可能曜日, e.g. 月火水木金
    opens: str | None  # 開始時間, HH:MM
    closes: str | None  # 終了時間, HH:MM


def _clock(hour: int, minute: int) -> str | None:
    if not (0 <= hour <= 24 and 0 <= minute < 60) or (hour == 24 and minute):
        return None
    return f"{hour:02d}:{minute:02d}"


def _twelve(half: str, hour: str, minute: str | None) -> str | None:
    h = int(hour)
    if h > 12:
        return None
    return _clock(h + 12 if half == "午後" and h != 12 else h, int(minute or 0))


def read_hours(hours: str | None) -> OpeningHours:
    """The plain range a page's hours state, or Nones (see the module's docstring)."""
    nothing = OpeningHours(None, None, None)
    if hours is None:
        return nothing
    text = re.sub(r"\s+", "", hours)
    if m := _BARE.match(text):
        opens, closes = _clock(int(m[1]), 0), _clock(int(m[2]), 0)
        return OpeningHours(None, opens, closes) if opens and closes else nothing
    if m := _AM_PM.match(text):
        opens, closes = _twelve(m[1], m[2], m[3]), _twelve(m[4], m[5], m[6])
        return OpeningHours(None, opens, closes) if opens and closes else nothing
    if m := _DAYS_CLOCK.match(text):
        first, last = _DAYS.index(m[1]), _DAYS.index(m[2])
        opens = _clock(int(m[3]), int(m[4]))
        closes = _clock(int(m[5]), int(m[6]))
        if first <= last and opens and closes:
            return OpeningHours(_DAYS[first : last + 1], opens, closes)
    return nothing


def availability_note(hours: str | None, closed_days: str | None) -> str | None:
    """利用可能日時特記事項: the hours and closed days as written, or None if neither is known."""
    parts = [f"{label}: {text}" for label, text in (("開館時間", hours), ("休館日", closed_days))
             if text]
    return "; ".join(parts) or None
