"""The one error every data loader raises for bad input: which file, which record, which
field, and what is wrong with it."""

from __future__ import annotations

from dataclasses import dataclass


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
