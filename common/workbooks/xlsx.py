"""``XlsxWorkbook``: the sheet names and cached cell values of an .xlsx, read straight from the sheet XML
and streamed in blocks of rows. RMI templates carry thousands of formula rows and a large stylesheet that
``openpyxl.load_workbook`` spends over a second on, and a zip bomb costs it gigabytes; here the package is
checked first (``packages.open_package``) and a sheet is decompressed a block at a time.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import zipfile
from array import array
from collections.abc import Iterable, Iterator
from xml.etree import ElementTree as ET

from openpyxl.utils.cell import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from .cells import date_styles, rich_text, string_spans, unescape
from .packages import READ_ERRORS, WorkbookRejected, open_package, parse_xml, read_part

_BLOCK = 1024 * 1024  # bytes of sheet XML decompressed at a time
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"

# Values are found first (a fast scan for <v>...</v> and inline strings); the enclosing <c ...> tag is then
# found backwards for its reference and type. Empty values (formulas never calculated, styled blanks) cost
# nothing, which matters on templates with thousands of formula rows.
_VALUE_PATTERNS: dict[bytes, re.Pattern] = {}
_ROOT_PREFIX = re.compile(rb"<(\w+:)?worksheet\b")
_FIRST_CELL = re.compile(rb"<(?:\w+:)?c(?:\s[^>]*)?/?>")
_DIMENSION = re.compile(
    rb'<(?:\w+:)?dimension\s+ref="\$?[A-Z]{0,3}\$?([0-9]*)(?::\$?[A-Z]{0,3}\$?([0-9]+))?"'
)
# The usual shape of a cell tag: reference first, type (if any) among the attributes that follow.
_CELL_TAG = re.compile(rb'(?:\w+:)?c r="([A-Z]{1,3})([0-9]+)"([^>]*)>')
_REF_ATTR = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
_TYPE_ATTR = re.compile(rb'\bt="(\w+)"')
_STYLE_ATTR = re.compile(rb'\bs="([0-9]+)"')
_ROW_NUMBER = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="([0-9]+)"')


def source_name(source) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return os.path.basename(str(getattr(source, "name", "") or "")) or "the uploaded file"


class XlsxWorkbook:
    """Sheet names and cached cell values of one .xlsx file (path or binary file object).

    Anything that is not an .xlsx this class can read raises ``WorkbookRejected`` (when opened, or while
    rows are read: a part that fails its CRC is found at its end)."""

    def __init__(self, source, *, name: str | None = None):
        self.name = name or source_name(source)
        self._zip = open_package(source, name=self.name)
        self._names = {info.filename.lower(): info for info in self._zip.infolist()}
        self._strings_data: bytes | None = None
        self._strings_spans = array("q")
        self._strings: dict[int, str] = {}
        self._date_styles: bytearray | None = None
        self.date1904 = False
        try:
            self._sheet_paths = self._read_workbook()
        except WorkbookRejected:
            self.close()
            raise

    def _reject(self, reason: str, sheet: str | None = None) -> WorkbookRejected:
        return WorkbookRejected(reason, filename=self.name, sheet=sheet)

    # -- archive parts ---------------------------------------------------------------------------------
    def _member(self, path: str) -> zipfile.ZipInfo | None:
        return self._names.get(path.lstrip("/").lower())

    def _required(self, path: str) -> zipfile.ZipInfo:
        info = self._member(path)
        if info is None:
            raise self._reject(f"is not a complete .xlsx workbook (no {path})")
        return info

    def _read_member(self, path: str) -> bytes:
        return read_part(self._zip, self._required(path), name=self.name)

    def _blocks(self, path: str, sheet: str | None = None) -> Iterator[bytes]:
        """The part's bytes, decompressed a block at a time."""
        info = self._required(path)
        try:
            with self._zip.open(info) as part:
                while block := part.read(_BLOCK):
                    yield block
        except READ_ERRORS as exc:
            raise self._reject(f"is damaged or truncated ({path}: {exc})", sheet) from exc

    def _read_workbook(self) -> dict[str, str]:
        if self._member("xl/workbook.xml") is None:
            raise self._reject("is not an Excel .xlsx workbook (no xl/workbook.xml inside)")
        book = parse_xml(self._read_member("xl/workbook.xml"), "xl/workbook.xml", filename=self.name)
        rels = parse_xml(
            self._read_member("xl/_rels/workbook.xml.rels"), "xl/_rels/workbook.xml.rels", filename=self.name
        )
        pr = book.find(f"{{{_MAIN_NS}}}workbookPr")
        self.date1904 = pr is not None and pr.get("date1904") in ("1", "true")
        targets = {
            rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{{{_PKG_REL_NS}}}Relationship")
        }
        paths: dict[str, str] = {}
        for sheet in book.iter(f"{{{_MAIN_NS}}}sheet"):
            target = targets.get(sheet.get(f"{{{_REL_NS}}}id"), "")
            if not target:
                continue
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            paths[sheet.get("name", "")] = os.path.normpath(path).replace(os.sep, "/")
        return paths

    @property
    def sheet_names(self) -> list[str]:
        return list(self._sheet_paths)

    def has_sheet(self, name: str) -> bool:
        return name in self._sheet_paths

    # -- strings and styles ----------------------------------------------------------------------------
    def _shared_string(self, index: int) -> str:
        if self._strings_data is None:
            path = next(
                (p for p in ("xl/sharedStrings.xml", "xl/sharedstrings.xml") if self._member(p)), None
            )
            self._strings_data = self._read_member(path) if path else b""
            self._strings_spans = string_spans(self._strings_data)
        text = self._strings.get(index)
        if text is None:
            if not 0 <= index < len(self._strings_spans) // 2:
                raise self._reject(
                    f"is damaged (a cell refers to shared string {index}, which does not exist)"
                )
            start, end = self._strings_spans[2 * index], self._strings_spans[2 * index + 1]
            raw = self._strings_data[start:end].decode("utf-8", "replace") if start >= 0 else ""
            text = self._strings[index] = rich_text(raw)
        return text

    def _is_date_style(self, style: int) -> bool:
        if self._date_styles is None:
            self._date_styles = bytearray()
            if self._member("xl/styles.xml") is not None:
                self._date_styles = date_styles(self._read_member("xl/styles.xml"))
        return 0 <= style < len(self._date_styles) and self._date_styles[style] == 1

    def _date_styled(self, attrs: bytes) -> bool:
        style = _STYLE_ATTR.search(attrs)
        return style is not None and self._is_date_style(int(style.group(1)))

    def _value(self, kind: bytes | None, raw_bytes: bytes, inline: bytes | None, *, as_date: bool = False):
        """A cell's value; ``as_date``: the cell is shown as a date (a date style, or an ISO date cell)."""
        if inline is not None:
            return rich_text(inline.decode("utf-8", "replace"))
        if kind == b"s":
            return self._shared_string(int(raw_bytes))
        if kind == b"e":
            return None  # #N/A and friends: no usable value
        raw = raw_bytes.decode("utf-8", "replace")
        if kind in (b"str", b"inlineStr"):
            return unescape(raw)
        if kind == b"b":
            return raw.strip() in ("1", "true")
        text = raw.strip()
        if kind == b"d":
            if as_date:
                try:
                    return dt.datetime.fromisoformat(text)
                except ValueError:
                    pass
            return text
        try:
            number = float(text)
        except ValueError:
            return unescape(text)
        if as_date:
            try:
                return from_excel(number, epoch=CALENDAR_MAC_1904 if self.date1904 else CALENDAR_WINDOWS_1900)
            except (ValueError, OverflowError):
                pass
        return int(number) if number.is_integer() and "E" not in text.upper() else number

    # -- rows ------------------------------------------------------------------------------------------
    def _opening(self, path: str, sheet: str) -> tuple[bytes, Iterator[bytes]]:
        """The first blocks of a sheet (through its first cell, or all of it) and the rest."""
        blocks = self._blocks(path, sheet)
        head = b""
        for block in blocks:
            head += block
            if _FIRST_CELL.search(head) or len(head) > 16 * _BLOCK:
                break
        return head, blocks

    def declared_rows(self, sheet: str) -> int | None:
        """The last row of the sheet as its ``<dimension>`` declares it (read from the sheet's opening), or
        None when the sheet does not say."""
        blocks = self._blocks(self._sheet_paths[sheet], sheet)
        try:
            for block in blocks:
                match = _DIMENSION.search(block)
                if match:
                    last = match.group(2) or match.group(1)
                    return int(last) if last else None
                if b"sheetData" in block:
                    return None
        finally:
            blocks.close()
        return None

    def last_row(self, sheet: str) -> int:
        """The number of the last row in the sheet's XML (a fast scan, no values read)."""
        last, tail = 0, b""
        for block in self._blocks(self._sheet_paths[sheet], sheet):
            data = tail + block
            # Rows come in order: the last few kilobytes of a block hold its last row (unless rows are huge).
            numbers = _ROW_NUMBER.findall(data, max(len(data) - 16384, 0)) or _ROW_NUMBER.findall(data)
            if numbers:
                last = max(last, int(numbers[-1]))
            tail = block[-256:]  # a row tag cut in two by the block boundary
        return last

    def rows(
        self,
        sheet: str,
        *,
        min_row: int = 1,
        max_row: int | None = None,
        columns: str | None = None,
        dates: bool = False,
    ) -> Iterator[tuple[int, dict[str, object]]]:
        """Yield ``(row number, {column letter: value})`` for rows holding at least one wanted value.

        ``columns`` is a string of single column letters (e.g. "ABCDEFGHIJKLMNOPQ") or None for all.
        Rows come in sheet order; scanning stops after ``max_row``. With ``dates``, numbers in date-formatted
        cells are given as datetimes, as Excel shows them. The sheet is decompressed a block at a time.
        """
        path = self._sheet_paths[sheet]
        head, rest = self._opening(path, sheet)
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise self._reject(f"is not a valid .xlsx workbook ({path} declares a DTD)", sheet)
        wanted = {c.encode() for c in columns} if columns else None
        root = _ROOT_PREFIX.search(head, 0, 4096)
        prefix = (root.group(1) or b"") if root else b""
        pieces = _row_pieces(head, rest, b"</" + prefix + b"row>")
        first_cell = _FIRST_CELL.search(head)
        if first_cell is not None and b' r="' not in first_cell.group(0):
            yield from self._rows_by_position(pieces, sheet, min_row=min_row, max_row=max_row, wanted=wanted)
            return
        pattern = _VALUE_PATTERNS.get(prefix)
        if pattern is None:
            p = re.escape(prefix)
            pattern = _VALUE_PATTERNS[prefix] = re.compile(
                rb"<" + p + rb"(?:v(?:\s[^>]*)?>([^<]+)</" + p + rb"v>|is>(.*?)</" + p + rb"is>)", re.S
            )
        cell_open = b"<" + prefix + b"c "
        current_row = -1
        values: dict[str, object] = {}
        try:
            for data in pieces:
                for match in pattern.finditer(data):
                    start = data.rfind(cell_open, 0, match.start())
                    if start < 0:
                        continue
                    tag = _CELL_TAG.match(data, start + 1)
                    if tag is not None:
                        column, row, attrs = tag.group(1), int(tag.group(2)), tag.group(3)
                    else:  # attributes in an unusual order
                        attrs = data[start : data.index(b">", start)]
                        ref = _REF_ATTR.search(attrs)
                        if ref is None:
                            continue
                        column, row = ref.group(1), int(ref.group(2))
                    if row < min_row:
                        continue
                    if max_row is not None and row > max_row:
                        if values:
                            yield current_row, values
                        return
                    if wanted is not None and column not in wanted:
                        continue
                    kind = _TYPE_ATTR.search(attrs)
                    kind = kind.group(1) if kind else None
                    as_date = dates and (kind == b"d" or (kind in (None, b"n") and self._date_styled(attrs)))
                    value = self._value(kind, match.group(1), match.group(2), as_date=as_date)
                    if value is None or value == "":
                        continue
                    if row != current_row:
                        if values:
                            yield current_row, values
                        current_row, values = row, {}
                    values[column.decode()] = value
            if values:
                yield current_row, values
        finally:
            pieces.close()

    def _rows_by_position(
        self, pieces: Iterator[bytes], sheet: str, *, min_row, max_row, wanted
    ) -> Iterator[tuple[int, dict]]:
        """Slow path for writers that omit the optional ``r`` attributes on rows and cells."""
        parser = ET.XMLPullParser(events=("start", "end"))
        row_tag, cell_tag = f"{{{_MAIN_NS}}}row", f"{{{_MAIN_NS}}}c"
        root = None
        row_number = 0
        try:
            for data in pieces:
                try:
                    parser.feed(data)
                    events = list(parser.read_events())
                except ET.ParseError as exc:
                    raise self._reject(f"is damaged ({self._sheet_paths[sheet]}: {exc})", sheet) from exc
                for event, element in events:
                    if event == "start":
                        root = element if root is None else root
                        continue
                    if element.tag != row_tag:
                        continue
                    row_number = int(element.get("r") or row_number + 1)
                    if max_row is not None and row_number > max_row:
                        return
                    if row_number >= min_row:
                        values = self._row_values(element, cell_tag, wanted)
                        if values:
                            yield row_number, values
                    element.clear()
                    if root is not None:
                        root.clear()
        finally:
            pieces.close()

    def _row_values(self, row: ET.Element, cell_tag: str, wanted) -> dict[str, object]:
        values: dict[str, object] = {}
        column_number = 0
        for cell in row.iter(cell_tag):
            ref = cell.get("r")
            if ref:
                column = re.match(r"[A-Z]+", ref).group(0)
                column_number = column_index_from_string(column)
            else:
                column_number += 1
                column = get_column_letter(column_number)
            if wanted is not None and column.encode() not in wanted:
                continue
            v = cell.find(f"{{{_MAIN_NS}}}v")
            inline = cell.find(f"{{{_MAIN_NS}}}is")
            inline_text = None
            if inline is not None:
                inline_text = "".join(t.text or "" for t in inline.iter(f"{{{_MAIN_NS}}}t"))
            if (v is None or not v.text) and inline_text is None:
                continue
            kind = cell.get("t")
            raw = v.text.encode() if v is not None and v.text else b""
            value = self._value(kind.encode() if kind else None, raw, None)
            if inline_text is not None:
                value = inline_text
            if value is None or value == "":
                continue
            values[column] = value
        return values

    def cells(self, sheet: str, *, max_row: int, columns: str | None = None) -> dict[str, object]:
        """All values of rows 1..max_row as ``{"D8": value, ...}``."""
        found: dict[str, object] = {}
        for row, values in self.rows(sheet, min_row=1, max_row=max_row, columns=columns):
            for column, value in values.items():
                found[f"{column}{row}"] = value
        return found

    def close(self) -> None:
        self._zip.close()


def _row_pieces(head: bytes, rest: Iterable[bytes], row_end: bytes) -> Iterator[bytes]:
    """Cut the sheet XML into pieces that end after a row, so that no cell is split between two."""
    waiting: list[bytes] = []
    try:
        for block in itertools.chain((head,), rest):
            cut = block.rfind(row_end)
            if cut < 0:
                waiting.append(block)
                continue
            cut += len(row_end)
            waiting.append(block[:cut])
            yield b"".join(waiting)
            waiting = [block[cut:]]
        if any(waiting):
            yield b"".join(waiting)
    finally:
        if hasattr(rest, "close"):
            rest.close()
