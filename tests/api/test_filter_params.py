"""The FacilityFilter as query parameters (hub.api.filter_params): the contract's names,
lists comma-separated or repeated, the same checks and limits as GraphQL, and an error that
names the parameter."""

from __future__ import annotations

import json

import pytest
from starlette.datastructures import QueryParams

from hub.api.filter_params import FILTER_PARAMETERS, check_known, facility_filter
from hub.config import Settings
from hub.domain.errors import InputError

SETTINGS = Settings(max_list_length=3, max_string_length=20, max_polygon_vertices=5)
SQUARE = {"type": "Polygon", "coordinates": [[[141, 43], [142, 43], [142, 44], [141, 43]]]}


def test_no_filter_parameter_is_no_filter() -> None:
    assert facility_filter(QueryParams("z=3"), SETTINGS) is None


def test_lists_comma_separated_or_repeated_mean_the_same() -> None:
    a = facility_filter(QueryParams("categories=PARK,CONSUMER"), SETTINGS)
    b = facility_filter(QueryParams("categories=PARK&categories=CONSUMER"), SETTINGS)
    assert a == b and a is not None and a.categories == ("PARK", "CONSUMER")


def test_every_field_is_read() -> None:
    flt = facility_filter(QueryParams(
        "operatorLevels=CITY&services=consultation&municipalityCodes=01100"
        "&subprefecture=石狩振興局&text=プラザ&withinBbox=141,42,143,44"
        f"&within={json.dumps(SQUARE)}"), SETTINGS)
    assert flt is not None
    assert flt.operator_levels == ("CITY",) and flt.services == ("consultation",)
    assert flt.municipality_codes == ("01100",) and flt.subprefecture == "石狩振興局"
    assert flt.text == "プラザ" and flt.bbox == (141, 42, 143, 44)
    assert flt.within is not None and flt.within.geom_type == "Polygon"


@pytest.mark.parametrize(("query", "field"), [
    ("categories=PARKS", "categories"),
    ("categories=PARK,", "categories"),
    ("categories=A,B,C,D", "categories"),                       # one past the list limit
    ("operatorLevels=TOWN", "operatorLevels"),
    ("municipalityCodes=1100", "municipalityCodes"),
    ("text=" + "あ" * 21, "text"),                               # one past the string limit
    ("text=a&text=b", "text"),
    ("withinBbox=141,42,143", "withinBbox"),
    ("withinBbox=141,42,east,44", "withinBbox"),
    ("withinBbox=141,42,143,nan", "withinBbox"),
    ("withinBbox=141,95,143,96", "withinBbox.lat"),
    ("within={", "within"),
    ("within=" + json.dumps({"type": "Point", "coordinates": [141, 43]}), "within"),
    ("within=" + json.dumps({"type": "Polygon", "coordinates": [[[141, 43], [142, 43],
                                                                 [142, 44], [141.5, 44.5],
                                                                 [141, 44], [141, 43]]]}),
     "within"),                                                  # six positions, limit five
])
def test_a_bad_parameter_is_an_input_error_naming_it(query: str, field: str) -> None:
    with pytest.raises(InputError) as raised:
        facility_filter(QueryParams(query), SETTINGS)
    assert raised.value.field == field
    assert raised.value.message.startswith(f"{field}:"), raised.value.message


def test_the_list_and_string_limits_hold_at_the_limit() -> None:
    flt = facility_filter(QueryParams("categories=PARK,PUBLIC_HOUSING,CONSUMER&text="
                                      + "あ" * 20), SETTINGS)
    assert flt is not None and len(flt.categories or ()) == 3


def test_an_unknown_parameter_is_refused_with_the_known_ones() -> None:
    with pytest.raises(InputError) as raised:
        check_known(QueryParams("category=PARK"), FILTER_PARAMETERS)
    assert raised.value.field == "category"
    assert "categories" in raised.value.message
    check_known(QueryParams("categories=PARK"), FILTER_PARAMETERS)
