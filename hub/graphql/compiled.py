"""The compiled path: a query over the facility graph answered by one SQL statement that
builds the response's JSON inside PostgreSQL (hub.services.reads.json_sql), as PostGraphile
and Hasura do, instead of graphql-core completing every field in Python.

An operation is planned once (cached by its text and operation name): parsed and validated
as the executor would, then turned into picks. Planning gives up (``None``) on anything it
does not know: a mutation or subscription, a field json_sql does not build, a directive, a
fragment on another type. Each request then coerces its variables, runs the same request
limits (hub.graphql.limits.check_operation) and the same argument checks as the resolvers;
whenever any of that refuses, the operation goes to the Strawberry executor, which gives
the error in the usual shape. So the compiled path answers only what it answers exactly as
the executor would, and every error, code and mask comes from one place.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any, cast

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    is_non_null_type,
    specified_rules,
    validate,
)
from graphql.execution.get_variable_signature import (
    GraphQLVariableSignature,
    get_variable_signature,
)
from graphql.execution.values import (
    VariableValues,
    VariableValueSource,
    get_variable_values,
    input_is_nested_too_deeply,
)
from graphql.pyutils import Undefined
from graphql.utilities import coerce_input_value

from hub.config import Settings
from hub.domain.errors import InputError
from hub.domain.filters import (
    FacilityFilter,
    check_distance,
    check_first,
    check_point,
    decode_cursor,
    make_filter,
)
from hub.graphql.errors import TooComplex
from hub.graphql.limits import check_operation, checked_arguments, parse_query
from hub.services.reads.json_sql import Pick, Root, Unsupported, statement, supports

#: The root fields the compiled path answers (and a root __typename).
ROOT_FIELDS = {"nearestFacilities", "facility", "facilities", "facilitiesServing",
               "hubVersion"}


#: Most page sizes and statement texts a plan keeps (each set is cleared when full).
REMEMBERED = 64

#: A root __typename's definition (not among the Query type's fields).
TYPENAME_FIELD = GraphQLField(GraphQLNonNull(GraphQLString))


@dataclass(frozen=True)
class RootField:
    key: str
    name: str
    node: FieldNode
    definition: GraphQLField
    picks: tuple[Pick, ...]


@dataclass(eq=False)
class Plan:
    """A planned operation: what the limits need to check it, and its root fields.

    ``passed`` holds the page sizes (each root's ``first``) with which the whole operation
    once passed check_operation. Below its root fields a planned operation has no arguments
    and no geometries, so its aliases, depth and cost depend on those sizes alone: with
    sizes that passed, only the root fields' arguments remain to be checked."""

    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    roots: tuple[RootField, ...]
    passed: set[tuple[Any, ...]] = field(default_factory=set)
    #: Its statements' texts (hub.services.reads.json_sql.statement).
    texts: dict[Any, str] = field(default_factory=dict)
    #: Its variables' types, when none has a default (None: graphql-core coerces them).
    signatures: tuple[GraphQLVariableSignature, ...] | None = None


class _NotPlanned(Exception):
    pass


@dataclass
class _Planner:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]

    def fields(self, selection_set: SelectionSetNode | None, parent: GraphQLObjectType
               ) -> OrderedDict[str, list[FieldNode]]:
        """The fields under one response key each, fragments spread in, in the order
        GraphQL's CollectFields gives them."""
        found: OrderedDict[str, list[FieldNode]] = OrderedDict()
        if selection_set is None:
            return found
        for selection in selection_set.selections:
            if selection.directives:
                raise _NotPlanned("directive")
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                found.setdefault(key, []).append(selection)
                continue
            if isinstance(selection, FragmentSpreadNode):
                definition = self.fragments[selection.name.value]
                if definition.directives:
                    raise _NotPlanned("directive")
                condition, inner = definition.type_condition.name.value, definition.selection_set
            elif isinstance(selection, InlineFragmentNode):
                condition = (selection.type_condition.name.value
                             if selection.type_condition else parent.name)
                inner = selection.selection_set
            else:  # pragma: no cover - graphql-core has no other selection kind
                raise _NotPlanned("selection")
            if condition != parent.name:
                raise _NotPlanned("fragment on another type")
            for key, nodes in self.fields(inner, parent).items():
                found.setdefault(key, []).extend(nodes)
        return found

    def picks(self, nodes: list[FieldNode], parent: GraphQLObjectType) -> tuple[Pick, ...]:
        """The picks below fields merged under one key (validation made them the same
        field with the same arguments)."""
        merged = SelectionSetNode(selections=tuple(
            s for node in nodes if node.selection_set for s in node.selection_set.selections))
        result = []
        for key, found in self.fields(merged, parent).items():
            name = found[0].name.value
            if not supports(parent.name, name):
                raise _NotPlanned(f"{parent.name}.{name}")
            if name == "__typename":
                result.append(Pick(key, name))
                continue
            if any(node.arguments for node in found):
                raise _NotPlanned("arguments below the root")
            named = get_named_type(parent.fields[name].type)
            children = (self.picks(found, named) if isinstance(named, GraphQLObjectType)
                        else ())
            result.append(Pick(key, name, children))
        return tuple(result)


def plan(schema: GraphQLSchema, query: str, operation_name: str | None, max_tokens: int
         ) -> Plan | None:
    """The operation's plan, or None when it goes to the Strawberry executor (which also
    gives every refusal: a syntax error, a validation error, an unknown operation)."""
    try:
        document = parse_query(query, max_tokens)
    except GraphQLError:
        return None
    if validate(schema, document, specified_rules):
        return None
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.QUERY:
        return None
    if operation.directives:
        return None
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    planner = _Planner(schema, fragments)
    query_type = schema.query_type
    assert query_type is not None
    roots = []
    try:
        for key, nodes in planner.fields(operation.selection_set, query_type).items():
            name = nodes[0].name.value
            if name == "__typename":
                roots.append(RootField(key, name, nodes[0], TYPENAME_FIELD, ()))
                continue
            if name not in ROOT_FIELDS:
                return None
            definition = query_type.fields[name]
            named = get_named_type(definition.type)
            picks = (planner.picks(nodes, named) if isinstance(named, GraphQLObjectType)
                     else ())
            roots.append(RootField(key, name, nodes[0], definition, picks))
    except _NotPlanned:
        return None
    signatures = tuple(get_variable_signature(schema, node)
                       for node in operation.variable_definitions or ())
    simple = all(isinstance(sig, GraphQLVariableSignature) and sig.default is None
                 for sig in signatures)
    return Plan(document, operation, fragments, tuple(roots),
                signatures=cast(tuple[GraphQLVariableSignature, ...], signatures)
                if simple else None)


def _coerced(schema: GraphQLSchema, planned: Plan, inputs: dict[str, Any]
             ) -> VariableValues | None:
    """The variables' values as graphql-core's get_variable_values makes them, without
    building their types again each time; None when any is refused (the executor says
    why)."""
    if planned.signatures is None:
        found = get_variable_values(schema, planned.operation.variable_definitions or (),
                                    inputs)
        return None if isinstance(found, list) else found
    sources: dict[str, VariableValueSource] = {}
    coerced: dict[str, Any] = {}
    for signature in planned.signatures:
        value = inputs.get(signature.name, Undefined)
        sources[signature.name] = VariableValueSource(signature, value)
        if value is Undefined:
            if is_non_null_type(signature.type):
                return None
            continue  # left out, and no default: absent
        if input_is_nested_too_deeply(value, signature.type):
            return None
        result = coerce_input_value(value, signature.type)
        if result is Undefined:
            return None
        coerced[signature.name] = result
    return VariableValues(sources, coerced)


def _filter(value: dict[str, Any] | None) -> FacilityFilter | None:
    if value is None:
        return None
    return make_filter(
        categories=_enum_values(value.get("categories")),
        operator_levels=_enum_values(value.get("operatorLevels")),
        services=value.get("services"),
        municipality_codes=value.get("municipalityCodes"),
        subprefecture=value.get("subprefecture"),
        text=value.get("text"),
        within_bbox=value.get("withinBbox"),
        within=value.get("within"),
        field="filter",
    )


def _enum_values(values: list[Any] | None) -> list[str] | None:
    return None if values is None else [v.value for v in values]


def _root(rf: RootField, args: dict[str, Any]) -> Root:
    """The root field with its arguments checked as its resolver checks them (InputError
    when they are refused)."""
    name = rf.name
    if name == "__typename":
        return Root(rf.key, name, rf.picks)
    if name == "hubVersion":
        return Root(rf.key, name, rf.picks, {"version": version("hub")})
    if name == "facility":
        if (args.get("id") is None) == (args.get("code") is None):
            raise InputError("facility: give exactly one of id and code", "id")
        if args.get("id") is not None:
            facility_id = int(args["id"])  # ValueError: the executor says what is wrong
            if not -2**63 <= facility_id < 2**63:
                raise InputError("id: out of range", "id")
            return Root(rf.key, name, rf.picks, {"id": facility_id})
        return Root(rf.key, name, rf.picks, {"code": args["code"]})
    flt = _filter(args.get("filter"))
    if name == "facilities":
        first = check_first(50 if args.get("first") is None else args["first"])
        after = decode_cursor(args["after"]) if args.get("after") is not None else None
        return Root(rf.key, name, rf.picks, {"first": first, "after": after}, flt)
    point = args["near"] if name == "nearestFacilities" else args["point"]
    lat, lon = check_point(point["lat"], point["lon"],
                           "near" if name == "nearestFacilities" else "point")
    if name == "facilitiesServing":
        return Root(rf.key, name, rf.picks, {"lat": lat, "lon": lon}, flt)
    first = check_first(5 if args.get("first") is None else args["first"])
    distance = check_distance(args.get("maxDistanceMeters"))
    return Root(rf.key, name, rf.picks,
                {"lat": lat, "lon": lon, "first": first, "max_distance": distance}, flt)


@dataclass(frozen=True)
class Prepared:
    """A request's statement, and the filters whose codes must be looked up first."""

    text: str
    params: dict[str, Any]
    filters: tuple[FacilityFilter, ...]


def prepare(settings: Settings, schema: GraphQLSchema, planned: Plan,
            variables: dict[str, Any] | None) -> Prepared | None:
    """The statement answering one request of a planned operation, or None when the
    executor must answer it (a refused variable, argument or limit: the executor gives the
    same refusal in the usual shape)."""
    coerced = _coerced(schema, planned, variables or {})
    if coerced is None:
        return None
    try:
        arguments = [checked_arguments(settings, schema, coerced, root.node, root.definition,
                                       ("Query", root.name)) for root in planned.roots]
        sizes = tuple(args.get("first") for args in arguments)
        if sizes not in planned.passed:
            check_operation(settings, schema, planned.document, planned.operation,
                            planned.fragments, coerced)
            if len(planned.passed) >= REMEMBERED:
                planned.passed.clear()  # bounded: a client may vary the sizes at will
            planned.passed.add(sizes)
        roots = tuple(_root(root, args) for root, args in zip(planned.roots, arguments,
                                                              strict=True))
        if len(planned.texts) >= REMEMBERED:
            planned.texts.clear()  # bounded: filter shapes vary with the variables
        text, params = statement(roots, planned.texts)
    except (InputError, TooComplex, GraphQLError, ValueError, Unsupported):
        return None
    return Prepared(text, params, tuple(r.filter for r in roots if r.filter is not None))


class Plans:
    """Plans by operation text and name: an LRU of ``size`` entries, texts longer than
    ``longest`` not kept (as the parse cache of hub.graphql.limits)."""

    def __init__(self, settings: Settings, schema: GraphQLSchema) -> None:
        self.settings = settings
        self.schema = schema
        self.entries: OrderedDict[tuple[str, str | None], Plan | None] = OrderedDict()

    def get(self, query: str, operation_name: str | None) -> Plan | None:
        key = (query, operation_name)
        if key in self.entries:
            self.entries.move_to_end(key)
            return self.entries[key]
        planned = plan(self.schema, query, operation_name, self.settings.max_tokens)
        if len(query) <= self.settings.max_cached_query_length:
            self.entries[key] = planned
            if len(self.entries) > self.settings.query_cache_size:
                self.entries.popitem(last=False)
        return planned


def sql_for(query: str, variables: dict[str, Any] | None = None,
            operation_name: str | None = None, settings: Settings | None = None
            ) -> tuple[str, dict[str, Any]] | None:
    """The SQL and parameters the compiled path sends for an operation (None: the executor
    answers it), for benchmarks that run the same statement straight through pgbench."""
    from hub.graphql.schema import make_schema

    settings = settings or Settings.model_construct()
    graphql_schema = make_schema(settings)._schema
    planned = plan(graphql_schema, query, operation_name, settings.max_tokens)
    prepared = prepare(settings, graphql_schema, planned, variables) if planned else None
    return (prepared.text, prepared.params) if prepared else None
