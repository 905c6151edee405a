"""A facility list: a CSV file or the first sheet of an .xlsx, with a header row naming its columns in any of
the usual ways (``HEADERS``); each row is checked on its own and against the rows above it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from openpyxl.utils import get_column_letter

from ..models import Mineral, is_smelter_id
from .result import Entry, RowError, SmelterImportResult
from .values import cell_text, metal_of, parse_date, plain_words, rmap_status_of

HEADER_ROWS = 10  # a facility list's header row is one of its first ten rows

# Header names accepted in a facility list (compared case-, space- and punctuation-insensitively).
HEADERS: dict[str, tuple[str, ...]] = {
    "smelter_id": (
        "smelter id",
        "facility id",
        "smelter identification",
        "smelter identification number",
        "smelter reference id",
        "rmi id",
        "cid",
    ),
    "name": (
        "standard smelter name",
        "standard facility name",
        "smelter name",
        "facility name",
        "standard name",
        "name",
    ),
    "metal": ("metal", "mineral", "metal type"),
    "country": (
        "country",
        "country location",
        "smelter country",
        "facility country",
        "country region",
        "country or region",
        "smelter facility location country",
    ),
    "rmap_status": ("rmap status", "assessment status", "conformance status", "audit status", "status"),
    "status_date": (
        "status date",
        "last audit date",
        "last assessment date",
        "audit date",
        "assessment date",
        "rmap status date",
    ),
    "lookup_name": ("smelter look up", "smelter lookup", "look up name", "lookup name", "alias"),
    "city": ("city", "smelter city", "facility city"),
    "state": ("state province", "state", "province", "smelter state province"),
}
_HEADER_OF = {variant: column for column, variants in HEADERS.items() for variant in variants}


def _header_positions(cells: list[Any]) -> dict[str, int]:
    """The column position of each field a row names; a header row names the smelter ID column."""
    positions: dict[str, int] = {}
    for position, value in enumerate(cells):
        column = _HEADER_OF.get(plain_words(cell_text(value)))
        if column and column not in positions:
            positions[column] = position
    return positions


def _column_label(header: list[Any], position: int) -> str:
    return f"{get_column_letter(position + 1)} ({cell_text(header[position])})"


@dataclass
class _Row:
    number: int
    cells: list[Any]
    header: list[Any]
    positions: dict[str, int]
    result: SmelterImportResult

    def cell(self, column: str) -> Any:
        return self.cells[self.positions[column]] if column in self.positions else None

    def text(self, column: str) -> str:
        return cell_text(self.cell(column))

    def fail(self, column: str, message: str) -> None:
        label = _column_label(self.header, self.positions[column])
        self.result.errors.append(
            RowError(self.result.filename, self.result.sheet, self.number, label, message)
        )


def _facility_row(row: _Row, by_id: dict[str, Entry]) -> None:
    """Check one row of a facility list; a valid row goes into ``by_id``, problems into the result."""
    positions = row.positions
    smelter_id = row.text("smelter_id").upper()
    if not is_smelter_id(smelter_id):
        row.fail("smelter_id", f"'{row.text('smelter_id')}' is not a smelter ID (CID and six digits)")
        return
    if smelter_id in by_id:
        row.fail("smelter_id", f"{smelter_id} is also in row {by_id[smelter_id].row}")
        return
    entry = Entry(row=row.number, smelter_id=smelter_id)
    if "metal" in positions:
        entry.metal = metal_of(row.text("metal"))
        if not entry.metal:
            row.fail(
                "metal", f"unknown metal '{row.text('metal')}'; expected one of {', '.join(Mineral.values)}"
            )
            return
    for column in ("name", "country", "city", "state"):
        if column in positions:
            setattr(entry, "country_name" if column == "country" else column, row.text(column))
    if row.text("lookup_name"):
        entry.aliases.append(row.text("lookup_name"))
    if row.text("rmap_status"):
        entry.rmap_status = rmap_status_of(row.text("rmap_status"))
        if entry.rmap_status is None:
            row.fail(
                "rmap_status",
                f"unknown RMAP status '{row.text('rmap_status')}'; expected Conformant, Active or "
                "Not Enrolled (or Non-Conformant)",
            )
            return
    if row.text("status_date"):
        try:
            entry.status_date = parse_date(row.cell("status_date"))
        except ValueError:
            row.fail("status_date", f"'{row.text('status_date')}' is not a date (use YYYY-MM-DD)")
            return
    by_id[smelter_id] = entry


def facility_entries(rows: Iterable[tuple[int, list[Any]]], result: SmelterImportResult) -> list[Entry]:
    """The rows under the header row (the first of the first ten rows naming a smelter ID column)."""
    header: list[Any] | None = None
    header_number, positions = 0, {}
    by_id: dict[str, Entry] = {}
    for number, cells in rows:
        if header is None:
            if number > HEADER_ROWS:
                break
            positions = _header_positions(cells)
            if "smelter_id" in positions:
                header, header_number = cells, number
            continue
        cells = list(cells) + [None] * (len(header) - len(cells))
        if any(cell_text(value) for value in cells):
            _facility_row(_Row(number, cells, header, positions, result), by_id)
    if header is None:
        result.errors.append(
            RowError(
                result.filename,
                result.sheet,
                1,
                "(header)",
                "no header row naming the smelter ID column (e.g. 'Smelter ID' or 'Facility ID') in the "
                "first ten rows",
            )
        )
        return []
    if not by_id and not result.errors:
        result.errors.append(
            RowError(
                result.filename, result.sheet, header_number + 1, "(rows)", "no smelter rows under the header"
            )
        )
    return list(by_id.values())
