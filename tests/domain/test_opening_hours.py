"""Hours as pages write them, read into the open-data columns only where they are plain."""

from __future__ import annotations

import pytest

from hub.domain.opening_hours import OpeningHours, availability_note, read_hours


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        ("9~21時", OpeningHours(None, "09:00", "21:00")),
        ("午前9時から午後10時まで", OpeningHours(None, "09:00", "22:00")),
        ("午前8時45分から午後5時15分", OpeningHours(None, "08:45", "17:15")),
        ("月~金曜日10:00~18:00", OpeningHours("月火水木金", "10:00", "18:00")),
        # qualified or vague: nothing is read
        ("午前9時から午後9時(土曜日は、午後5時まで)", OpeningHours(None, None, None)),
        ("月~金曜日10:00~18:00(問合せ・注文受付として記載)", OpeningHours(None, None, None)),
        ("朝9時から夜9時まで開館", OpeningHours(None, None, None)),
        ("午前13時から午後5時", OpeningHours(None, None, None)),
        ("金~月曜日10:00~18:00", OpeningHours(None, None, None)),
        (None, OpeningHours(None, None, None)),
    ],
)
def test_read_hours(hours: str | None, expected: OpeningHours) -> None:
    assert read_hours(hours) == expected


def test_availability_note_keeps_the_words() -> None:
    assert availability_note("9~21時", "無休") == "開館時間: 9~21時; 休館日: 無休"
    assert availability_note(None, "日曜日") == "休館日: 日曜日"
    assert availability_note(None, None) is None
