"""What one request may cost, checked before anything runs.

Three steps, each with its limits from the settings (hub.config, "request limits"):

- parsing: at most ``max_tokens`` lexical tokens; the parse is cached for texts up to
  ``max_cached_query_length`` characters (longer ones are parsed every time, so that large
  texts cannot fill the cache);
- validation: graphql-core's rules, cached the same way;
- before execution, with the variables known (``LimitedExecutor.build``): every argument
  value (strings, lists, cursors, GeoJSON positions), the depth, the aliases, the number of
  distinct geometry variants, and an estimate of the cost: each field counts once per
  object it is asked of, lists by their expected size (``first`` where the query says,
  ``LIST_SIZES`` otherwise), geometries by their weight (``GEOMETRY_WEIGHTS``).

A refusal is a GraphQLError whose original error is typed (TooComplex, InputError), so
hub.graphql.errors gives it its code without reading messages.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    parse,
)
from graphql.execution.values import get_argument_values
from graphql.language import Lexer, Source, TokenKind
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, validate_document

from hub.config import Settings
from hub.domain.errors import InputError
from hub.domain.filters import MAX_PAGE
from hub.domain.geojson import check_position_count
from hub.graphql.errors import TooComplex, VariableError, client_error

#: Expected items of a list field when the query does not say (field coordinates).
LIST_SIZES: dict[tuple[str, str], int] = {
    ("Query", "municipalities"): 195,
    ("Query", "partnerships"): 10,
    ("Query", "initiatives"): 50,
    ("Query", "consultationSessions"): 500,
    ("Query", "facilitiesServing"): 50,
    ("CoverageReport", "municipalities"): 188,
    ("CoverageReport", "gaps"): 188,
    ("Municipality", "facilities"): 20,
    ("SuggestedSite", "newlyCovered"): 50,
}
DEFAULT_LIST_SIZE = 10

#: Fields whose size is an argument, and the lists below them that it sizes.
PAGE_ARGUMENTS: dict[tuple[str, str], str] = {
    ("Query", "facilities"): "first",
    ("Query", "nearestFacilities"): "first",
    ("Query", "suggestSites"): "count",
}
PAGED_LISTS = {("FacilityConnection", "edges")}

#: Weight of one geometry at full resolution, against 1 for any other field: a
#: municipality's boundary is ~90 KB of GeoJSON (all 195: ~17.6 MB), a service area one
#: municipality's or up to all of Hokkaido's outline. Simplified by s > 10 metres it weighs
#: weight * 10 / s, at least 1.
GEOMETRY_WEIGHTS: dict[tuple[str, str], int] = {
    ("Municipality", "boundary"): 100,
    # a service area may be all of Hokkaido (全道): ~7.7 MB, 309,000 positions at full
    # resolution, against ~90 KB for an average municipality's boundary
    ("Facility", "serviceArea"): 8000,
}
SIMPLIFY_ARGUMENT = "simplifyMeters"

#: String arguments held to the cursor cap rather than the string cap.
CURSOR_ARGUMENTS = {("Query", "facilities", "after")}

#: Scalars whose values are GeoJSON (their positions are counted, not their lists).
GEOJSON_SCALARS = {"GeoJSON"}


def geometry_weight(weight: int, simplify: Any) -> int:
    if isinstance(simplify, int | float) and simplify > 10:
        return max(1, int(weight * 10 / simplify))
    return weight


# --- parsing and validation, cached for short texts only -----------------------------------


class _BoundedCache:
    """An LRU of at most ``size`` entries; texts above ``longest`` are not kept."""

    def __init__(self, size: int, longest: int) -> None:
        self.size = size
        self.longest = longest
        self.entries: OrderedDict[str, Any] = OrderedDict()

    def get(self, text: str, make: Callable[[], Any]) -> Any:
        if len(text) > self.longest:
            return make()
        if text in self.entries:
            self.entries.move_to_end(text)
            return self.entries[text]
        value = make()
        self.entries[text] = value
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return value


def _token_count_above(query: str, limit: int) -> bool:
    lexer = Lexer(Source(query))
    try:
        for _ in range(limit + 1):
            if lexer.advance().kind == TokenKind.EOF:
                return False
    except GraphQLSyntaxError:
        return False
    return True


def parse_query(query: str, max_tokens: int) -> DocumentNode:
    """The document, or a GraphQLError: TooComplex when over ``max_tokens``."""
    try:
        return parse(query, max_lexical_tokens=max_tokens)
    except GraphQLSyntaxError:
        # Only on the error path: was it the token limit or a plain syntax error?
        if _token_count_above(query, max_tokens):
            message = f"The document has more than {max_tokens} tokens."
            raise GraphQLError(message, original_error=TooComplex(message, max_tokens)) from None
        raise


# --- the checks before execution -----------------------------------------------------------


def _unwrap(type_: Any) -> Any:
    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return type_


def _is_list(type_: GraphQLOutputType) -> bool:
    return isinstance(_unwrap(type_), GraphQLList)


@dataclass
class _Walk:
    """One operation's arguments checked and its cost estimated, fragments once each."""

    settings: Settings
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: Any
    variants: set[tuple[str, str, Any]] = field(default_factory=set)
    fragment_costs: dict[tuple[str, int | None], tuple[int, int]] = field(default_factory=dict)

    def selections(self, selection_set: SelectionSetNode | None, parent: GraphQLObjectType,
                   page: int | None) -> tuple[int, int]:
        """Cost per parent object and depth below it."""
        if selection_set is None:
            return 0, 0
        cost = depth = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                c, d = self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                inner = parent
                if selection.type_condition is not None:
                    named = self.schema.get_type(selection.type_condition.name.value)
                    inner = named if isinstance(named, GraphQLObjectType) else parent
                c, d = self.selections(selection.selection_set, inner, page)
            elif isinstance(selection, FragmentSpreadNode):
                c, d = self.fragment(selection.name.value, parent, page)
            else:  # pragma: no cover - graphql-core has no other selection kind
                continue
            cost += c
            depth = max(depth, d)
        return cost, depth

    def fragment(self, name: str, parent: GraphQLObjectType, page: int | None
                 ) -> tuple[int, int]:
        key = (name, page)
        if key not in self.fragment_costs:
            definition = self.fragments[name]
            named = self.schema.get_type(definition.type_condition.name.value)
            inner = named if isinstance(named, GraphQLObjectType) else parent
            self.fragment_costs[key] = self.selections(definition.selection_set, inner, page)
        return self.fragment_costs[key]

    def field(self, node: FieldNode, parent: GraphQLObjectType, page: int | None
              ) -> tuple[int, int]:
        name = node.name.value
        if name.startswith("__"):
            return 1, 0  # introspection: bounded by the schema, not by the data
        definition = parent.fields[name]
        coordinate = (parent.name, name)
        arguments = self.arguments(node, definition, coordinate)
        size = 1
        if _is_list(definition.type):
            if coordinate in PAGED_LISTS and page is not None:
                size = page
            else:
                size = LIST_SIZES.get(coordinate, DEFAULT_LIST_SIZE)
        child_page = page
        if coordinate in PAGE_ARGUMENTS:
            requested = arguments.get(PAGE_ARGUMENTS[coordinate])
            child_page = (min(max(requested, 1), MAX_PAGE) if isinstance(requested, int)
                          else MAX_PAGE)
            if _is_list(definition.type):
                size = child_page
        if coordinate in GEOMETRY_WEIGHTS:
            simplify = arguments.get(SIMPLIFY_ARGUMENT)
            if simplify is not None and not (math.isfinite(simplify) and simplify >= 0):
                # checked here too: a field whose parent is missing never reaches its loader
                raise InputError(f"{SIMPLIFY_ARGUMENT}: {simplify} must be 0 or more metres",
                                 SIMPLIFY_ARGUMENT)
            self.variants.add((*coordinate, simplify))
            return 1 + size * geometry_weight(GEOMETRY_WEIGHTS[coordinate], simplify), 1
        named = get_named_type(definition.type)
        if isinstance(named, GraphQLObjectType):
            cost, depth = self.selections(node.selection_set, named, child_page)
            return 1 + size * cost, depth + 1
        return 1 + (size - 1 if size > 1 else 0), 1

    def arguments(self, node: FieldNode, definition: GraphQLField,
                  coordinate: tuple[str, str]) -> dict[str, Any]:
        coerced = self.variables.coerced
        for argument in node.arguments or ():
            arg_def = definition.args.get(argument.name.value)
            if (arg_def is not None and isinstance(arg_def.type, GraphQLNonNull)
                    and isinstance(argument.value, VariableNode)
                    and argument.value.name.value in coerced
                    and coerced[argument.value.name.value] is None):
                # A nullable variable may stand for a non-null argument with a default;
                # left out, the default applies, but null is the client's mistake.
                name = argument.name.value
                raise InputError(f"{name}: must not be null (variable "
                                 f"${argument.value.name.value} is null)", name)
        try:
            values = get_argument_values(definition, node, self.variables)
        except GraphQLError as error:
            raise InputError(error.message) from None
        for name, arg_def in definition.args.items():
            key = arg_def.out_name or name
            if key in values:
                self.check_value(values[key], arg_def.type, name, (*coordinate, name))
        return values

    def check_value(self, value: Any, type_: GraphQLInputType, path: str,
                    argument: tuple[str, str, str]) -> None:
        """Strings, lists and GeoJSON positions of one argument value, within the caps."""
        settings = self.settings
        type_ = _unwrap(type_)
        if value is None:
            return
        if isinstance(type_, GraphQLList):
            if isinstance(value, list | tuple):
                if len(value) > settings.max_list_length:
                    raise InputError(f"{path}: {len(value)} items; at most "
                                     f"{settings.max_list_length} are allowed", path)
                for item in value:
                    self.check_value(item, type_.of_type, path, argument)
            else:
                self.check_value(value, type_.of_type, path, argument)
        elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, dict):
            for name, input_field in type_.fields.items():
                key = input_field.out_name or name
                if key in value:
                    self.check_value(value[key], input_field.type, f"{path}.{name}", argument)
        elif isinstance(type_, GraphQLScalarType) and type_.name in GEOJSON_SCALARS:
            check_position_count(value, settings.max_polygon_vertices, path)
        elif isinstance(value, str):
            cap = (settings.max_cursor_length if argument in CURSOR_ARGUMENTS
                   else settings.max_string_length)
            if len(value) > cap:
                raise InputError(f"{path}: {len(value)} characters; at most {cap} are "
                                 "allowed", path)
            if "\x00" in value:  # PostgreSQL text cannot hold it: refused here, not there
                raise InputError(f"{path}: contains a NUL character", path)
            if not value.isascii() and _has_lone_surrogate(value):
                # JSON may spell one (\ud800); no UTF-8 text can hold it
                raise InputError(f"{path}: contains an unpaired UTF-16 surrogate", path)


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _alias_count(document: DocumentNode) -> int:
    count = 0
    stack: list[Any] = list(document.definitions)
    while stack:
        node = stack.pop()
        if isinstance(node, FieldNode) and node.alias is not None:
            count += 1
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            stack.extend(selection_set.selections)
    return count


def check_operation(settings: Settings, schema: GraphQLSchema, document: DocumentNode,
                    operation: OperationDefinitionNode,
                    fragments: dict[str, FragmentDefinitionNode], variables: Any) -> None:
    """Raises InputError or TooComplex when the operation may not run as asked."""
    aliases = _alias_count(document)
    if aliases > settings.max_aliases:
        raise TooComplex(f"The document has {aliases} aliases; at most "
                         f"{settings.max_aliases} are allowed.", settings.max_aliases, aliases)
    root = schema.get_root_type(operation.operation)
    if root is None:  # pragma: no cover - validation refuses an operation without a root
        return
    walk = _Walk(settings, schema, fragments, variables)
    cost, depth = walk.selections(operation.selection_set, root, None)
    # Root fields are at depth 0, as graphql-depth-limit counts.
    if depth - 1 > settings.max_query_depth:
        raise TooComplex(f"The operation is {depth - 1} fields deep; at most "
                         f"{settings.max_query_depth} are allowed.", settings.max_query_depth,
                         depth - 1)
    if len(walk.variants) > settings.max_geometry_variants:
        raise TooComplex(f"The operation asks for {len(walk.variants)} distinct geometry "
                         f"variants (field and simplifyMeters); at most "
                         f"{settings.max_geometry_variants} are allowed.",
                         settings.max_geometry_variants, len(walk.variants))
    if cost > settings.max_query_cost:
        raise TooComplex(f"The operation's estimated cost is {cost}; at most "
                         f"{settings.max_query_cost} is allowed (ask for fewer objects, or "
                         "for geometries with simplifyMeters).", settings.max_query_cost, cost)


def checked_arguments(settings: Settings, schema: GraphQLSchema, variables: Any,
                      node: FieldNode, definition: GraphQLField,
                      coordinate: tuple[str, str]) -> dict[str, Any]:
    """One field's arguments, coerced and checked as check_operation checks them (InputError
    when refused): for a caller that knows the rest of the operation passed already."""
    return _Walk(settings, schema, {}, variables).arguments(node, definition, coordinate)


def _variable_error(error: GraphQLError) -> GraphQLError:
    """graphql-core's refusal of a variable's value, typed and naming the variable."""
    node = error.nodes[0] if error.nodes else None
    variable = getattr(getattr(node, "variable", None), "name", None)
    name = variable.value if variable is not None else None
    return GraphQLError(error.message, nodes=error.nodes,
                        original_error=VariableError(error.message, name))


def _validation_error(error: GraphQLError) -> GraphQLError:
    """graphql-core's verdict on the document, typed: the client's, unless validation gave
    up on the work the document asks of it (QUERY_TOO_COMPLEX)."""
    if isinstance(error, ValidationAbortedError):
        message = "The document is too complex to validate."
        return GraphQLError(message, nodes=error.nodes,
                            original_error=TooComplex(message, None))
    return client_error(error) if error.original_error is not None else error


def executor_for(settings: Settings) -> type[StrawberryGraphQLCoreExecutionContext]:
    class LimitedExecutor(StrawberryGraphQLCoreExecutionContext):
        """Coerces the variables (their errors typed), then checks the operation."""

        @classmethod
        def build(cls, schema: GraphQLSchema, document: DocumentNode, *args: Any,
                  **kwargs: Any) -> Any:
            built = super().build(schema, document, *args, **kwargs)
            if isinstance(built, list):
                return [_variable_error(e) for e in built]
            try:
                check_operation(settings, built.schema, document, built.operation,
                                built.fragment_definitions, built.variable_values)
            except (InputError, TooComplex) as exc:
                return [GraphQLError(str(exc), original_error=exc)]
            return built

    return LimitedExecutor


# --- the schema extension ------------------------------------------------------------------

#: The request's memo of checked filters, by the response field they are an argument of (see
#: hub.graphql.inputs.to_filter_once); set for the duration of each execution.
request_memo: ContextVar[dict[Any, Any] | None] = ContextVar("hub_request_memo", default=None)


def extension_for(settings: Settings) -> Callable[[], SchemaExtension]:
    parse_cache = _BoundedCache(settings.query_cache_size, settings.max_cached_query_length)
    validation_cache = _BoundedCache(settings.query_cache_size,
                                     settings.max_cached_query_length)

    class RequestLimits(SchemaExtension):
        """Parses within the token limit and validates, both cached for short texts; gives
        each execution its memo."""

        parsed = parse_cache
        validated = validation_cache

        def on_parse(self) -> Iterator[None]:
            context = self.execution_context
            query = context.query or ""
            context.graphql_document = self.parsed.get(
                query, lambda: parse_query(query, settings.max_tokens))
            yield

        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            document = context.graphql_document
            assert document is not None

            def validate() -> list[GraphQLError]:
                errors = validate_document(context.schema._schema, document,
                                           tuple(context.validation_rules))
                return [_validation_error(e) for e in errors]

            # Keyed by the text, as the parse is: the same text is the same document. A copy,
            # since classifying the errors replaces the list's items.
            context.pre_execution_errors = list(self.validated.get(context.query or "", validate))
            yield

        def on_execute(self) -> Iterator[None]:
            token = request_memo.set({})
            try:
                yield
            finally:
                request_memo.reset(token)

    return RequestLimits
