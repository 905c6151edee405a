"""Import suppliers from a CSV or XLSX file: create new ones, update the master data of existing ones.

One file is all or nothing: every row is checked first and every problem is reported with its spreadsheet
row number (the header is row 1) and column; only a file without errors is written, in one transaction,
with bulk statements in batches and history records that name the file.

Columns (header row required, case- and space-insensitive)::

    code, name, legal_name, category, tier, parent_code, country, business_units, commodity,
    buyer_email, annual_spend, currency

``code``, ``name``, ``category``, ``tier`` and ``country`` are required columns. An optional column that is
absent leaves that field of existing suppliers unchanged; a column that is present but empty on a row clears
the field. Existing suppliers keep their status and risk; new ones start as candidates. Each column is
declared once, with what it holds and its allowed values (``rows.SUPPLIER_COLUMNS``); ``suppliers_template``
is the downloadable template built from them.

Modules, by what a reader looks for: ``rows`` reads the header and checks each row on its own; ``register``
checks the rows against each other and the register; ``writing`` writes a checked file in bulk; ``result``
holds the result, its row errors and the error for a file that cannot be read at all.
"""

from __future__ import annotations

from common.importing import Progress
from common.workbooks import WorkbookRejected, read_table

from .register import Plan
from .result import ImportFileError, ImportResult, RowError
from .rows import (
    COLUMNS,
    REQUIRED_COLUMNS,
    SHEET_NAME,
    SUPPLIER_COLUMNS,
    Row,
    header_columns,
    parse_row,
    suppliers_template,
)
from .writing import write

__all__ = [
    "COLUMNS",
    "REQUIRED_COLUMNS",
    "SHEET_NAME",
    "SUPPLIER_COLUMNS",
    "ImportFileError",
    "ImportResult",
    "RowError",
    "import_suppliers",
    "suppliers_template",
]


def import_suppliers(*, fileobj, filename: str, by=None) -> ImportResult:
    """Check every row of the file; when none has an error, create and update the suppliers in one
    transaction and schedule their risk reassessment. The result's ``years`` holds the current year when
    anything was written (master data carries no other date). Raises ``ImportFileError`` for an unreadable
    file (including one over the size or row limits of ``common.workbooks.read_table``)."""
    errors: list[RowError] = []
    rows: list[Row] = []
    columns: list[str] | None = None
    table = None
    progress = Progress()  # the background job's, if any (``common.importing.reporting_progress``)
    try:
        table = read_table(fileobj, filename=filename, sheets=(SHEET_NAME,))
        for number, cells in table.rows:
            if columns is None:
                columns = header_columns(cells if number == 1 else [], errors)
                if errors:
                    table.rows.close()
                    return ImportResult(filename=filename, created=0, updated=0, errors=errors)
                if number == 1:
                    continue
            progress.step()
            if (row := parse_row(number, cells, columns, errors)) is not None:
                rows.append(row)
    except WorkbookRejected as exc:
        raise ImportFileError(exc.reason, filename=filename, sheet=exc.sheet) from exc
    progress.finish()
    if columns is None:
        raise ImportFileError("the sheet is empty", filename=filename, sheet=table.sheet or None)
    present = {column for column in columns if column}
    plan = Plan(rows=rows, present=present, errors=errors)
    plan.check_duplicates()
    plan.resolve()
    errors.sort(key=lambda error: error.row)
    if errors:
        return ImportResult(filename=filename, created=0, updated=0, errors=errors)
    return write(plan, filename=filename, by=by)
