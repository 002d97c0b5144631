"""Whether the database server has room for ``--workers N`` pools: asked of a real server,
decided at the boundary."""

from __future__ import annotations

import pytest

from hub.db import capacity
from hub.db.capacity import CapacityError, ServerSlots


def test_the_server_reports_its_slots(database_url: str) -> None:
    slots = capacity.server_slots(database_url)
    assert slots.max_connections >= 10
    assert slots.reserved >= 0
    assert slots.in_use >= 1, "the asking connection itself is one"
    assert slots.free <= slots.max_connections - slots.reserved


def test_pools_that_fill_the_server_exactly_are_allowed() -> None:
    slots = ServerSlots(max_connections=100, reserved=3, in_use=1)  # 97 free
    capacity.check(slots, workers=6, pool_max=16)  # 6 x 16 + 1 = 97


def test_one_connection_past_the_free_slots_is_refused_naming_the_settings() -> None:
    slots = ServerSlots(max_connections=100, reserved=3, in_use=1)
    with pytest.raises(CapacityError) as refused:
        capacity.check(slots, workers=2, pool_max=49)  # 2 x 49 + 1 = 99
    message = str(refused.value)
    assert "\n" not in message
    for words in ("--workers 2", "(HUB_POOL_MAX + HUB_WRITE_POOL_MAX + HUB_OGC_POOL_MAX) 49",
                  "= 99", "97 free", "max_connections 100"):
        assert words in message


def test_connections_other_programs_hold_count_against_the_hub() -> None:
    slots = ServerSlots(max_connections=100, reserved=3, in_use=11)  # 10 others: 87 free
    capacity.check(slots, workers=1, pool_max=86)
    with pytest.raises(CapacityError, match="10 in use"):
        capacity.check(slots, workers=1, pool_max=87)


def test_the_real_server_refuses_more_pools_than_it_has_slots(database_url: str) -> None:
    slots = capacity.server_slots(database_url)
    capacity.check_server(database_url, workers=1, pool_max=slots.free - 1)
    with pytest.raises(CapacityError):
        capacity.check_server(database_url, workers=2, pool_max=slots.max_connections)
