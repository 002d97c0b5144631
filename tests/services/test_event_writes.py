"""createEvent's service (hub.services.writes.events) on a database of the test's own: the
seed events' rules where they apply, the host's operator asked for permission, one audit row,
and nothing written when anything is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from hub.domain.conflicts import TOKYO
from hub.domain.errors import InputError
from hub.services.writes.events import create_event

PREF_CENTRE, CITY_CENTRE = "pref-citizen-activity-centre", "sapporo-citizen-activity-support-centre"


class Refused(Exception):
    """What a permit raises for a caller who may not write (Forbidden in the API)."""


def allow(_operator_id: int) -> None:
    """Authorization is tested where tokens are."""


def _ids(conn: Connection) -> dict[str, int]:
    return {c: int(i) for c, i in conn.execute(text("SELECT code, id FROM facility"))}


def _operators(conn: Connection) -> dict[str, int]:
    return {c: int(i) for c, i in conn.execute(text("SELECT code, id FROM operator"))}


def _seminar(conn: Connection, **changes: Any) -> dict[str, Any]:
    ids = _ids(conn)
    return {"title": "  NPO法人設立基礎講座  ",
            "organizer_ids": [ids[CITY_CENTRE], ids[PREF_CENTRE]],
            "audiences": ["NPOS", "CITIZENS"],
            "starts_at": dt.datetime(2017, 9, 12, 13, tzinfo=TOKYO),
            "ends_at": dt.datetime(2017, 9, 12, 16, tzinfo=TOKYO),
            "venue_id": ids[CITY_CENTRE], **changes}


def _counts(engine: Engine) -> list[int]:
    """Rows of event, event_organizer, event_audience and the events' audit rows."""
    with engine.connect() as conn:
        return [int(conn.scalar(text(q)) or 0) for q in (
            "SELECT count(*) FROM event", "SELECT count(*) FROM event_organizer",
            "SELECT count(*) FROM event_audience",
            "SELECT count(*) FROM audit_log WHERE table_name = 'event'")]


def test_a_created_event_keeps_its_organizers_audiences_times_and_one_audit_row(
    seeded_copy: Engine,
) -> None:
    before = _counts(seeded_copy)
    asked: list[int] = []
    with seeded_copy.begin() as conn:
        given = _seminar(conn)
        event_id = create_event(conn, given, "city-web-team", asked.append)
        sapporo = _operators(conn)["sapporo"]
    assert asked == [sapporo]  # the host's operator, once
    with seeded_copy.connect() as conn:
        row = conn.execute(text(
            "SELECT title, starts_at, ends_at, date_precision, venue_facility_id, code, version"
            " FROM event WHERE id = :id"), {"id": event_id}).mappings().one()
        organizers = [tuple(r) for r in conn.execute(text(
            "SELECT facility_id, position FROM event_organizer WHERE event_id = :id"
            " ORDER BY position"), {"id": event_id})]
        audiences = set(conn.scalars(text(
            "SELECT audience FROM event_audience WHERE event_id = :id"), {"id": event_id}))
        audits = [dict(r) for r in conn.execute(text(
            "SELECT action, actor, before, after FROM audit_log"
            " WHERE table_name = 'event' AND row_key = :key"), {"key": str(event_id)}).mappings()]
    assert row["title"] == "NPO法人設立基礎講座"
    assert row["starts_at"] == given["starts_at"] and row["ends_at"] == given["ends_at"]
    assert (row["date_precision"], row["venue_facility_id"], row["code"], row["version"]) == (
        "DAY", given["venue_id"], None, 1)
    assert organizers == [(given["organizer_ids"][0], 0), (given["organizer_ids"][1], 1)]
    assert audiences == {"NPOS", "CITIZENS"}
    assert len(audits) == 1
    audit = audits[0]
    assert (audit["action"], audit["actor"], audit["before"]) == ("INSERT", "city-web-team", None)
    assert audit["after"]["title"] == "NPO法人設立基礎講座"
    assert audit["after"]["starts_at"] == "2017-09-12T13:00:00+09:00"
    assert audit["after"]["organizers"] == [
        {"facility_id": given["organizer_ids"][0], "position": 0},
        {"facility_id": given["organizer_ids"][1], "position": 1}]
    assert audit["after"]["audiences"] == [{"audience": "NPOS"}, {"audience": "CITIZENS"}]
    after = _counts(seeded_copy)
    assert after == [before[0] + 1, before[1] + 2, before[2] + 2, before[3] + 1]


def test_ids_as_the_api_gives_them_and_no_venue(seeded_copy: Engine) -> None:
    with seeded_copy.begin() as conn:
        ids = _ids(conn)
        event_id = create_event(conn, _seminar(conn, organizer_ids=[str(ids[PREF_CENTRE])],
                                               venue_id=None), "t", allow)
        assert conn.scalar(text("SELECT venue_facility_id FROM event WHERE id = :id"),
                           {"id": event_id}) is None


def test_a_refused_permit_writes_nothing(seeded_copy: Engine) -> None:
    before = _counts(seeded_copy)

    def refuse(_operator_id: int) -> None:
        raise Refused

    with pytest.raises(Refused), seeded_copy.begin() as conn:
        create_event(conn, _seminar(conn), "t", refuse)
    assert _counts(seeded_copy) == before


def _archived(conn: Connection) -> int:
    fid = _ids(conn)["base-otaru"]
    conn.execute(text("UPDATE facility SET archived_at = now() WHERE id = :id"), {"id": fid})
    return fid


BAD: list[tuple[str, Any, str]] = [
    ("title", lambda c: {"title": "   "}, "title"),
    ("no organizer", lambda c: {"organizer_ids": []}, "organizerIds"),
    ("an organizer twice", lambda c: {"organizer_ids": [_ids(c)[PREF_CENTRE]] * 2},
     "organizerIds"),
    ("an unknown organizer", lambda c: {"organizer_ids": [987654321]}, "organizerIds"),
    ("an archived organizer", lambda c: {"organizer_ids": [_archived(c)]}, "organizerIds"),
    ("a co-host unknown", lambda c: {"organizer_ids": [_ids(c)[PREF_CENTRE], 987654321]},
     "organizerIds"),
    ("not an id", lambda c: {"organizer_ids": ["pref"]}, "organizerIds"),
    ("a bool for an id", lambda c: {"organizer_ids": [True]}, "organizerIds"),
    ("no audience", lambda c: {"audiences": []}, "audiences"),
    ("an audience twice", lambda c: {"audiences": ["NPOS", "NPOS"]}, "audiences"),
    ("an audience outside the vocabulary", lambda c: {"audiences": ["PETS"]}, "audiences"),
    ("ends before it starts",
     lambda c: {"ends_at": dt.datetime(2017, 9, 12, 12, 59, tzinfo=TOKYO)}, "endsAt"),
    ("a time without offset", lambda c: {"starts_at": dt.datetime(2017, 9, 12, 13)},
     "startsAt"),
    ("an unknown venue", lambda c: {"venue_id": 987654321}, "venueId"),
    ("an archived venue", lambda c: {"venue_id": _archived(c)}, "venueId"),
    ("an unknown field", lambda c: {"code": "my-event"}, "code"),
]


@pytest.mark.parametrize(("case", "change", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_names_the_field_and_writes_nothing(
    seeded_copy: Engine, case: str, change: Any, field: str,
) -> None:
    before = _counts(seeded_copy)
    with pytest.raises(InputError) as caught, seeded_copy.begin() as conn:
        create_event(conn, _seminar(conn, **change(conn)), "t", allow)
    assert caught.value.field == field, caught.value.message
    assert caught.value.message.startswith(field), caught.value.message
    assert _counts(seeded_copy) == before


def test_an_unknown_organizer_is_refused_before_permission_is_asked(seeded_copy: Engine) -> None:
    asked: list[int] = []
    with pytest.raises(InputError), seeded_copy.begin() as conn:
        create_event(conn, _seminar(conn, organizer_ids=[987654321]), "t", asked.append)
    assert asked == []
