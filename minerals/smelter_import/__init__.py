"""Fill and update the smelter registry from a file: ``import_smelters(fileobj=..., filename=...)``.

Two kinds of file are read:

- an RMI workbook (CMRT 6.x, EMRT 1.x–2.x) with its "Smelter Look-up" sheet. Every version has the same
  layout: header in row 4, data from row 5, columns A metal, B look-up name, C standard name, D country,
  E smelter ID, F source of the ID, G street, H city, I state/province. The cached header labels follow the
  language the file was saved in, so the sheet is read by position, never by header text. Rows without a
  smelter ID (RMI's "Smelter not listed" and "Smelter not yet identified" placeholders) are skipped. This
  adds smelters, standard names, countries and look-up names; it does not touch RMAP statuses.
- a facility list (CSV, or the first sheet of an XLSX) with a header row naming its columns in any of the
  usual ways (``HEADERS``): smelter ID, standard name, metal, country, RMAP status, status date, and
  optionally look-up name, city, state/province. It also sets RMAP statuses; every status that changes is
  recorded as a ``SmelterStatusChange`` naming the file.

A file is all or nothing: every row is checked first and each problem is reported with the file, sheet,
row and column; only a file without errors is written, in one transaction, in batches. Importing the same
file again changes nothing; a newer file updates smelters in place, never duplicates them.

Modules, by what a reader looks for: ``lookup_sheet`` and ``facility_list`` read and check the rows of each
kind of file; ``values`` turns what a file writes into registry values (countries, metals, statuses,
dates); ``writing`` writes a checked file in bulk; ``result`` holds the result, its row errors and the error
for a file that cannot be read at all.
"""

from __future__ import annotations

from common.workbooks import WorkbookRejected, read_table

from .facility_list import HEADERS, facility_entries
from .lookup_sheet import LOOKUP_SHEET, lookup_entries
from .result import RowError, SmelterImportError, SmelterImportResult
from .values import metal_of, rmap_status_of
from .writing import write_entries

__all__ = [
    "HEADERS",
    "LOOKUP_SHEET",
    "RowError",
    "SmelterImportError",
    "SmelterImportResult",
    "import_smelters",
    "metal_of",
    "rmap_status_of",
]


def import_smelters(*, fileobj, filename: str, by=None) -> SmelterImportResult:
    """Check the whole file; when no row has an error, create and update the smelters, their look-up names
    and statuses in one transaction. Raises ``SmelterImportError`` for an unreadable file (including one
    over the size or row limits of ``common.workbooks.read_table``)."""
    try:
        table = read_table(fileobj, filename=filename, sheets=(LOOKUP_SHEET,))
        if table.sheet.strip().casefold() == LOOKUP_SHEET.casefold():
            result = SmelterImportResult(filename=filename, sheet=table.sheet, kind="lookup")
            entries = lookup_entries(table.rows, result)
        else:
            result = SmelterImportResult(filename=filename, sheet=table.sheet, kind="facility list")
            entries = facility_entries(table.rows, result)
    except WorkbookRejected as exc:
        raise SmelterImportError(exc.reason, filename=filename, sheet=exc.sheet) from exc
    if result.errors:
        return result
    write_entries(entries, result, by=by)
    return result
