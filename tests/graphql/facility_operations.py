"""Hypothesis strategies for GraphQL operations over the facility graph and for the values of
any operation's variables, drawn from what the seed database holds (``Vocabulary``): points
beside its facilities, their codes, ids, names, services, municipalities and cursors.

Used by the differential test of the compiled SQL path against the Strawberry executor
(tests/graphql/test_compiled_differential.py): the operations are mostly ones the compiled
path takes (the root fields, Facility fields and relations it plans, with aliases,
fragments, inline fragments, repeated fields, __typename, variables and literals), some not
(a field or a directive it leaves to Strawberry), and some of their values are a client's
mistakes, so that the error answers are compared too."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)
from hypothesis import strategies as st

#: Hokkaido's extent, with a margin: points drawn inside it are where a client asks.
HOKKAIDO = (139.3, 41.3, 145.9, 45.6)  # min lon, min lat, max lon, max lat


@dataclass(frozen=True)
class SeedFacility:
    id: str
    code: str
    names: tuple[str, ...]
    point: tuple[float, float] | None  # (lat, lon)
    services: tuple[str, ...]


@dataclass(frozen=True)
class Vocabulary:
    """What the seed database holds, read through the API once per test module."""

    facilities: tuple[SeedFacility, ...]
    municipality_codes: tuple[str, ...]
    subprefectures: tuple[str, ...]
    service_codes: tuple[str, ...]
    cursors: tuple[str, ...]
    points: tuple[tuple[float, float], ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "points", tuple(
            f.point for f in self.facilities if f.point is not None))


# ---- values --------------------------------------------------------------------------------

CATEGORIES = ("CITIZEN_ACTIVITY", "GENDER_EQUALITY", "CONSUMER", "PARK", "INDUSTRY_VOCATIONAL",
              "PUBLIC_HOUSING")
OPERATOR_LEVELS = ("PREFECTURE", "CITY", "MUNICIPALITY", "NPO", "OTHER")


def _jitter(degrees: float) -> st.SearchStrategy[float]:
    return st.floats(-degrees, degrees, allow_nan=False, allow_infinity=False)


def points(vocab: Vocabulary) -> st.SearchStrategy[dict[str, float]]:
    """A point beside a seed facility (so that nearest and serving return rows), exactly at
    one, or anywhere in Hokkaido."""
    lon0, lat0, lon1, lat1 = HOKKAIDO
    beside = st.builds(lambda p, dlat, dlon: {"lat": round(p[0] + dlat, 6),
                                              "lon": round(p[1] + dlon, 6)},
                       st.sampled_from(vocab.points), _jitter(0.3), _jitter(0.3))
    at = st.sampled_from(vocab.points).map(lambda p: {"lat": p[0], "lon": p[1]})
    anywhere = st.builds(lambda lat, lon: {"lat": round(lat, 5), "lon": round(lon, 5)},
                         st.floats(lat0, lat1), st.floats(lon0, lon1))
    return st.one_of(beside, beside, at, anywhere)


BAD_POINTS = st.sampled_from([{"lat": 91.0, "lon": 141.3}, {"lat": -90.5, "lon": 141.3},
                              {"lat": 43.0, "lon": 181.0}, {"lat": 43.0, "lon": -180.5}])


def bbox(vocab: Vocabulary) -> st.SearchStrategy[list[float]]:
    """[minLon, minLat, maxLon, maxLat] around a seed facility, small or large."""
    return st.builds(
        lambda p, half: [round(p[1] - half, 4), round(p[0] - half, 4),
                         round(p[1] + half, 4), round(p[0] + half, 4)],
        st.sampled_from(vocab.points), st.sampled_from([0.01, 0.05, 0.2, 1.0, 3.0]))


BAD_BBOXES = st.sampled_from([[141.0, 43.0, 142.0], [142.0, 43.0, 141.0, 44.0],
                              [141.0, 44.0, 142.0, 43.0], [141.0, 43.0, 200.0, 44.0]])


def polygon(vocab: Vocabulary) -> st.SearchStrategy[dict[str, Any]]:
    """A square GeoJSON Polygon around a seed facility."""
    def square(p: tuple[float, float], half: float) -> dict[str, Any]:
        lat, lon = p
        ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
                [lon - half, lat + half], [lon - half, lat - half]]
        return {"type": "Polygon", "coordinates": [[[round(x, 4), round(y, 4)]
                                                    for x, y in ring]]}
    return st.builds(square, st.sampled_from(vocab.points), st.sampled_from([0.05, 0.5, 2.0]))


def texts(vocab: Vocabulary) -> st.SearchStrategy[str]:
    """A piece of a seed facility's name (any of its names), or a common word."""
    names = [n for f in vocab.facilities for n in f.names if n]
    piece = st.builds(lambda name, start, length: name[start % len(name):][:length] or name,
                      st.sampled_from(names), st.integers(0, 20), st.integers(1, 6))
    return st.one_of(piece, st.sampled_from(["センター", "札幌", "park", "CENTRE", "消費",
                                             "%", "_", "no such name"]))


def filters(vocab: Vocabulary, bad: bool = False) -> st.SearchStrategy[dict[str, Any]]:
    """A FacilityFilter with a few of its fields (none, one or several, which AND); with
    ``bad`` one field holds a client's mistake."""
    fields: dict[str, st.SearchStrategy[Any]] = {
        "categories": st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3,
                               unique=True),
        "operatorLevels": st.lists(st.sampled_from(OPERATOR_LEVELS), min_size=1, max_size=2,
                                   unique=True),
        "services": st.lists(st.sampled_from(vocab.service_codes), min_size=1, max_size=2,
                             unique=True),
        "municipalityCodes": st.lists(st.sampled_from(vocab.municipality_codes), min_size=1,
                                      max_size=3, unique=True),
        "subprefecture": st.sampled_from(vocab.subprefectures),
        "text": texts(vocab),
        "withinBbox": bbox(vocab),
        "within": polygon(vocab),
    }
    chosen = st.lists(st.sampled_from(sorted(fields)), max_size=3, unique=True)
    good = chosen.flatmap(lambda names: st.fixed_dictionaries(
        {name: fields[name] for name in names}))
    if not bad:
        return good
    mistakes = st.one_of(
        st.just({"services": ["no_such_service"]}),
        BAD_BBOXES.map(lambda b: {"withinBbox": b}),
        st.just({"municipalityCodes": ["99999"]}),
        st.just({"subprefecture": "無い振興局"}),
        st.just({"text": "x" * 1001}),
        st.just({"within": {"type": "Point", "coordinates": [141.3, 43.0]}}),
    )
    return st.builds(lambda g, m: {**g, **m}, good, mistakes)


def dates() -> st.SearchStrategy[str]:
    return st.dates(dt.date(2025, 1, 1), dt.date(2026, 12, 31)).map(dt.date.isoformat)


def _hinted(name: str, named: str, vocab: Vocabulary) -> st.SearchStrategy[Any] | None:
    """Sensible values by the variable's (or argument's) name and its named type."""
    lowered = name.lower()
    codes = [f.code for f in vocab.facilities]
    ids = [f.id for f in vocab.facilities]
    if named == "GeoPointInput":
        return points(vocab)
    if named == "FacilityFilter":
        return filters(vocab)
    if named == "Int":
        if lowered in ("first", "count", "limit", "n", "page"):
            return st.integers(1, 20)
        if "year" in lowered:
            return st.integers(2015, 2026)
        if "days" in lowered:
            return st.integers(1, 30)
        if lowered in ("v", "version", "expectedversion"):
            return st.integers(1, 3)
        return st.integers(0, 20)
    if named == "Float":
        if lowered == "lat":
            return st.sampled_from(vocab.points).map(lambda p: p[0])
        if lowered == "lon":
            return st.sampled_from(vocab.points).map(lambda p: p[1])
        if "distance" in lowered or lowered in ("max", "m", "meters"):
            return st.sampled_from([100.0, 1000.0, 5000.0, 20000.0, 100000.0])
        if "simplify" in lowered:
            return st.sampled_from([50.0, 100.0, 500.0])
        return st.floats(0, 1000, allow_nan=False).map(lambda x: round(x, 3))
    if named == "String":
        if "municipality" in lowered or lowered in ("mcode", "muni"):
            return st.sampled_from(vocab.municipality_codes)
        if "code" in lowered:
            return st.sampled_from(codes)
        if lowered in ("after", "cursor"):
            return st.sampled_from(vocab.cursors)
        if "subprefecture" in lowered:
            return st.sampled_from(vocab.subprefectures)
        if "text" in lowered or "name" in lowered or lowered in ("q", "search"):
            return texts(vocab)
        return st.one_of(st.sampled_from(codes), texts(vocab))
    if named == "ID":
        return st.sampled_from(ids)
    if named == "Date":
        return dates()
    if named == "DateTime":
        return st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2026, 12, 31)).map(
            lambda d: d.replace(tzinfo=dt.UTC).isoformat())
    if named == "GeoJSON":
        return polygon(vocab)
    if named in ("JSON",):
        return st.just({})
    if named == "Boolean":
        return st.booleans()
    return None


def _bad(named: str, name: str) -> st.SearchStrategy[Any] | None:
    """A client's mistake for a value of this type (and name), where there is one."""
    lowered = name.lower()
    if named == "GeoPointInput":
        return BAD_POINTS
    if named == "Int" and lowered in ("first", "count"):
        return st.sampled_from([0, -1, 101, 2**31])
    if named == "Float" and lowered == "lat":
        return st.just(95.0)
    if named == "Float" and "distance" in lowered:
        return st.just(-5.0)
    if named == "String" and lowered == "after":
        return st.just("not-a-cursor")
    if named == "Date":
        return st.just("2017-13-01")
    return None


def value_of(type_: GraphQLInputType, name: str, vocab: Vocabulary, bad: bool = False,
             depth: int = 0) -> st.SearchStrategy[Any]:
    """A value of ``type_`` for a variable or input field called ``name``; with ``bad``, a
    client's mistake where the type has a usual one (else a valid value)."""
    if isinstance(type_, GraphQLNonNull):
        return value_of(type_.of_type, name, vocab, bad, depth)
    if isinstance(type_, GraphQLList):
        return st.lists(value_of(type_.of_type, name, vocab, False, depth + 1), min_size=1,
                        max_size=3)
    named = type_.name
    if bad:
        if named == "FacilityFilter":
            return filters(vocab, bad=True)
        mistake = _bad(named, name)
        if mistake is not None:
            return mistake
    hinted = _hinted(name, named, vocab)
    if hinted is not None:
        return hinted
    if isinstance(type_, GraphQLEnumType):
        return st.sampled_from(sorted(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        required = {k: value_of(f.type, k, vocab, False, depth + 1)
                    for k, f in type_.fields.items() if isinstance(f.type, GraphQLNonNull)}
        optional = {k: value_of(f.type, k, vocab, False, depth + 1)
                    for k, f in type_.fields.items()
                    if not isinstance(f.type, GraphQLNonNull) and depth < 2}
        return st.fixed_dictionaries(required, optional=optional)
    assert isinstance(type_, GraphQLScalarType), type_
    return st.text(max_size=10)


# ---- literals ------------------------------------------------------------------------------

ENUM_FIELDS = {"categories", "operatorLevels", "category", "level", "status", "audience"}


def literal(value: Any, enum: bool = False) -> str:
    """``value`` written inline in a document (enum values unquoted where ``enum``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return value if enum else json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v, enum) for v in value) + "]"
    assert isinstance(value, dict), value
    return "{" + ", ".join(f"{k}: {literal(v, k in ENUM_FIELDS)}"
                           for k, v in value.items()) + "}"


# ---- operations over the facility graph -----------------------------------------------------

FACILITY_SCALARS = ("id", "code", "nameJa", "nameKana", "nameEn", "category", "address",
                    "locationPrecision", "activityArea", "establishedOn", "legalBasis",
                    "sources", "note", "version", "updatedAt", "building", "postalCode",
                    "phone", "hours", "closedDays", "url")
OPERATOR_FIELDS = ("id", "name", "level")
MUNICIPALITY_FIELDS = ("code", "nameJa", "nameKana", "nameEn", "subprefecture", "population",
                       "populationYear", "northernTerritories")
SERVICE_FIELDS = ("code", "nameJa", "nameEn")
ALIAS_FIELDS = ("name", "source")
#: Facility fields the compiled path leaves to Strawberry.
OTHER_FACILITY_FIELDS = ("availableDays", "openingTime", "closingTime", "availabilityNote",
                         "serviceArea(simplifyMeters: 500)", "metrics { name value unit }",
                         "consultations { id title }", "partnerships { id category }")


@dataclass
class Operation:
    """A document with its variables and the name of the operation to run."""

    query: str
    variables: dict[str, Any]
    operation_name: str | None
    compilable: bool  # only what the compiled path plans (a hint; the server's count rules)


@dataclass
class _Doc:
    """What a document being drawn collects: aliases and names, the variables' definitions
    and values, the fragments, whether it strayed outside the compiled path."""

    draw: st.DrawFn
    vocab: Vocabulary
    definitions: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    fragments: dict[str, str] = field(default_factory=dict)
    names: int = 0
    compilable: bool = True
    bad: bool = False
    stray: bool = False  # may ask for fields the compiled path leaves to Strawberry

    def fresh(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}{self.names}"


def _one_in(draw: st.DrawFn, n: int) -> bool:
    """True once in ``n`` draws. Not at 0: hypothesis favours the simplest value, so a
    rare feature there would come often, and shrinking drops a feature the failure does
    not need."""
    return draw(st.integers(0, n - 1)) == n // 2


def _argument(doc: _Doc, name: str, type_: str, strategy: st.SearchStrategy[Any],
              enum: bool = False, nullable: bool = True) -> str:
    """``name: <value>``, inline or as a variable (declared nullable or not, sometimes with
    a default, sometimes left out of the variables when it has one)."""
    value = doc.draw(strategy)
    if nullable and not type_.endswith("!") and _one_in(doc.draw, 10):
        value = None  # the same as leaving the argument out
    how = doc.draw(st.sampled_from(["inline", "inline", "variable", "variable", "default"]))
    if how == "inline":
        return f"{name}: {literal(value, enum)}"
    var = doc.fresh(name[:4])
    if how == "default":
        doc.definitions.append(f"${var}: {type_.rstrip('!')} = {literal(value, enum)}")
        if doc.draw(st.booleans()):
            doc.values[var] = value
    else:
        doc.definitions.append(f"${var}: {type_}")
        doc.values[var] = value
    return f"{name}: ${var}"


def _field(doc: _Doc, name: str, args: str = "", body: str = "", alias: bool | None = None
           ) -> str:
    """A field, sometimes under an alias (always where ``alias``, never where False)."""
    if alias is None:
        alias = _one_in(doc.draw, 6)
    prefix = f"{doc.fresh('a')}: " if alias else ""
    return f"{prefix}{name}{args}{(' { ' + body + ' }') if body else ''}"


def _leaves(doc: _Doc, names: tuple[str, ...], typename: str) -> str:
    chosen = doc.draw(st.lists(st.sampled_from(names), min_size=1, max_size=len(names)))
    parts = [_field(doc, name) for name in chosen]
    if _one_in(doc.draw, 6):
        parts.insert(doc.draw(st.integers(0, len(parts))), "__typename")
    if _one_in(doc.draw, 7):
        parts.append(f"... on {typename} {{ {doc.draw(st.sampled_from(names))} }}")
    return " ".join(parts)


def _facility(doc: _Doc, depth: int = 0) -> str:
    """A selection on Facility: scalars, relations, repeats, __typename, fragments."""
    parts: list[str] = []
    for _ in range(doc.draw(st.integers(1, 5))):
        kind = doc.draw(st.sampled_from(
            ["scalar"] * 6 + ["location", "operator", "municipality", "services", "aliases",
                              "inline", "spread", "typename", "other"]))
        if kind == "scalar":
            parts.append(_field(doc, doc.draw(st.sampled_from(FACILITY_SCALARS))))
        elif kind == "location":
            parts.append(_field(doc, "location", body=_leaves(doc, ("lat", "lon"), "GeoPoint")))
        elif kind == "operator":
            parts.append(_field(doc, "operator",
                                body=_leaves(doc, OPERATOR_FIELDS, "Operator")))
        elif kind == "municipality":
            parts.append(_field(doc, "municipality", body=_leaves(
                doc, MUNICIPALITY_FIELDS, "Municipality")))
        elif kind == "services":
            parts.append(_field(doc, "services", body=_leaves(doc, SERVICE_FIELDS, "Service")))
        elif kind == "aliases":
            parts.append(_field(doc, "aliases",
                                body=_leaves(doc, ALIAS_FIELDS, "FacilityAlias")))
        elif kind == "typename":
            parts.append("__typename")
        elif kind == "inline" and depth < 2:
            condition = doc.draw(st.sampled_from(["on Facility ", ""]))
            parts.append(f"... {condition}{{ {_facility(doc, depth + 1)} }}")
        elif kind == "spread" and depth < 2:
            reuse: bool = doc.draw(st.booleans())
            if doc.fragments and reuse:
                parts.append("..." + doc.draw(st.sampled_from(sorted(doc.fragments))))
            else:
                name = doc.fresh("F")
                # Its body may spread only fragments complete before it: no cycles.
                body = _facility(doc, depth + 1)
                doc.fragments[name] = f"fragment {name} on Facility {{ {body} }}"
                parts.append("..." + name)
        elif kind == "other" and doc.stray:
            doc.compilable = False
            parts.append(doc.draw(st.sampled_from(OTHER_FACILITY_FIELDS)))
        else:
            parts.append(_field(doc, doc.draw(st.sampled_from(FACILITY_SCALARS))))
    if _one_in(doc.draw, 5):  # a field asked twice
        parts.append(doc.draw(st.sampled_from(parts)))
    return " ".join(parts)


def _filter_argument(doc: _Doc) -> str:
    return _argument(doc, "filter", "FacilityFilter", filters(doc.vocab, bad=doc.bad))


def _first(doc: _Doc) -> str:
    bad = doc.bad and doc.draw(st.booleans())
    return _argument(doc, "first", "Int", st.sampled_from([0, -1, 101]) if bad
                     else st.integers(1, 20))


def _root(doc: _Doc, alias: bool | None) -> str:
    """One root field of those the compiled path plans, with random arguments."""
    vocab = doc.vocab
    root = doc.draw(st.sampled_from(["nearestFacilities"] * 3 + ["facility"] * 2
                                     + ["facilities"] * 3 + ["facilitiesServing"] * 2
                                     + ["hubVersion"]))
    if root == "hubVersion":
        return _field(doc, "hubVersion", alias=alias)
    if root == "facility":
        if doc.draw(st.booleans()):
            codes = st.sampled_from([f.code for f in vocab.facilities])
            if doc.bad:
                codes = st.just("no-such-facility")
            arg = _argument(doc, "code", "String", codes, nullable=False)
        else:
            ids = st.sampled_from([f.id for f in vocab.facilities])
            arg = _argument(doc, "id", "ID", st.just("999999") if doc.bad else ids,
                            nullable=False)
        return _field(doc, "facility", f"({arg})", _facility(doc), alias=alias)
    args: list[str] = []
    if root in ("nearestFacilities", "facilitiesServing"):
        pts = BAD_POINTS if doc.bad and doc.draw(st.booleans()) else points(vocab)
        args.append(_argument(doc, "near" if root == "nearestFacilities" else "point",
                              "GeoPointInput!", pts))
    if root in ("nearestFacilities", "facilities") and doc.draw(st.integers(0, 3)) > 0:
        args.append(_first(doc))
    if doc.draw(st.booleans()):
        args.append(_filter_argument(doc))
    if root == "nearestFacilities" and _one_in(doc.draw, 3):
        distances = st.sampled_from([-1.0]) if doc.bad else st.sampled_from(
            [500.0, 5000.0, 30000.0, 200000.0])
        args.append(_argument(doc, "maxDistanceMeters", "Float", distances))
    if root == "facilities" and _one_in(doc.draw, 3):
        cursors = st.just("not-a-cursor") if doc.bad else st.sampled_from(vocab.cursors)
        args.append(_argument(doc, "after", "String", cursors))
    doc.draw(st.randoms()).shuffle(args)
    arguments = f"({', '.join(args)})" if args else ""
    if root == "facilities":
        parts = []
        for _ in range(doc.draw(st.integers(1, 3))):
            part = doc.draw(st.sampled_from(["edges", "edges", "pageInfo", "totalCount"]))
            if part == "edges":
                edge = doc.draw(st.sampled_from(["node", "cursor node", "node cursor",
                                                 "cursor"]))
                if "node" in edge:
                    edge = edge.replace("node", "node { " + _facility(doc) + " }")
                parts.append(_field(doc, "edges", body=edge))
            elif part == "pageInfo":
                parts.append(_field(doc, "pageInfo", body=_leaves(
                    doc, ("hasNextPage", "endCursor"), "PageInfo")))
            else:
                parts.append(_field(doc, "totalCount"))
        return _field(doc, "facilities", arguments, " ".join(parts), alias=alias)
    if root == "nearestFacilities":
        nearby: list[str] = []
        for _ in range(doc.draw(st.integers(1, 3))):
            if doc.draw(st.booleans()):
                nearby.append(_field(doc, "distanceMeters"))
            else:
                nearby.append(_field(doc, "facility", body=_facility(doc)))
        if _one_in(doc.draw, 6):
            nearby.append("__typename")
        return _field(doc, "nearestFacilities", arguments, " ".join(nearby), alias=alias)
    return _field(doc, "facilitiesServing", arguments, _facility(doc), alias=alias)


@st.composite
def operations(draw: st.DrawFn, vocab: Vocabulary) -> Operation:
    """An operation over the facility graph; mostly one the compiled path plans, some with
    a field or directive it leaves to Strawberry, some with a client's mistake."""
    doc = _Doc(draw, vocab, stray=_one_in(draw, 10))
    count = draw(st.sampled_from([1, 1, 1, 2, 2, 3]))
    # At most one root field holds a client's mistake: where several fail, the executor
    # answers with whichever failed first (its resolvers run concurrently).
    faulty = draw(st.integers(0, count - 1)) if _one_in(draw, 12) else None
    roots = []
    for i in range(count):
        doc.bad = i == faulty
        # Root fields after the first have aliases of their own: the same field under one
        # name must have the same arguments.
        roots.append(_root(doc, None if i == 0 else True))
    doc.bad = False
    if _one_in(draw, 21):
        doc.compilable = False
        var = doc.fresh("skip")
        doc.definitions.append(f"${var}: Boolean!")
        doc.values[var] = draw(st.booleans())
        roots.append(f"{doc.fresh('d')}: hubVersion @include(if: ${var})")
    if _one_in(draw, 21):
        doc.compilable = False
        roots.append(f"{doc.fresh('m')}: municipality(code: "
                     f"{json.dumps(draw(st.sampled_from(vocab.municipality_codes)))}) "
                     "{ code nameJa }")
    if _one_in(draw, 21):
        doc.compilable = False  # the compiled path plans __typename below the root only
        roots.append("__typename")
    name = draw(st.sampled_from([None, None, "Q", "Nearby_1"]))
    header = "query" + (f" {name}" if name else "")
    if doc.definitions:
        header += " (" + ", ".join(doc.definitions) + ")"
    elif name is None and draw(st.booleans()):
        header = ""
    text = f"{header} {{ {' '.join(roots)} }}".strip()
    fragments = [doc.fragments[k] for k in sorted(doc.fragments)]
    operation_name = name
    if name is not None and _one_in(draw, 5):
        # Another operation beside it: the request names which one runs.
        fragments.append("query Other { hubVersion }")
    elif name is not None and draw(st.booleans()):
        operation_name = None  # the only operation: its name may be left out
    if draw(st.booleans()):
        fragments.reverse()
    return Operation(" ".join([text, *fragments]), doc.values, operation_name,
                     doc.compilable and faulty is None)


def variables_for(definitions: dict[str, GraphQLInputType], vocab: Vocabulary
                  ) -> st.SearchStrategy[dict[str, Any]]:
    """Values for an operation's variables by their declared types: mostly sensible, some
    a client's mistake; a nullable variable is sometimes left out or null."""
    @st.composite
    def draw_values(draw: st.DrawFn) -> dict[str, Any]:
        # At most one variable holds a client's mistake (see ``operations``).
        names = list(definitions)
        bad = draw(st.sampled_from(names)) if _one_in(draw, 6) else None
        values: dict[str, Any] = {}
        for name, type_ in definitions.items():
            if not isinstance(type_, GraphQLNonNull):
                choice = draw(st.integers(0, 7))
                if choice == 0:
                    continue
                if choice == 1:
                    values[name] = None
                    continue
            values[name] = draw(value_of(type_, name, vocab, bad=name == bad))
        return values
    return draw_values()
