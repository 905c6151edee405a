"""What an import reports: ``ImportResult`` (counts and row errors), ``RowError`` (row, column, message) and
``ImportFileError`` for a file that cannot be read at all."""

from __future__ import annotations

from dataclasses import dataclass

from common.workbooks import WorkbookRejected


class ImportFileError(WorkbookRejected):
    """The file cannot be read at all (wrong type, corrupt, empty, too large); ``str()`` names the file (and
    sheet) first."""


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass
class ImportResult:
    filename: str
    created: int
    updated: int
    errors: list[RowError]
    unchanged: int = 0  # existing suppliers whose data in the file equals the register; nothing written

    @property
    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, errors {len(self.errors)}"

    @property
    def ok(self) -> bool:
        return not self.errors
