"""``read_table(fileobj, filename=...)``: the rows of a CSV file or of one sheet of an .xlsx, as the importers
read them. Size and row count are checked before the rows are read, rows are streamed, CSV is decoded as
UTF-8 or GB18030 (Chinese Excel exports) and split on commas, semicolons or tabs, and cell values come as
Excel shows them (dates as dates). Every refusal raises ``WorkbookRejected``.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import filetype
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from openpyxl.utils.cell import column_index_from_string

from .packages import OFFICE_REFUSALS, OLE_MAGIC, ZIP_MAGIC, WorkbookRejected, inspect_office, read_head
from .xlsx import XlsxWorkbook


@dataclass
class Table:
    """The rows of one CSV file or one sheet (``sheet`` is "" for CSV).

    ``rows`` yields ``(row number as the user sees it, [value of column A, B, ...])``; CSV rows are records
    (header = 1), sheet rows are spreadsheet rows, and blank sheet rows are skipped. Reading may raise
    ``WorkbookRejected`` (too many rows, a damaged part found on the way)."""

    filename: str
    sheet: str
    rows: Iterator[tuple[int, list[Any]]]


def read_table(
    fileobj,
    *,
    filename: str,
    sheets: Sequence[str] = (),
    max_rows: int | None = None,
    max_bytes: int | None = None,
) -> Table:
    """Open a CSV file or an .xlsx workbook (told apart by content, whatever the file's name) for reading its
    rows. ``sheets``: the sheet names to read, in order of preference (case and surrounding
    spaces ignored); when none is there, the first sheet. ``max_rows`` (setting IMPORT_MAX_ROWS) and
    ``max_bytes`` (setting UPLOAD_MAX_BYTES) bound the input; a sheet with more rows (declared, or found by
    a scan of its row tags) is refused before any row is read. Raises ``WorkbookRejected``."""
    max_bytes = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    max_rows = settings.IMPORT_MAX_ROWS if max_rows is None else max_rows
    size = _file_size(fileobj)
    if size > max_bytes:
        raise WorkbookRejected(
            f"the file is larger than the upload limit of {filesizeformat(max_bytes)}", filename=filename
        )
    head = read_head(fileobj, 4096)
    if not head.strip() and size <= len(head):
        raise WorkbookRejected("the file is empty", filename=filename)
    if head.startswith((ZIP_MAGIC, OLE_MAGIC)):
        return _xlsx_table(fileobj, filename=filename, sheets=sheets, max_rows=max_rows)
    other = filetype.guess(head)
    if other is not None:
        raise WorkbookRejected(
            f"its content is {other.extension.upper()}, neither CSV text nor an Excel workbook (.xlsx); "
            "upload a .csv or .xlsx file",
            filename=filename,
        )
    return _csv_table(fileobj, filename=filename, max_bytes=max_bytes, max_rows=max_rows)


def _file_size(fileobj) -> int:
    size = getattr(fileobj, "size", None)
    if isinstance(size, int):
        return size
    position = fileobj.tell()
    fileobj.seek(0, os.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(position)
    return size


def _xlsx_table(fileobj, *, filename: str, sheets: Sequence[str], max_rows: int) -> Table:
    info = inspect_office(fileobj, name=filename)
    if info.kind != "xlsx":
        raise WorkbookRejected(
            str(OFFICE_REFUSALS.get(info.kind or "", "this is not an Excel workbook (.xlsx)")),
            filename=filename,
        )
    book = XlsxWorkbook(fileobj, name=filename)
    try:
        if not book.sheet_names:
            raise WorkbookRejected("the workbook has no worksheet", filename=filename)
        by_key = {name.strip().casefold(): name for name in book.sheet_names}
        sheet = next(
            (by_key[key] for key in (s.strip().casefold() for s in sheets) if key in by_key),
            book.sheet_names[0],
        )
        # The declared size first (read from the sheet's opening), then the rows really there (a fast scan
        # of the row tags: a sheet that declares nothing, or too little, is still refused before reading).
        for count in (book.declared_rows(sheet), book.last_row(sheet)):
            if count is not None and count > max_rows:
                raise WorkbookRejected(_too_many_rows(count, max_rows), filename=filename, sheet=sheet)
    except BaseException:
        book.close()
        raise
    return Table(filename=filename, sheet=sheet, rows=_sheet_rows(book, sheet, max_rows))


def _too_many_rows(count: int, max_rows: int) -> str:
    return f"has {count:,} rows; at most {max_rows:,} are accepted (split it into smaller files)"


@functools.lru_cache(maxsize=1024)
def _column_position(letters: str) -> int:
    return column_index_from_string(letters) - 1


def _sheet_rows(book: XlsxWorkbook, sheet: str, max_rows: int) -> Iterator[tuple[int, list[Any]]]:
    try:
        for number, values in book.rows(sheet, dates=True):
            if number > max_rows:
                raise WorkbookRejected(
                    _too_many_rows(book.last_row(sheet), max_rows), filename=book.name, sheet=sheet
                )
            cells: list[Any] = []
            for letters, value in values.items():
                position = _column_position(letters)
                if position >= len(cells):
                    cells.extend([None] * (position + 1 - len(cells)))
                cells[position] = value
            yield number, cells
    finally:
        book.close()


def _csv_text(data: bytes, filename: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise WorkbookRejected("this is UTF-16 text; save the file as 'CSV UTF-8'", filename=filename)
    if b"\x00" in data:
        raise WorkbookRejected("this is not a CSV text file (it contains binary data)", filename=filename)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            text = data.decode("gb18030")  # what Excel writes for "CSV" on a Chinese Windows
        except UnicodeDecodeError:
            line = data[: exc.start].count(b"\n") + 1
            raise WorkbookRejected(
                f"this is not UTF-8 or GB18030 text (first bad byte on line {line}); save the file as "
                "'CSV UTF-8'",
                filename=filename,
            ) from exc
    if any(ord(char) < 32 and char not in "\t\r\n" for char in text[:4096]):
        raise WorkbookRejected(
            "this is not a CSV text file (it contains control characters)", filename=filename
        )
    return text


def _csv_table(fileobj, *, filename: str, max_bytes: int, max_rows: int) -> Table:
    fileobj.seek(0)
    data = fileobj.read(max_bytes + 1)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > max_bytes:
        raise WorkbookRejected(
            f"the file is larger than the upload limit of {filesizeformat(max_bytes)}", filename=filename
        )
    text = _csv_text(data, filename)
    del data
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    if text.count("\n") + 1 > max_rows:  # maybe too many records: count them before any is read
        try:
            total = sum(1 for _ in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error as exc:
            raise WorkbookRejected(f"cannot read the CSV text: {exc}", filename=filename) from exc
        if total > max_rows:
            raise WorkbookRejected(_too_many_rows(total, max_rows), filename=filename)
    return Table(filename=filename, sheet="", rows=_csv_rows(text, delimiter, filename))


def _csv_rows(text: str, delimiter: str, filename: str) -> Iterator[tuple[int, list[Any]]]:
    number = 0
    try:
        for number, record in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), 1):
            yield number, record
    except csv.Error as exc:
        raise WorkbookRejected(
            f"cannot read the CSV text (record {number + 1}): {exc}", filename=filename
        ) from exc
