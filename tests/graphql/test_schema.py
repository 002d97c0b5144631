"""The served schema: schema/hub.graphql is its export, and it keeps the contract."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    GraphQLInputObjectType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
)

from hub.graphql.schema import schema

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT.parent / "shared" / "CONTRACT.graphql"

#: Contract names later work brings (the collaboration features and writing). Everything
#: else of the contract must be served as written.
PENDING_FIELDS = {("Query", "events"), ("Query", "eventConflicts"),
                  ("Mutation", "createEvent")}
PENDING_TYPES = {"Event", "EventConflict", "Audience", "EventInput"}


def test_the_exported_sdl_is_the_served_schema() -> None:
    exported = (ROOT / "schema" / "hub.graphql").read_text(encoding="utf-8")
    assert exported == schema.as_str() + "\n", "run `hub export-schema` after changing the API"


def _contract() -> GraphQLSchema:
    return build_schema(CONTRACT.read_text(encoding="utf-8"))


def _served() -> GraphQLSchema:
    return schema._schema


def _fields(named: GraphQLNamedType) -> dict[str, tuple[str, dict[str, tuple[str, object]]]]:
    """Each field's type and its arguments' types and defaults, as printed SDL types."""
    if isinstance(named, GraphQLObjectType):
        return {
            name: (str(field.type), {a: (str(arg.type), arg.default_value)
                                     for a, arg in field.args.items()})
            for name, field in named.fields.items()
        }
    if isinstance(named, GraphQLInputObjectType):
        return {name: (str(field.type), {}) for name, field in named.fields.items()}
    return {}


def _contract_types() -> list[str]:
    return sorted(name for name in _contract().type_map
                  if not name.startswith("__") and name not in PENDING_TYPES)


@pytest.mark.parametrize("type_name", _contract_types())
def test_every_contract_name_is_served_as_written(type_name: str) -> None:
    wanted = _contract().type_map[type_name]
    served = _served().type_map.get(type_name)
    assert served is not None, f"{type_name} is missing"
    assert isinstance(served, type(wanted)), type_name
    served_fields = _fields(served)
    for name, (field_type, args) in _fields(wanted).items():
        if (type_name, name) in PENDING_FIELDS:
            continue
        assert name in served_fields, f"{type_name}.{name} is missing"
        got_type, got_args = served_fields[name]
        assert got_type == field_type, f"{type_name}.{name}: {got_type} != {field_type}"
        for arg, (arg_type, default) in args.items():
            assert arg in got_args, f"{type_name}.{name}({arg}) is missing"
            assert got_args[arg][0] == arg_type, f"{type_name}.{name}({arg})"
            if default is not None and str(default) != "Undefined":
                assert got_args[arg][1] == default, f"{type_name}.{name}({arg}) default"
    enum_values = getattr(wanted, "values", None)
    if enum_values is not None:
        assert set(getattr(served, "values", {})) == set(enum_values), type_name


def test_the_pending_list_only_names_what_is_really_missing() -> None:
    served = _served()
    for type_name in PENDING_TYPES:
        assert type_name not in served.type_map, f"{type_name} is served: drop it from PENDING"
    query = served.type_map["Query"]
    assert isinstance(query, GraphQLObjectType)
    for _, field in PENDING_FIELDS:
        assert field not in query.fields, f"Query.{field} is served: drop it from PENDING"


@pytest.mark.parametrize(("enum", "vocabulary"), [
    ("FacilityCategory", "FACILITY_CATEGORIES"),
    ("OperatorLevel", "OPERATOR_LEVELS"),
    ("LocationPrecision", "LOCATION_PRECISIONS"),
    ("InitiativeStatus", "INITIATIVE_STATUSES"),
])
def test_the_graphql_enums_hold_the_vocabulary(enum: str, vocabulary: str) -> None:
    """The database CHECKs and the data files take their values from hub.domain.vocabulary;
    the enums, written out for strawberry, must hold the same ones in the same order."""
    from hub.domain import vocabulary as vocab
    from hub.graphql import enums

    assert [m.value for m in getattr(enums, enum)] == list(getattr(vocab, vocabulary))
