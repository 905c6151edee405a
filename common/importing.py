"""What every file import shares (suppliers, agreements, assessments, lifecycle history, audits).

- ``Column``: a column declared once, with what it holds, its allowed values and an example; the importer's
  header check, its template and the template's explanations all read the same declaration.
- ``read_rows``: the rows of a CSV or XLSX file (``common.workbooks.read_table``) as ``{column: text}`` by a
  header row matched case- and space-insensitively; header problems are row errors of row 1.
- ``RowError``, ``ImportResult``, ``ImportFileError``: what an import reports (every error by row and column;
  ``created N, updated M, errors K``), and the error for a file that cannot be read at all.
- ``template_workbook``: the downloadable template (the header row, one example row, and a second sheet that
  explains each column and its allowed values).
- ``ImportCommand``: the management command around an importer (files, ``--by``, ``--template``, the summary
  line, exit status 1 on errors).

An importer checks every row before it writes anything and writes a file without errors in one transaction:
all or nothing per file.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from common.workbooks import WorkbookRejected, read_table


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
    unchanged: int = 0  # rows equal to what is stored; nothing written
    notes: list[str] = field(default_factory=list)  # what else the import changed (e.g. frozen years)

    @property
    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, errors {len(self.errors)}"

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    allowed: str = ""
    example: str = ""
    required: bool = False


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a spurious '.0', dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def normalize_header(value: Any) -> str:
    return re.sub(r"[\s\-]+", "_", cell_text(value).lower())


@dataclass
class Rows:
    """The data rows of one sheet, read lazily, and the header's problems (``errors``: empty when the header
    is fine; then no row is read)."""

    columns: list[str]
    errors: list[RowError]
    _rows: Iterator[tuple[int, list[Any]]]

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        if self.errors:
            return
        for number, cells in self._rows:
            values = {
                column: cell_text(cells[index]) if index < len(cells) else ""
                for index, column in enumerate(self.columns)
                if column
            }
            if any(values.values()):
                yield number, values


def read_rows(fileobj, *, filename: str, columns: Sequence[Column], sheet: str | None = None) -> Rows:
    """The rows of ``sheet`` (the first sheet, or the only table of a CSV file) under the header in row 1.
    Raises ``ImportFileError`` for a file that cannot be read."""
    try:
        table = read_table(fileobj, filename=filename, sheets=(sheet,) if sheet else ())
    except WorkbookRejected as error:
        raise ImportFileError(error.reason, filename=error.filename, sheet=error.sheet) from error
    rows = iter(table.rows)
    first = next(rows, None)
    known = {column.name for column in columns}
    errors: list[RowError] = []
    header = [normalize_header(value) for value in (first[1] if first and first[0] == 1 else [])]
    if not any(name in known for name in header):
        errors.append(
            RowError(1, "(header)", "row 1 must be the header row with the column names: " + ", ".join(known))
        )
    else:
        missing = [column.name for column in columns if column.required and column.name not in header]
        if missing:
            errors.append(RowError(1, "(header)", "required column(s) missing: " + ", ".join(missing)))
        unknown = [name for name in header if name and name not in known]
        if unknown:
            errors.append(RowError(1, "(header)", "unknown column(s): " + ", ".join(unknown)))
        repeated = sorted({name for name in header if name and header.count(name) > 1})
        if repeated:
            errors.append(RowError(1, "(header)", "column(s) given twice: " + ", ".join(repeated)))
    return Rows(columns=header, errors=errors, _rows=rows)


def template_workbook(*, sheet: str, columns: Sequence[Column], title: str) -> bytes:
    """An .xlsx with the header row and one example row on ``sheet``, and a sheet "Columns" that explains
    each column (required or not, what it holds, its allowed values)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    data = book.active
    data.title = sheet
    bold = Font(bold=True)
    for index, column in enumerate(columns, 1):
        header = data.cell(row=1, column=index, value=column.name)
        header.font = bold
        data.cell(row=2, column=index, value=column.example or None)
        letter = header.column_letter
        data.column_dimensions[letter].width = max(12, len(column.name) + 2, len(column.example) + 2)
    data.freeze_panes = "A2"
    explained = book.create_sheet("Columns")
    explained.append([title])
    explained["A1"].font = Font(bold=True, size=12)
    explained.append([])
    explained.append(["Column", "Required", "What it holds", "Allowed values", "Example"])
    for cell in explained[3]:
        cell.font = bold
    for column in columns:
        explained.append(
            [
                column.name,
                "yes" if column.required else "no",
                column.description,
                column.allowed,
                column.example,
            ]
        )
    for letter, width in zip("ABCDE", (22, 10, 60, 50, 24), strict=True):
        explained.column_dimensions[letter].width = width
    for row in explained.iter_rows(min_row=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class ImportCommand(BaseCommand):
    """A command that imports files with ``importer(fileobj=, filename=, by=) -> ImportResult``, each file all
    or nothing: prints every error as ``<file>: row R, column C: message``, ends with ``created N, updated M,
    errors K`` and exits with status 1 when any file has errors or cannot be read. ``--template PATH`` writes
    the importer's template instead."""

    noun = "records"
    importer: Callable[..., ImportResult]
    template: Callable[[], bytes] | None = None

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", metavar="FILE", help="A .csv or .xlsx file.")
        parser.add_argument("--by", metavar="USERNAME", help="User recorded as the author of the changes.")
        if self.template is not None:
            parser.add_argument(
                "--template", metavar="PATH", help="Write the .xlsx template to PATH and stop."
            )

    def handle(self, *args, files, by=None, template=None, **options):
        if template:
            with open(template, "wb") as handle:
                handle.write(type(self).template())
            self.stdout.write(f"template written to {template}")
            return
        if not files:
            raise CommandError("name at least one FILE (or --template PATH)")
        user = None
        if by:
            user = get_user_model()._default_manager.filter(username=by).first()
            if user is None:
                raise CommandError(f"--by: no user named {by!r}")
        several = len(files) > 1
        created = updated = errors = failed = 0
        for path in files:
            try:
                with open(path, "rb") as fileobj:
                    result = type(self).importer(fileobj=fileobj, filename=path, by=user)
            except (ImportFileError, OSError) as exc:
                message = str(exc) if isinstance(exc, ImportFileError) else f"{path}: {exc.strerror}"
                self.stdout.write(message)
                errors += 1
                failed += 1
                if several:
                    self.stdout.write(f"{path}: created 0, updated 0, errors 1")
                continue
            for error in result.errors:
                self.stdout.write(f"{path}: {error}")
            for note in result.notes:
                self.stdout.write(f"{path}: {note}")
            if several:
                self.stdout.write(f"{path}: {result.summary}")
            created += result.created
            updated += result.updated
            errors += len(result.errors)
            failed += not result.ok
        self.stdout.write(f"created {created}, updated {updated}, errors {errors}")
        if failed:
            raise CommandError(
                f"{failed} of {len(files)} file(s) not imported; nothing was written from them", returncode=1
            )
