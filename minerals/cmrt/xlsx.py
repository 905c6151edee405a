"""A lean, read-only view of the cell values in an .xlsx workbook.

RMI templates carry a shared-string table in ten languages, a large stylesheet and thousands of formula
rows; ``openpyxl.load_workbook`` spends over a second on those before the first cell is read. A CMRT or
EMRT needs only a few sheets' values, so this module reads the sheet XML straight from the zip archive:
cached values only (what ``data_only=True`` returns), strings resolved lazily, rows past the requested
range never scanned. Anything that does not look like an .xlsx workbook raises ``WorkbookError``.
"""

from __future__ import annotations

import html
import os
import re
import zipfile
import zlib
from collections.abc import Iterator
from xml.etree import ElementTree as ET

from openpyxl.utils.cell import column_index_from_string

# Unpacked sizes above this are refused: a few megabytes of sheet XML is a large CMRT already.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"

# Values are found first (a fast scan for <v>...</v> and inline strings); the enclosing <c ...> tag is then
# found backwards for its reference and type. Empty values (formulas never calculated, styled blanks) cost
# nothing, which matters on templates with thousands of formula rows.
_VALUE_PATTERNS: dict[bytes, re.Pattern] = {}
_ROOT_PREFIX = re.compile(rb"<(\w+:)?worksheet\b")
_FIRST_CELL = re.compile(rb"<(?:\w+:)?c(?:\s[^>]*)?/?>")
# The usual shape of a cell tag: reference first, type (if any) among the attributes that follow.
_CELL_TAG = re.compile(rb'(?:\w+:)?c r="([A-Z]{1,3})([0-9]+)"([^>]*)>')
_REF_ATTR = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
_TYPE_ATTR = re.compile(rb'\bt="(\w+)"')
_SHARED_STRING = re.compile(rb"<(?:\w+:)?si(?:\s[^>]*)?(?:/>|>(.*?)</(?:\w+:)?si>)", re.S)
_TEXT_RUN = re.compile(r"<(?:\w+:)?t(?:\s[^>]*)?(?:/>|>(.*?)</(?:\w+:)?t>)", re.S)
_PHONETIC = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_ESCAPED_CHAR = re.compile(r"_x([0-9A-Fa-f]{4})_")


class WorkbookError(Exception):
    """The file is not an .xlsx workbook this module can read."""


def _parse_xml(data: bytes, part: str) -> ET.Element:
    """Parse a small XML part. An .xlsx never needs a DTD, so any is refused (no entity expansion)."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise WorkbookError(f"is not a valid .xlsx workbook ({part} declares a DTD)")
    try:
        return ET.fromstring(data)  # noqa: S314 - no DTD, hence no entities to expand
    except ET.ParseError as exc:
        raise WorkbookError(f"is damaged ({part}: {exc})") from exc


def _unescape(text: str) -> str:
    if "&" in text:
        text = html.unescape(text)
    if "_x" in text:
        text = _ESCAPED_CHAR.sub(lambda m: chr(int(m.group(1), 16)), text)
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # line ends as an XML parser would normalise them
    return text


def _rich_text(raw: str) -> str:
    if "<" not in raw:
        return _unescape(raw)
    if "rPh" in raw:
        raw = _PHONETIC.sub("", raw)
    return _unescape("".join(part for part in _TEXT_RUN.findall(raw)))


class XlsxWorkbook:
    """Sheet names and cached cell values of one .xlsx file (path or binary file object)."""

    def __init__(self, source):
        try:
            self._zip = zipfile.ZipFile(source)
        except zipfile.BadZipFile as exc:
            raise WorkbookError(self._describe_bad_zip(source)) from exc
        except (OSError, EOFError, ValueError) as exc:
            raise WorkbookError(f"cannot be opened as a zip archive ({exc})") from exc
        self._names = {info.filename.lower(): info for info in self._zip.infolist()}
        self._strings_raw: list[bytes] | None = None
        self._strings: dict[int, str] = {}
        self.date1904 = False
        self._sheet_paths = self._read_workbook()

    @staticmethod
    def _describe_bad_zip(source) -> str:
        head = b""
        try:
            if isinstance(source, str | os.PathLike):
                with open(source, "rb") as fh:
                    head = fh.read(8)
            else:
                source.seek(0)
                head = source.read(8)
                source.seek(0)
        except OSError:
            pass
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            return "is an old binary .xls workbook; save it as .xlsx (Excel Workbook) and try again"
        if head.startswith(b"PK\x03\x04"):
            return "is a damaged or truncated .xlsx file (its zip directory is missing)"
        return "is not an Excel .xlsx workbook"

    # -- archive members -------------------------------------------------------------------------------
    def _member(self, path: str) -> zipfile.ZipInfo | None:
        return self._names.get(path.lstrip("/").lower())

    def _read_member(self, path: str) -> bytes:
        info = self._member(path)
        if info is None:
            raise WorkbookError(f"is not a complete .xlsx workbook (no {path})")
        if info.file_size > MAX_UNPACKED_BYTES:
            raise WorkbookError(
                f"is too large: {path} unpacks to {info.file_size // (1024 * 1024)} MB "
                f"(the largest accepted is {MAX_UNPACKED_BYTES // (1024 * 1024)} MB)"
            )
        try:
            return self._zip.read(info)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise WorkbookError(f"is damaged or truncated ({path}: {exc})") from exc

    def _read_text(self, path: str) -> str:
        return self._read_member(path).decode("utf-8", errors="replace")

    def _read_workbook(self) -> dict[str, str]:
        if self._member("xl/workbook.xml") is None:
            raise WorkbookError("is not an Excel .xlsx workbook (no xl/workbook.xml inside)")
        book = _parse_xml(self._read_member("xl/workbook.xml"), "xl/workbook.xml")
        rels = _parse_xml(self._read_member("xl/_rels/workbook.xml.rels"), "xl/_rels/workbook.xml.rels")
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

    # -- strings ---------------------------------------------------------------------------------------
    def _shared_string(self, index: int) -> str:
        if self._strings_raw is None:
            path = next(
                (p for p in ("xl/sharedStrings.xml", "xl/sharedstrings.xml") if self._member(p)), None
            )
            self._strings_raw = _SHARED_STRING.findall(self._read_member(path)) if path else []
        text = self._strings.get(index)
        if text is None:
            if not 0 <= index < len(self._strings_raw):
                raise WorkbookError(
                    f"is damaged (a cell refers to shared string {index}, which does not exist)"
                )
            text = self._strings[index] = _rich_text(self._strings_raw[index].decode("utf-8", "replace"))
        return text

    def _value(self, kind: bytes | None, raw_bytes: bytes, inline: bytes | None):
        if inline is not None:
            return _rich_text(inline.decode("utf-8", "replace"))
        if kind == b"s":
            return self._shared_string(int(raw_bytes))
        if kind == b"e":
            return None  # #N/A and friends: no usable value
        raw = raw_bytes.decode("utf-8", "replace")
        if kind in (b"str", b"inlineStr"):
            return _unescape(raw)
        if kind == b"b":
            return raw.strip() in ("1", "true")
        text = raw.strip()
        if kind == b"d":
            return text
        try:
            number = float(text)
        except ValueError:
            return _unescape(text)
        return int(number) if number.is_integer() and "E" not in text.upper() else number

    # -- cells -----------------------------------------------------------------------------------------
    def rows(
        self, sheet: str, *, min_row: int = 1, max_row: int | None = None, columns: str | None = None
    ) -> Iterator[tuple[int, dict[str, object]]]:
        """Yield ``(row number, {column letter: value})`` for rows holding at least one wanted value.

        ``columns`` is a string of single column letters (e.g. "ABCDEFGHIJKLMNOPQ") or None for all.
        Rows come in sheet order; scanning stops after ``max_row``.
        """
        data = self._read_member(self._sheet_paths[sheet])
        wanted = {c.encode() for c in columns} if columns else None
        first_cell = _FIRST_CELL.search(data)
        if first_cell is not None and b' r="' not in first_cell.group(0):
            yield from self._rows_by_position(data, min_row=min_row, max_row=max_row, wanted=wanted)
            return
        root = _ROOT_PREFIX.search(data, 0, 4096)
        prefix = (root.group(1) or b"") if root else b""
        pattern = _VALUE_PATTERNS.get(prefix)
        if pattern is None:
            p = re.escape(prefix)
            pattern = _VALUE_PATTERNS[prefix] = re.compile(
                rb"<" + p + rb"(?:v(?:\s[^>]*)?>([^<]+)</" + p + rb"v>|is>(.*?)</" + p + rb"is>)", re.S
            )
        cell_open = b"<" + prefix + b"c "
        current_row = -1
        values: dict[str, object] = {}
        for match in pattern.finditer(data):
            start = data.rfind(cell_open, 0, match.start())
            if start < 0:
                continue
            tag = _CELL_TAG.match(data, start + 1)
            if tag is not None:
                column, row, kind = tag.group(1), int(tag.group(2)), _TYPE_ATTR.search(tag.group(3))
            else:  # attributes in an unusual order
                attrs = data[start : data.index(b">", start)]
                ref = _REF_ATTR.search(attrs)
                if ref is None:
                    continue
                column, row, kind = ref.group(1), int(ref.group(2)), _TYPE_ATTR.search(attrs)
            if row < min_row:
                continue
            if max_row is not None and row > max_row:
                break
            if wanted is not None and column not in wanted:
                continue
            value = self._value(kind.group(1) if kind else None, match.group(1), match.group(2))
            if value is None or value == "":
                continue
            if row != current_row:
                if values:
                    yield current_row, values
                current_row, values = row, {}
            values[column.decode()] = value
        if values:
            yield current_row, values

    def _rows_by_position(self, data: bytes, *, min_row, max_row, wanted) -> Iterator[tuple[int, dict]]:
        """Slow path for writers that omit the optional ``r`` attributes on rows and cells."""
        from openpyxl.utils.cell import get_column_letter

        root = _parse_xml(data, "sheet XML")
        row_number = 0
        for row in root.iter(f"{{{_MAIN_NS}}}row"):
            row_number = int(row.get("r") or row_number + 1)
            if row_number < min_row:
                continue
            if max_row is not None and row_number > max_row:
                break
            values: dict[str, object] = {}
            column_number = 0
            for cell in row.iter(f"{{{_MAIN_NS}}}c"):
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
            if values:
                yield row_number, values

    def cells(self, sheet: str, *, max_row: int, columns: str | None = None) -> dict[str, object]:
        """All values of rows 1..max_row as ``{"D8": value, ...}``."""
        found: dict[str, object] = {}
        for row, values in self.rows(sheet, min_row=1, max_row=max_row, columns=columns):
            for column, value in values.items():
                found[f"{column}{row}"] = value
        return found

    def close(self) -> None:
        self._zip.close()
