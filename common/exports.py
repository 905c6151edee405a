"""Lists as spreadsheets: a column spec and rows in, a streamed XLSX or CSV download out.

Each app names what its lists' exports hold in its own ``exports.py``; ``common.admin.ExportMixin`` adds the
downloads to an admin list, and the ESG report's files reuse ``csv_safe`` and ``xlsx_cell``.

- Rows are read with ``QuerySet.iterator(chunk_size=2000)`` (prefetches included), so memory stays bounded
  and the number of queries grows with the number of 2,000-row chunks, never with the number of rows.
- CSV is written row by row into a ``StreamingHttpResponse``; XLSX goes through an openpyxl write-only
  workbook into a temporary file that is then streamed.
- Safe against spreadsheet formula injection: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or
  a carriage return is prefixed with a single quote in CSV, and every text cell is stored as a string (never
  a formula) in XLSX. Numbers, dates and times keep their type.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

CHUNK_SIZE = 2000
FORMATS = ("xlsx", "csv")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class Column:
    """One column: its header and how to get the value from a row (a callable, or a dotted attribute path
    such as ``"audit.supplier.code"``; a missing link on the path gives an empty cell)."""

    header: str
    value: str | Callable[[Any], Any]

    def of(self, row: Any) -> Any:
        if callable(self.value):
            return self.value(row)
        value = row
        for name in self.value.split("."):
            value = getattr(value, name, None)
            if value is None:
                return None
        return value() if callable(value) else value


def choice_label(field: str) -> Callable[[Any], str]:
    """A column value: the display text of a choices field (``get_<field>_display``); empty when blank."""

    def value(obj) -> str:
        return getattr(obj, f"get_{field}_display")() if getattr(obj, field) else ""

    return value


def local_time(attr: str) -> Callable[[Any], dt.datetime | None]:
    """A column value: a datetime attribute in the local time zone."""

    def value(obj) -> dt.datetime | None:
        at = getattr(obj, attr)
        return timezone.localtime(at) if at else None

    return value


class UnknownFormat(ValueError):
    pass


def _plain(value: Any) -> Any:
    """A cell value: numbers, dates and booleans as they are; datetimes in local time without a zone;
    everything else as text."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal | dt.date):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return timezone.make_naive(timezone.localtime(value))
        return value
    return str(value)


def csv_safe(value: Any) -> Any:
    """A text value that spreadsheet programs will not run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def rows_of(source: Iterable) -> Iterator:
    """Rows from a queryset in chunks of 2,000 (prefetches per chunk), or from any iterable."""
    if isinstance(source, QuerySet):
        return source.iterator(chunk_size=CHUNK_SIZE)
    return iter(source)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(*, columns: Sequence[Column], rows: Iterable) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # a byte-order mark, so that spreadsheet programs read the file as UTF-8
    yield writer.writerow([csv_safe(c.header) for c in columns])
    for row in rows_of(rows):
        yield writer.writerow([csv_safe(_plain(c.of(row))) for c in columns])


def xlsx_cell(sheet, value: Any) -> WriteOnlyCell:
    """A write-only cell; text is always stored as a string, never as a formula."""
    value = _plain(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    elif isinstance(value, dt.datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT
    return cell


def write_xlsx(fileobj, *, sheets: Sequence[tuple[str, Sequence[Column], Iterable]]) -> None:
    """Write one sheet per ``(title, columns, rows)`` to ``fileobj`` with a write-only workbook."""
    workbook = Workbook(write_only=True)
    for title, columns, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append([xlsx_cell(sheet, c.header) for c in columns])
        for row in rows_of(rows):
            sheet.append([xlsx_cell(sheet, c.of(row)) for c in columns])
    workbook.save(fileobj)


def export_response(*, columns: Sequence[Column], rows: Iterable, filename: str, fmt: str, title: str = ""):
    """The rows as a download named ``filename`` + ``.xlsx`` or ``.csv``."""
    if fmt == "csv":
        response = StreamingHttpResponse(
            csv_lines(columns=columns, rows=rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    if fmt == "xlsx":
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response once it is sent
        write_xlsx(spool, sheets=[(title or filename, columns, rows)])
        spool.seek(0)
        return FileResponse(
            spool, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_CONTENT_TYPE
        )
    raise UnknownFormat(f"Unknown export format “{fmt}”: use one of {', '.join(FORMATS)}.")
