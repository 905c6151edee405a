"""Reading untrusted office files safely: the one home for zip limits, file-type inspection and table input.

- ``check_package`` / ``open_package``: the limits of an OOXML package (xlsx, xlsm, docx, pptx), checked from
  the zip's central directory before anything is decompressed: a missing or truncated directory, a part or
  the whole unpacking to more than ``MAX_UNPACKED_BYTES`` / ``MAX_TOTAL_UNPACKED_BYTES``, a part compressed
  more than ``MAX_COMPRESSION_RATIO`` to 1 (a zip bomb), too many parts. Reads that fail their CRC are
  reported as damage.
- ``inspect_office(fileobj, name=...)``: what an office file is by its content (xlsx, xlsm, docx, pptx, a
  password-protected package, an old binary .xls/.doc) and whether a workbook links to other workbooks,
  from the head bytes, the zip directory and ``[Content_Types].xml`` only.
- ``XlsxWorkbook``: the cached cell values of an .xlsx, read straight from the sheet XML and streamed in
  blocks of rows (RMI templates carry thousands of formula rows and a large stylesheet that
  ``openpyxl.load_workbook`` spends over a second on; a zip bomb costs it gigabytes).
- ``read_table(fileobj, filename=...)``: rows of a CSV file or of one sheet of an .xlsx, as the importers
  read them: size and row count checked before the rows are read, rows streamed, CSV decoded as UTF-8 or
  GB18030 (Chinese Excel exports), cell values as Excel shows them (dates as dates).

Every refusal raises ``WorkbookRejected``, whose ``message`` starts with the file name (and sheet).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import html
import io
import itertools
import os
import re
import zipfile
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

import filetype
import olefile
from django.conf import settings
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import column_index_from_string, get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

# A part unpacking to more than this is refused: a few megabytes of sheet XML is a large CMRT already.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
# All parts together.
MAX_TOTAL_UNPACKED_BYTES = 2 * MAX_UNPACKED_BYTES
# Real sheets compress 5 to 20 to 1; deflate tops out near 1,000 to 1. Checked on parts larger than
# RATIO_CHECKED_FROM_BYTES (small parts of repeated XML compress far better and are harmless).
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_FROM_BYTES = 4 * 1024 * 1024
MAX_PARTS = 10_000
# [Content_Types].xml lists a few dozen parts; megabytes of it are not an office file.
MAX_CONTENT_TYPES_BYTES = 1024 * 1024

ZIP_MAGIC = b"PK"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_MB = 1024 * 1024
_BLOCK = 1024 * 1024  # bytes of sheet XML decompressed at a time
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,  # an encrypted part
    NotImplementedError,
)

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"


class WorkbookRejected(Exception):
    """An office file or table that cannot or must not be read.

    ``message`` names the file (and the sheet) first; ``reason`` is the same without them."""

    def __init__(self, reason: str, *, filename: str, sheet: str | None = None) -> None:
        self.reason = reason
        self.filename = filename
        self.sheet = sheet
        where = filename if sheet is None else f"{filename}, sheet {sheet!r}"
        self.message = f"{where}: {reason}"
        super().__init__(self.message)


def _megabytes(size: int) -> str:
    return f"{size // _MB:,} MB" if size >= _MB else f"{size / _MB:.1f} MB"


def _parse_xml(data: bytes, part: str, *, filename: str) -> ET.Element:
    """Parse a small XML part. Office files never need a DTD, so any is refused (no entity expansion)."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise WorkbookRejected(f"is not a valid office file ({part} declares a DTD)", filename=filename)
    try:
        return ET.fromstring(data)  # noqa: S314 - no DTD, hence no entities to expand
    except ET.ParseError as exc:
        raise WorkbookRejected(f"is damaged ({part}: {exc})", filename=filename) from exc


# --- The zip package ------------------------------------------------------------------------------------


def check_package(archive: zipfile.ZipFile, *, name: str) -> None:
    """Refuse a package whose central directory promises too much: checked before anything is unpacked."""
    infos = archive.infolist()
    if len(infos) > MAX_PARTS:
        raise WorkbookRejected(
            f"has {len(infos):,} parts inside; at most {MAX_PARTS:,} are accepted", filename=name
        )
    total = 0
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookRejected(
                f"is not a valid office file ({info.filename} uses a compression method office files do "
                "not use)",
                filename=name,
            )
        if info.file_size > MAX_UNPACKED_BYTES:
            raise WorkbookRejected(
                f"is too large: {info.filename} unpacks to {_megabytes(info.file_size)} "
                f"(the largest accepted is {_megabytes(MAX_UNPACKED_BYTES)})",
                filename=name,
            )
        if info.file_size > RATIO_CHECKED_FROM_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > MAX_COMPRESSION_RATIO:
                raise WorkbookRejected(
                    f"looks like a zip bomb: {info.filename} unpacks to {_megabytes(info.file_size)}, "
                    f"{ratio:,.0f} times its packed size (at most {MAX_COMPRESSION_RATIO} times is accepted)",
                    filename=name,
                )
        total += info.file_size
    if total > MAX_TOTAL_UNPACKED_BYTES:
        raise WorkbookRejected(
            f"is too large: it unpacks to {_megabytes(total)} in all "
            f"(the largest accepted is {_megabytes(MAX_TOTAL_UNPACKED_BYTES)})",
            filename=name,
        )


def _head(source, size: int = 8) -> bytes:
    try:
        if isinstance(source, str | os.PathLike):
            with open(source, "rb") as fh:
                return fh.read(size)
        source.seek(0)
        head = source.read(size)
        source.seek(0)
        return head
    except (OSError, ValueError):
        return b""


def open_package(source, *, name: str) -> zipfile.ZipFile:
    """The zip archive of an OOXML file (path or binary file object), after ``check_package``."""
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile as exc:
        raise WorkbookRejected(_not_a_package(source, name), filename=name) from exc
    except (OSError, EOFError, ValueError) as exc:
        raise WorkbookRejected(f"cannot be opened as a zip archive ({exc})", filename=name) from exc
    try:
        check_package(archive, name=name)
    except WorkbookRejected:
        archive.close()
        raise
    return archive


def _not_a_package(source, name: str) -> str:
    head = _head(source)
    if head.startswith(OLE_MAGIC):
        return OFFICE_REFUSALS[_ole_kind(source)]
    if head.startswith(ZIP_MAGIC):
        return "is damaged or truncated (its zip directory is missing)"
    return "is not an Excel .xlsx workbook"


def _read_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, name: str) -> bytes:
    try:
        return archive.read(info)
    except _READ_ERRORS as exc:
        raise WorkbookRejected(f"is damaged or truncated ({info.filename}: {exc})", filename=name) from exc


# --- What an office file is -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfficeInfo:
    """``kind``: "xlsx", "xlsm" (macro-enabled), "xlsb", "docx", "docm", "pptx", "pptm", "encrypted" (a
    password-protected package), "xls", "doc", "ppt" (old binary formats), or None for anything else.
    ``external_links``: a workbook that takes values from other workbooks."""

    kind: str | None
    external_links: bool = False


_MAIN_CONTENT_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": "xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.main+xml": "xlsm",
    "application/vnd.ms-excel.template.macroenabled.main+xml": "xlsm",
    "application/vnd.ms-excel.addin.macroenabled.main+xml": "xlsm",
    "application/vnd.ms-excel.sheet.binary.macroenabled.main": "xlsb",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml": "docx",
    "application/vnd.ms-word.document.macroenabled.main+xml": "docm",
    "application/vnd.ms-word.template.macroenabledtemplate.main+xml": "docm",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "pptx",
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml": "pptx",
    "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml": "pptx",
    "application/vnd.ms-powerpoint.presentation.macroenabled.main+xml": "pptm",
    "application/vnd.ms-powerpoint.slideshow.macroenabled.main+xml": "pptm",
}
_WITH_MACROS = {"xlsx": "xlsm", "docx": "docm", "pptx": "pptm"}
_MACRO_PARTS = re.compile(r"^(xl|word|ppt)/(vbaproject\.bin$|macrosheets/)")


def inspect_office(fileobj, *, name: str) -> OfficeInfo:
    """What the file is, by content only. Raises ``WorkbookRejected`` for a damaged, truncated or oversized
    package. Reads the head bytes, the zip directory and ``[Content_Types].xml``; leaves the position at 0."""
    try:
        head = _head(fileobj)
        if head.startswith(OLE_MAGIC):
            return OfficeInfo(kind=_ole_kind(fileobj))
        if not head.startswith(ZIP_MAGIC):
            return OfficeInfo(kind=None)
        with open_package(fileobj, name=name) as archive:
            return _package_info(archive, name=name)
    finally:
        fileobj.seek(0)


def _ole_kind(source) -> str:
    """An OLE compound file: Office writes a password-protected .xlsx/.docx as one holding an
    ``EncryptedPackage`` stream; other compound files are the old binary formats."""
    try:
        if not isinstance(source, str | os.PathLike):
            source.seek(0)
        with olefile.OleFileIO(source) as ole:
            if ole.exists("EncryptedPackage"):
                return "encrypted"
            if ole.exists("WordDocument"):
                return "doc"
            if ole.exists("PowerPoint Document"):
                return "ppt"
    except Exception:  # noqa: S110 - a damaged compound file is still an old binary file
        pass
    finally:
        if not isinstance(source, str | os.PathLike):
            source.seek(0)
    return "xls"


def _package_info(archive: zipfile.ZipFile, *, name: str) -> OfficeInfo:
    parts = {info.filename.lower(): info for info in archive.infolist()}
    if any(info.flag_bits & 0x1 for info in parts.values()):
        return OfficeInfo(kind="encrypted")
    types = parts.get("[content_types].xml")
    if types is None:
        return OfficeInfo(kind=None)
    if types.file_size > MAX_CONTENT_TYPES_BYTES:
        raise WorkbookRejected(
            f"is not a valid office file ([Content_Types].xml unpacks to {_megabytes(types.file_size)})",
            filename=name,
        )
    root = _parse_xml(_read_part(archive, types, name=name), "[Content_Types].xml", filename=name)
    content_types = [
        (element.get("ContentType") or "").lower()
        for element in root
        if element.tag in (f"{{{_CT_NS}}}Override", f"{{{_CT_NS}}}Default")
    ]
    kind = next((_MAIN_CONTENT_TYPES[ct] for ct in content_types if ct in _MAIN_CONTENT_TYPES), None)
    if kind in _WITH_MACROS and any(_MACRO_PARTS.match(part) for part in parts):
        kind = _WITH_MACROS[kind]
    external = kind in ("xlsx", "xlsm", "xlsb") and (
        any(part.startswith("xl/externallinks/") for part in parts)
        or any("externallink" in ct for ct in content_types)
    )
    return OfficeInfo(kind=kind, external_links=external)


# --- Cell values of an .xlsx -------------------------------------------------------------------------------

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
_SHARED_STRING = re.compile(rb"<(?:\w+:)?si(?:\s[^>]*)?(?:/>|>(.*?)</(?:\w+:)?si>)", re.S)
_TEXT_RUN = re.compile(r"<(?:\w+:)?t(?:\s[^>]*)?(?:/>|>(.*?)</(?:\w+:)?t>)", re.S)
_PHONETIC = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_ESCAPED_CHAR = re.compile(r"_x([0-9A-Fa-f]{4})_")
_CELL_FORMATS = re.compile(rb"<(?:\w+:)?cellXfs\b.*?</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b([^>]*)>")
_NUM_FMT_ID = re.compile(rb'\bnumFmtId="([0-9]+)"')
_NUM_FMT = re.compile(rb"<(?:\w+:)?numFmt\b([^>]*)>")
_FORMAT_CODE = re.compile(rb'\bformatCode="([^"]*)"')


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


def _source_name(source) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return os.path.basename(str(getattr(source, "name", "") or "")) or "the uploaded file"


class XlsxWorkbook:
    """Sheet names and cached cell values of one .xlsx file (path or binary file object).

    Anything that is not an .xlsx this class can read raises ``WorkbookRejected`` (when opened, or while
    rows are read: a part that fails its CRC is found at its end)."""

    def __init__(self, source, *, name: str | None = None):
        self.name = name or _source_name(source)
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
        return _read_part(self._zip, self._required(path), name=self.name)

    def _blocks(self, path: str, sheet: str | None = None) -> Iterator[bytes]:
        """The part's bytes, decompressed a block at a time."""
        info = self._required(path)
        try:
            with self._zip.open(info) as part:
                while block := part.read(_BLOCK):
                    yield block
        except _READ_ERRORS as exc:
            raise self._reject(f"is damaged or truncated ({path}: {exc})", sheet) from exc

    def _read_workbook(self) -> dict[str, str]:
        if self._member("xl/workbook.xml") is None:
            raise self._reject("is not an Excel .xlsx workbook (no xl/workbook.xml inside)")
        book = _parse_xml(self._read_member("xl/workbook.xml"), "xl/workbook.xml", filename=self.name)
        rels = _parse_xml(
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
            spans = self._strings_spans
            for match in _SHARED_STRING.finditer(self._strings_data):
                spans.append(match.start(1))
                spans.append(match.end(1))
        text = self._strings.get(index)
        if text is None:
            if not 0 <= index < len(self._strings_spans) // 2:
                raise self._reject(
                    f"is damaged (a cell refers to shared string {index}, which does not exist)"
                )
            start, end = self._strings_spans[2 * index], self._strings_spans[2 * index + 1]
            raw = self._strings_data[start:end].decode("utf-8", "replace") if start >= 0 else ""
            text = self._strings[index] = _rich_text(raw)
        return text

    def _is_date_style(self, style: int) -> bool:
        if self._date_styles is None:
            self._date_styles = bytearray()
            if self._member("xl/styles.xml") is not None:
                data = self._read_member("xl/styles.xml")
                custom = {}
                for match in _NUM_FMT.finditer(data):
                    fmt_id, code = _NUM_FMT_ID.search(match.group(1)), _FORMAT_CODE.search(match.group(1))
                    if fmt_id and code:
                        custom[int(fmt_id.group(1))] = html.unescape(code.group(1).decode("utf-8", "replace"))
                formats = _CELL_FORMATS.search(data)
                for xf in _XF.finditer(formats.group(0) if formats else b""):
                    fmt_id = _NUM_FMT_ID.search(xf.group(1))
                    number = int(fmt_id.group(1)) if fmt_id else 0
                    code = custom.get(number, BUILTIN_FORMATS.get(number, "General"))
                    self._date_styles.append(_date_format(code))
        return 0 <= style < len(self._date_styles) and self._date_styles[style] == 1

    def _date_styled(self, attrs: bytes) -> bool:
        style = _STYLE_ATTR.search(attrs)
        return style is not None and self._is_date_style(int(style.group(1)))

    def _value(self, kind: bytes | None, raw_bytes: bytes, inline: bytes | None, *, as_date: bool = False):
        """A cell's value; ``as_date``: the cell is shown as a date (a date style, or an ISO date cell)."""
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
            if as_date:
                try:
                    return dt.datetime.fromisoformat(text)
                except ValueError:
                    pass
            return text
        try:
            number = float(text)
        except ValueError:
            return _unescape(text)
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


@functools.lru_cache(maxsize=256)
def _date_format(code: str) -> int:
    return 1 if is_date_format(code) else 0


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


# --- Tables: CSV or one sheet of an .xlsx ------------------------------------------------------------------


@dataclass
class Table:
    """The rows of one CSV file or one sheet (``sheet`` is "" for CSV).

    ``rows`` yields ``(row number as the user sees it, [value of column A, B, ...])``; CSV rows are records
    (header = 1), sheet rows are spreadsheet rows, and blank sheet rows are skipped. Reading may raise
    ``WorkbookRejected`` (too many rows, a damaged part found on the way)."""

    filename: str
    sheet: str
    rows: Iterator[tuple[int, list[Any]]]


# What a file that is not a plain .xlsx / .docx is, and what to do about it; the upload checks
# (common.files) and the table reader below both say it in these words.
OFFICE_REFUSALS = {
    "xlsm": "is a macro-enabled workbook (.xlsm); save it as an Excel Workbook (.xlsx) without macros "
    "and upload it again",
    "encrypted": "is password-protected (encrypted); remove the password (in Excel: File > Info > "
    "Protect Workbook > Encrypt with Password, clear it) and upload it again",
    "xls": "is an old Excel 97-2003 workbook (.xls); save it as an Excel Workbook (.xlsx) and upload it "
    "again",
    "xlsb": "is a binary Excel workbook (.xlsb); save it as an Excel Workbook (.xlsx) and upload it again",
    "doc": "is an old Word 97-2003 document (.doc); save it as .docx or PDF and upload it again",
    "ppt": "is an old PowerPoint 97-2003 presentation (.ppt); save it as PDF and upload it again",
    "docm": "is a macro-enabled Word document (.docm); save it as .docx or PDF and upload it again",
    "pptm": "is a macro-enabled presentation (.pptm); save it as PDF and upload it again",
}


def _size_text(size: int) -> str:
    for unit, factor in (("MB", _MB), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:g} {unit}"
    return f"{size} bytes"


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
            f"the file is larger than the upload limit of {_size_text(max_bytes)}", filename=filename
        )
    head = _head(fileobj, 4096)
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
            OFFICE_REFUSALS.get(info.kind or "", "this is not an Excel workbook (.xlsx)"), filename=filename
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
            f"the file is larger than the upload limit of {_size_text(max_bytes)}", filename=filename
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
