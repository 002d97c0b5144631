"""The one error every data loader raises for bad input: which file, which record, which
field, and what is wrong with it; and pydantic's findings on a file's records turned into
it, in the words the data files' editors read elsewhere."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails


@dataclass
class DataFileError(Exception):
    file: str
    record: str | None
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = self.file
        if self.record is not None:
            where += f", record {self.record}"
        if self.field is not None:
            where += f", field {self.field!r}"
        return f"{where}: {self.reason}"


# ---- pydantic's findings as DataFileErrors ------------------------------------------------


def _reason(error: ErrorDetails, model: type[BaseModel] | None) -> str:
    """Pydantic's finding in the words the data files' editors read elsewhere."""
    kind, value = error["type"], error["input"]
    ctx = error.get("ctx") or {}
    if kind == "missing" or (value is None and kind.endswith("_type")):
        return "is required"
    if kind == "extra_forbidden":
        expected = f"; expected one of {', '.join(model.model_fields)}" if model else ""
        return "unknown field" + expected
    if kind == "value_error":
        return str(ctx["error"])
    if kind == "literal_error":
        return f"{value!r} is not one of {ctx['expected']}"
    if kind == "string_type":
        return f"must be text, not {type(value).__name__}"
    if kind == "string_too_short":
        return "is empty"
    if kind == "bool_type":
        return f"must be true or false, not {value!r}"
    if kind in ("tuple_type", "list_type"):
        return f"must be a list, not {type(value).__name__}"
    if kind in ("model_type", "dict_type"):
        return f"must be a mapping, not {type(value).__name__}"
    return error["msg"]


def _error(file: str, label: str, model: type[BaseModel], exc: ValidationError) -> DataFileError:
    """The first finding of a record, at its top-level field; where inside that field (the
    2nd service, its code) leads the reason."""
    errors = exc.errors()
    first = errors[0]
    loc = first["loc"]
    field = str(loc[0]) if loc else None
    reason = _reason(first, model if len(loc) == 1 else None)
    inside = ", ".join(f"item {p + 1}" if isinstance(p, int) else str(p) for p in loc[1:])
    if inside:
        reason = f"{inside}: {reason}"
    if len(errors) > 1:
        reason += f" (and {len(errors) - 1} more in this record)"
    return DataFileError(file, label, field, reason)


R = TypeVar("R", bound=BaseModel)


def _label(index: int, raw: Any) -> str:
    if isinstance(raw, Mapping) and isinstance(raw.get("code"), str):
        return f"#{index} ({raw['code']})"
    return f"#{index}"


def parse_file(file: str, model: type[R], data: Any) -> tuple[R, ...]:
    """Every record of one file through its model; the first broken one is refused."""
    if not isinstance(data, list):
        raise DataFileError(file, None, None, "the file must hold a list of records")
    records = []
    for index, raw in enumerate(data, start=1):
        label = _label(index, raw)
        if not isinstance(raw, Mapping):
            raise DataFileError(file, label, None, "a record must be a mapping")
        try:
            records.append(model.model_validate(raw))
        except ValidationError as exc:
            raise _error(file, label, model, exc) from exc
    return tuple(records)
