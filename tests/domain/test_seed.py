"""The seed data set's rules, checked on the real files and on broken copies of records."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.domain.datafile import DataFileError
from hub.domain.seed import SEED_FILES, parse_seed_set

SEED_DIR = Path(__file__).resolve().parents[2] / "geodata"


@pytest.fixture(scope="module")
def documents() -> dict[str, Any]:
    return {name: yaml.safe_load((SEED_DIR / name).read_text()) for name in SEED_FILES}


def test_the_real_set_has_every_facility_of_the_documents(documents: dict[str, Any]) -> None:
    seed = parse_seed_set(documents)
    bases = [f for f in seed.facilities if f.code.startswith("base-")]
    assert len(bases) == 22 and len(seed.facilities) == 34
    assert len(seed.partnerships) == 6
    assert all(f.sources for f in seed.facilities)
    assert all(len(p.facilities) == 2 for p in seed.partnerships)
    paired = {code for p in seed.partnerships for code in p.facilities}
    assert paired == {f.code for f in seed.facilities} - {f.code for f in bases}


def test_wareki_dates_are_converted(documents: dict[str, Any]) -> None:
    seed = parse_seed_set(documents)
    established = {f.code: f.established_on for f in seed.facilities}
    assert established["pref-citizen-activity-centre"] == dt.date(2001, 6, 1)  # 平成13年6月
    assert established["sapporo-citizen-activity-support-centre"] == dt.date(2003, 9, 1)
    courses = sorted(e.starts_at.date() for e in seed.events if e.title == "NPO法人設立基礎講座")
    assert courses == [dt.date(2017, 7, 1), dt.date(2017, 9, 1), dt.date(2017, 11, 1),
                       dt.date(2018, 2, 1), dt.date(2018, 3, 1)]
    pio = next(i for i in seed.initiatives if i.code == "consumer-pio-net")
    assert [(m.period, m.value, m.as_of) for m in pio.figures] == [
        ("FY2015", 134, None), ("FY2016", 178, None),
        ("FY2017", 80, dt.date(2017, 8, 1)),  # H29.8現在: the 年度 total as of August (issue 9)
    ]
    planned = [i for i in seed.initiatives if i.status == "PLANNED"]
    assert planned and all(i.fiscal_year_start == 2017 for i in planned)


def _broken(documents: dict[str, Any], file: str, index: int, **changes: Any) -> dict[str, Any]:
    copied = copy.deepcopy(documents)
    record = copied[file][index]
    for key, value in changes.items():
        if value is ...:
            del record[key]
        else:
            record[key] = value
    return copied


@pytest.mark.parametrize(
    ("file", "changes", "field", "words"),
    [
        ("facilities.yaml", {"category": "LIBRARY"}, "category", "not one of"),
        ("facilities.yaml", {"sources": []}, "sources", "at least one source"),
        ("facilities.yaml", {"sources": ...}, "sources", "required"),
        ("facilities.yaml", {"sources": "000.txt"}, "sources", "must be a list"),
        ("facilities.yaml", {"colour": "red"}, "colour", "unknown field"),
        ("facilities.yaml", {"operator": "nobody"}, "operator", "not defined"),
        ("facilities.yaml", {"established": "H13.13"}, "established", "month"),
        ("facilities.yaml", {"activity_area": "・江別"}, "activity_area", "empty place"),
        ("facilities.yaml", {"code": "Has Space"}, "code", "not a valid facility code"),
        ("facilities.yaml", {"operator": "Hokkaido"}, "operator", "not a valid operator code"),
        ("facilities.yaml", {"name_ja": "  "}, "name_ja", "empty"),
        ("facilities.yaml", {"name_ja": ["a", "b"]}, "name_ja", "must be text, not list"),
        ("facilities.yaml", {"name_ja": None}, "name_ja", "required"),
        ("facilities.yaml", {"services": [{"code": "training"}, {"code": "training"}]},
         "services", "twice"),
        ("facilities.yaml", {"services": [{"code": "training", "words": "x"}]}, "services",
         "item 1, words: unknown field"),
        ("facilities.yaml", {"services": [{"code": "no-such"}]}, "services", "service code"),
        ("facilities.yaml", {"location_precision": "ROUGH"}, "location_precision",
         "'ROUGH' is not one of 'EXACT', 'BUILDING', 'WARD', 'MUNICIPALITY' or 'NONE'"),
        ("facilities.yaml", {"location_precision": "WARD", "municipality": None},
         "municipality", "required to place a facility at WARD"),
        ("operators.yaml", {"level": "KINGDOM"}, "level", "not one of"),
        ("operators.yaml", {"website": "https://example.org"}, "website",
         "unknown field; expected one of code, name, name_en, level"),
        ("services.yaml", {"code": "has-dash"}, "code", "not a valid service code"),
        ("consultations.yaml", {"duration_minutes": 0}, "duration_minutes", "positive whole"),
        ("consultations.yaml", {"duration_minutes": "90"}, "duration_minutes", "positive"),
        ("consultations.yaml", {"reservation_required": "yes"}, "reservation_required",
         "true or false"),
        ("events.yaml", {"when": {"fiscal_year": "H29年度", "month": 13}}, "when", "month"),
        ("events.yaml", {"when": {"fiscal_year": "H29", "month": 7}}, "when", "年度"),
        ("events.yaml", {"organizers": ["pref-consumer-centre", "pref-consumer-centre"]},
         "organizers", "twice"),
        ("initiatives.yaml", {"fiscal_year": "H29.4"}, "fiscal_year", "年度"),
        ("initiatives.yaml", {"metrics": [{"period": "H27", "value": "eight", "unit": "回"}]},
         "metrics", "item 1, value: must be a number"),
        ("initiatives.yaml", {"held": ["H27"]}, "held", "must be a month"),
        ("partnerships.yaml", {"facilities": ["pref-womens-plaza", "pref-womens-plaza"]},
         "facilities", "twice"),
        ("role_divisions.yaml", {"responsible": ["nobody-known"]}, "responsible",
         "not defined"),
        ("consultations.yaml", {"rule": "FREQ=WEEKLY"}, "rule", "not an RRULE line"),
        ("consultations.yaml", {"rule": "RRULE:FREQ=SOMETIMES;BYHOUR=1"}, "rule", "SOMETIMES"),
        ("events.yaml", {"audiences": ["EVERYONE"]}, "audiences", "not one of"),
        ("events.yaml", {"when": "H29年度"}, "when", "month"),
        ("initiatives.yaml", {"status": "DONE"}, "status", "not one of"),
        ("partnerships.yaml", {"facilities": ["pref-womens-plaza"]}, "facilities", "two"),
        ("facilities.yaml", {"location_precision": "EXACT"}, "location", "required"),
        ("facilities.yaml", {"location": {"lat": 43.1, "lon": 141.5}}, "location", "EXACT"),
        ("facilities.yaml", {"location_precision": "BUILDING", "location": {"lat": 95, "lon": 1}},
         "location", "outside"),
        ("facilities.yaml", {"location_precision": "BUILDING", "location": [43.1, 141.5]},
         "location", "lat"),
    ],
)
def test_a_broken_record_names_file_record_and_field(
    documents: dict[str, Any], file: str, changes: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(DataFileError) as caught:
        parse_seed_set(_broken(documents, file, 0, **changes))
    error = caught.value
    assert (error.file, error.field) == (file, field)
    assert error.record is not None and error.record.startswith("#1")
    assert words in error.reason


def test_the_message_names_file_record_and_field(documents: dict[str, Any]) -> None:
    with pytest.raises(DataFileError) as caught:
        parse_seed_set(_broken(documents, "facilities.yaml", 5, activity_area="・江別"))
    assert str(caught.value).startswith(
        "facilities.yaml, record #6 (base-hakodate), field 'activity_area': "
    )


def test_every_finding_of_a_record_is_counted(documents: dict[str, Any]) -> None:
    """The first is named; the others are counted, so an editor knows to look again."""
    with pytest.raises(DataFileError) as caught:
        parse_seed_set(_broken(documents, "operators.yaml", 0, level="KINGDOM", name=..., x=1))
    assert caught.value.field == "name"
    assert caught.value.reason == "is required (and 2 more in this record)"


@pytest.mark.parametrize(
    ("file", "data", "record", "words"),
    [
        ("events.yaml", {"code": "x"}, None, "a list of records"),
        ("events.yaml", None, None, "a list of records"),
        ("services.yaml", ["consultation"], "#1", "a mapping"),
    ],
)
def test_a_file_of_the_wrong_shape_is_refused(
    documents: dict[str, Any], file: str, data: Any, record: str | None, words: str
) -> None:
    copied = copy.deepcopy(documents)
    copied[file] = data
    with pytest.raises(DataFileError) as caught:
        parse_seed_set(copied)
    assert (caught.value.file, caught.value.record, caught.value.field) == (file, record, None)
    assert words in caught.value.reason


def test_a_file_missing_from_the_set_is_named(documents: dict[str, Any]) -> None:
    copied = {k: v for k, v in documents.items() if k != "events.yaml"}
    with pytest.raises(DataFileError, match=r"events\.yaml: file missing"):
        parse_seed_set(copied)


def test_a_duplicate_code_is_refused(documents: dict[str, Any]) -> None:
    copied = copy.deepcopy(documents)
    copied["facilities.yaml"].append(copy.deepcopy(copied["facilities.yaml"][0]))
    with pytest.raises(DataFileError, match="appears twice"):
        parse_seed_set(copied)


def test_an_editor_can_give_the_real_position(documents: dict[str, Any]) -> None:
    fixed = _broken(documents, "facilities.yaml", 1, location_precision="BUILDING",
                    location={"lat": 43.1, "lon": 141.55}, address="(an address)")
    ebetsu = parse_seed_set(fixed).facilities[1]
    assert ebetsu.location is not None
    assert (ebetsu.location.lat, ebetsu.location.lon, ebetsu.location_precision,
            ebetsu.address) == (43.1, 141.55, "BUILDING", "(an address)")
