"""The zip package of an office file and what the file is: checked before anything is decompressed.

- ``check_package`` / ``open_package``: the limits of an OOXML package (xlsx, xlsm, docx, pptx), checked from
  the zip's central directory: a missing or truncated directory, a part or the whole unpacking to more than
  ``MAX_UNPACKED_BYTES`` / ``MAX_TOTAL_UNPACKED_BYTES``, a part compressed more than
  ``MAX_COMPRESSION_RATIO`` to 1 (a zip bomb), too many parts. Reads that fail their CRC are reported as
  damage.
- ``inspect_office(fileobj, name=...)``: what an office file is by its content (xlsx, xlsm, docx, pptx, a
  password-protected package, an old binary .xls/.doc) and whether a workbook links to other workbooks,
  from the head bytes, the zip directory and ``[Content_Types].xml`` only.
- ``OFFICE_REFUSALS``: what to tell the user about a file that is not a plain .xlsx / .docx.
- ``WorkbookRejected``: every refusal of this package; its ``message`` starts with the file name (and sheet).
"""

from __future__ import annotations

import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from xml.etree import ElementTree as ET

import olefile
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext


def _(message: str) -> str:
    """The message in the active language, or as written where Django is not set up (the CMRT parser may run
    on its own)."""
    return gettext(message) if settings.configured else message


gettext_lazy = lazy(_, str)

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

MB = 1024 * 1024
READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,  # an encrypted part
    NotImplementedError,
)

_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"


class WorkbookRejected(Exception):
    """An office file or table that cannot or must not be read.

    ``message`` names the file (and the sheet) first; ``reason`` is the same without them."""

    def __init__(self, reason: str, *, filename: str, sheet: str | None = None) -> None:
        self.reason = reason
        self.filename = filename
        self.sheet = sheet
        where = (
            filename
            if sheet is None
            else _("%(file)s, sheet '%(sheet)s'") % {"file": filename, "sheet": sheet}
        )
        self.message = f"{where}: {reason}"
        super().__init__(self.message)


def parse_xml(data: bytes, part: str, *, filename: str) -> ET.Element:
    """Parse a small XML part. Office files never need a DTD, so any is refused (no entity expansion)."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise WorkbookRejected(
            _("is not a valid office file (%(part)s declares a DTD)") % {"part": part}, filename=filename
        )
    try:
        return ET.fromstring(data)  # noqa: S314 - no DTD, hence no entities to expand
    except ET.ParseError as exc:
        raise WorkbookRejected(
            _("is damaged (%(part)s: %(error)s)") % {"part": part, "error": exc}, filename=filename
        ) from exc


# --- The zip package ------------------------------------------------------------------------------------


def check_package(archive: zipfile.ZipFile, *, name: str) -> None:
    """Refuse a package whose central directory promises too much: checked before anything is unpacked."""
    infos = archive.infolist()
    if len(infos) > MAX_PARTS:
        raise WorkbookRejected(
            _("has %(parts)s parts inside; at most %(limit)s are accepted")
            % {"parts": f"{len(infos):,}", "limit": f"{MAX_PARTS:,}"},
            filename=name,
        )
    total = 0
    for info in infos:
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WorkbookRejected(
                _("is not a valid office file (%(part)s uses a compression method office files do not use)")
                % {"part": info.filename},
                filename=name,
            )
        if info.file_size > MAX_UNPACKED_BYTES:
            raise WorkbookRejected(
                _("is too large: %(part)s unpacks to %(size)s (the largest accepted is %(limit)s)")
                % {
                    "part": info.filename,
                    "size": filesizeformat(info.file_size),
                    "limit": filesizeformat(MAX_UNPACKED_BYTES),
                },
                filename=name,
            )
        if info.file_size > RATIO_CHECKED_FROM_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > MAX_COMPRESSION_RATIO:
                raise WorkbookRejected(
                    _(
                        "looks like a zip bomb: %(part)s unpacks to %(size)s, %(ratio)s times its packed "
                        "size (at most %(limit)s times is accepted)"
                    )
                    % {
                        "part": info.filename,
                        "size": filesizeformat(info.file_size),
                        "ratio": f"{ratio:,.0f}",
                        "limit": MAX_COMPRESSION_RATIO,
                    },
                    filename=name,
                )
        total += info.file_size
    if total > MAX_TOTAL_UNPACKED_BYTES:
        raise WorkbookRejected(
            _("is too large: it unpacks to %(size)s in all (the largest accepted is %(limit)s)")
            % {"size": filesizeformat(total), "limit": filesizeformat(MAX_TOTAL_UNPACKED_BYTES)},
            filename=name,
        )


def read_head(source, size: int = 8) -> bytes:
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
        raise WorkbookRejected(
            _("cannot be opened as a zip archive (%(error)s)") % {"error": exc}, filename=name
        ) from exc
    try:
        check_package(archive, name=name)
    except WorkbookRejected:
        archive.close()
        raise
    return archive


def _not_a_package(source, name: str) -> str:
    head = read_head(source)
    if head.startswith(OLE_MAGIC):
        return str(OFFICE_REFUSALS[_ole_kind(source)])
    if head.startswith(ZIP_MAGIC):
        return _("is damaged or truncated (its zip directory is missing)")
    return _("is not an Excel .xlsx workbook")


def read_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, name: str) -> bytes:
    try:
        return archive.read(info)
    except READ_ERRORS as exc:
        raise WorkbookRejected(
            _("is damaged or truncated (%(part)s: %(error)s)") % {"part": info.filename, "error": exc},
            filename=name,
        ) from exc


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
        head = read_head(fileobj)
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
            _("is not a valid office file ([Content_Types].xml unpacks to %(size)s)")
            % {"size": filesizeformat(types.file_size)},
            filename=name,
        )
    root = parse_xml(read_part(archive, types, name=name), "[Content_Types].xml", filename=name)
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


# What a file that is not a plain .xlsx / .docx is, and what to do about it; the upload checks
# (common.files) and the table reader (common.workbooks.tables) both say it in these words.
OFFICE_REFUSALS = {
    "xlsm": gettext_lazy(
        "is a macro-enabled workbook (.xlsm); save it as an Excel Workbook (.xlsx) without macros "
        "and upload it again"
    ),
    "encrypted": gettext_lazy(
        "is password-protected (encrypted); remove the password (in Excel: File > Info > "
        "Protect Workbook > Encrypt with Password, clear it) and upload it again"
    ),
    "xls": gettext_lazy(
        "is an old Excel 97-2003 workbook (.xls); save it as an Excel Workbook (.xlsx) and upload it again"
    ),
    "xlsb": gettext_lazy(
        "is a binary Excel workbook (.xlsb); save it as an Excel Workbook (.xlsx) and upload it again"
    ),
    "doc": gettext_lazy(
        "is an old Word 97-2003 document (.doc); save it as .docx or PDF and upload it again"
    ),
    "ppt": gettext_lazy(
        "is an old PowerPoint 97-2003 presentation (.ppt); save it as PDF and upload it again"
    ),
    "docm": gettext_lazy(
        "is a macro-enabled Word document (.docm); save it as .docx or PDF and upload it again"
    ),
    "pptm": gettext_lazy("is a macro-enabled presentation (.pptm); save it as PDF and upload it again"),
}
