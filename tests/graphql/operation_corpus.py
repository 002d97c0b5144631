"""The corpus of query operations that the README and the tests already hold, found
statically: the README's code blocks (```graphql blocks whole; in the other blocks, shell
strings that are a GraphQL document or a JSON body with a "query"), and every string
constant of tests/**/*.py (adjacent literals and ``+`` of literals joined) that parses as a
document of query operations only and validates against the schema."""

from __future__ import annotations

import ast
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLInputType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
    validate,
)
from graphql.utilities import type_from_ast

ROOT = Path(__file__).resolve().parents[2]

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
SHELL_STRING = re.compile(r"'([^']*)'")


@dataclass(frozen=True)
class CorpusOperation:
    """One operation of a document found in ``origin``, with its variables' types."""

    origin: str
    query: str
    operation_name: str | None
    variables: tuple[tuple[str, GraphQLInputType], ...]


def readme_texts(readme: Path) -> Iterator[str]:
    for language, block in FENCE.findall(readme.read_text()):
        if language == "graphql":
            yield block
            continue
        for quoted in SHELL_STRING.findall(block):
            try:
                body = json.loads(quoted)
            except ValueError:
                yield quoted
                continue
            if isinstance(body, dict) and isinstance(body.get("query"), str):
                yield body["query"]


def _literal(node: ast.expr) -> str | None:
    """The string a constant expression makes: a literal, or literals joined with +."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        if left is not None and right is not None:
            return left + right
    return None


#: The differential test's own modules: what they hold is generated, not a corpus.
OWN = {"facility_operations.py", "operation_corpus.py", "test_compiled_differential.py"}


def texts_in_tests(tests: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(p for p in tests.rglob("*.py") if p.name not in OWN):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.expr) and (text := _literal(node)) and "{" in text:
                yield str(path.relative_to(ROOT)), text


def _document(text: str, schema: GraphQLSchema) -> DocumentNode | None:
    """The document when ``text`` is one of query operations only, valid in ``schema``."""
    try:
        document = parse(text)
    except (GraphQLError, RecursionError):
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if not operations or any(o.operation != OperationType.QUERY for o in operations):
        return None
    return None if validate(schema, document) else document


@functools.cache
def corpus(schema: GraphQLSchema) -> tuple[CorpusOperation, ...]:
    """Every query operation of the README and the tests, once per distinct text (found
    once per process: parsing every test file takes seconds)."""
    found: list[CorpusOperation] = []
    seen: set[str] = set()
    sources = [("README.md", text) for text in readme_texts(ROOT / "README.md")]
    sources += list(texts_in_tests(ROOT / "tests"))
    for origin, text in sources:
        if text in seen or (document := _document(text, schema)) is None:
            continue
        seen.add(text)
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        for operation in operations:
            types = tuple((d.variable.name.value, type_from_ast(schema, d.type))
                          for d in operation.variable_definitions or ())
            name = operation.name.value if operation.name and len(operations) > 1 else None
            found.append(CorpusOperation(origin, text, name, types))  # type: ignore[arg-type]
    return tuple(found)
