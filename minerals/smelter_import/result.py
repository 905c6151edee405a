"""What an import reports: ``SmelterImportResult`` (counts, row errors, warnings), ``RowError`` (file, sheet,
row, column, message), ``SmelterImportError`` for a file that cannot be read at all, and ``Entry``, what
the file says about one smelter, passed from the readers to the writer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from common.workbooks import WorkbookRejected


class SmelterImportError(WorkbookRejected):
    """The file cannot be read at all; ``str()`` names the file (and sheet) first."""


@dataclass
class RowError:
    filename: str
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        sheet = f", sheet {self.sheet!r}" if self.sheet else ""
        return f"{self.filename}{sheet}, row {self.row}, column {self.column}: {self.message}"


@dataclass
class SmelterImportResult:
    filename: str
    sheet: str
    kind: str  # "lookup" | "facility list"
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: int = 0
    aliases_created: int = 0
    aliases_moved: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def summary(self) -> str:
        return (
            f"{self.created} smelters created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.status_changes} status changes, {self.aliases_created} look-up names added"
        )


@dataclass
class Entry:
    """What the file says about one smelter (fields it does not give are None)."""

    row: int
    smelter_id: str
    name: str | None = None
    metal: str | None = None
    country_name: str | None = None
    city: str | None = None
    state: str | None = None
    rmap_status: str | None = None
    status_date: dt.date | None = None
    aliases: list[str] = field(default_factory=list)
