"""Hostile and unusual office files, built small in the test that uses them.

- ``zip_bomb_xlsx``: a real workbook whose first sheet unpacks to hundreds of megabytes of repeated XML;
- ``macro_enabled``, ``externally_linked``: a real workbook with a VBA project / a link to another workbook;
- ``ole_file``: a minimal OLE compound file (what Office writes for a password-protected .xlsx, holding an
  ``EncryptedPackage`` stream, and for the old binary .xls and .doc formats).
"""

from __future__ import annotations

import io
import struct
import zipfile

import openpyxl

SHEET = "xl/worksheets/sheet1.xml"


def workbook_bytes(rows=(("code", "name"), ("S1", "One")), *, title: str = "Suppliers") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for values in rows:
        sheet.append(list(values))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rewrite(data: bytes, change) -> bytes:
    """Copy a package part by part; ``change(zip_out, name, content)`` writes each part (or skips it)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            change(target, info.filename, source.read(info))
        change(target, None, b"")
    return out.getvalue()


def zip_bomb_xlsx(*, unpacked_mb: int = 150, header=("code", "name")) -> bytes:
    """A workbook whose first sheet unpacks to ``unpacked_mb`` MB of rows (a few hundred KB packed).

    The sheet is written through a stream, so no more than one block of it is ever in memory."""
    row = (
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>BOMB</t></is></c>'
        b'<c r="B2" t="inlineStr"><is><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></is></c></row>'
    )
    block = row * (1024 * 1024 // len(row))
    block += b" " * (1024 * 1024 - len(block))  # exactly 1 MB: blanks between rows are allowed
    head = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1">'
        + "".join(
            f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{name}</t></is></c>' for i, name in enumerate(header)
        )
        + "</row>"
    ).encode()

    source = workbook_bytes([header])
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(source)) as original,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in original.infolist():
            info.compress_type = zipfile.ZIP_DEFLATED
            if info.filename == SHEET:
                bomb = zipfile.ZipInfo(SHEET)
                bomb.compress_type = zipfile.ZIP_DEFLATED
                with target.open(bomb, "w", force_zip64=True) as part:
                    part.write(head)
                    for _ in range(unpacked_mb):
                        part.write(block)
                    part.write(b"</sheetData></worksheet>")
            else:
                target.writestr(info, original.read(info))
    return out.getvalue()


def with_dimension(data: bytes, ref: str | None) -> bytes:
    """The workbook with its first sheet declaring ``<dimension ref=...>`` (e.g. "A1:L1000001"), or with
    none (``ref=None``), as some writers save it."""

    def change(target, name, content):
        if name == SHEET:
            text = content.decode()
            if "<dimension" in text:
                start = text.index("<dimension")
                text = text[:start] + text[text.index("/>", start) + 2 :]
            if ref is not None:
                text = text.replace("<sheetViews>", f'<dimension ref="{ref}"/><sheetViews>', 1)
            if ref is not None and "<dimension" not in text:
                text = text.replace("<sheetData", f'<dimension ref="{ref}"/><sheetData', 1)
            content = text.encode()
        if name is not None:
            target.writestr(name, content)

    return _rewrite(data, change)


def macro_enabled(data: bytes, *, content_type: bool = True, vba_project: bool = True) -> bytes:
    """The workbook saved as Excel saves an .xlsm: a VBA project part and the macro-enabled content type."""

    def change(target, name, content):
        if name == "[Content_Types].xml" and content_type:
            content = content.replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
            )
        if name is None:
            if vba_project:
                target.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024)
            return
        target.writestr(name, content)

    return _rewrite(data, change)


def externally_linked(data: bytes) -> bytes:
    """The workbook with a link to another workbook, as Excel writes one (an externalLink part)."""
    link = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<externalBook xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        b'r:id="rId1"><sheetNames><sheetName val="Prices"/></sheetNames></externalBook></externalLink>'
    )

    def change(target, name, content):
        if name == "[Content_Types].xml":
            content = content.replace(
                b"</Types>",
                b'<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>',
            )
        if name is None:
            target.writestr("xl/externalLinks/externalLink1.xml", link)
            return
        target.writestr(name, content)

    return _rewrite(data, change)


def with_doctype(data: bytes) -> bytes:
    """The package with an entity declaration in its [Content_Types].xml (a billion-laughs opener)."""

    def change(target, name, content):
        if name == "[Content_Types].xml":
            content = content.replace(
                b"<Types", b'<!DOCTYPE Types [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><Types', 1
            )
        if name is not None:
            target.writestr(name, content)

    return _rewrite(data, change)


_FREE, _END, _FAT, _NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def ole_file(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE compound file (version 3, 512-byte sectors) holding ``streams`` at its root.

    Streams are padded to 4 KB so that they live in regular sectors (no mini stream)."""
    names = list(streams)
    assert len(names) <= 3
    fat: list[int] = [_FAT, _END]  # sector 0: this FAT; sector 1: the directory
    body = b""
    starts = []
    for name in names:
        data = streams[name].ljust(4096, b"\0")
        data = data.ljust(-(-len(data) // 512) * 512, b"\0")
        count = len(data) // 512
        first = len(fat)
        starts.append((first, len(streams[name])))
        fat.extend(range(first + 1, first + count))
        fat.append(_END)
        body += data
    assert len(fat) <= 128
    fat_sector = struct.pack("<128I", *(fat + [_FREE] * (128 - len(fat))))

    def entry(name: str, kind: int, *, child=_NONE, right=_NONE, start=_END, size=0) -> bytes:
        encoded = name.encode("utf-16-le") + b"\0\0"
        return (
            encoded.ljust(64, b"\0")
            + struct.pack("<HBB", len(encoded), kind, 1)
            + struct.pack("<III", _NONE, right, child)
            + b"\0" * 16
            + b"\0" * 4
            + b"\0" * 16
            + struct.pack("<IQ", start, size)
        )

    entries = [entry("Root Entry", 5, child=1 if names else _NONE)]
    for index, name in enumerate(names, start=1):
        right = index + 1 if index < len(names) else _NONE
        start, size = starts[index - 1]
        entries.append(entry(name, 2, right=right, start=start, size=size))
    while len(entries) < 4:
        entries.append(
            b"\0" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", _NONE, _NONE, _NONE) + b"\0" * 48
        )
    directory = b"".join(entries)

    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
        + struct.pack("<109I", 0, *([_FREE] * 108))
    )
    assert len(header) == 512
    return header + fat_sector + directory + body


def encrypted_workbook() -> bytes:
    """What Excel writes for a password-protected .xlsx: an OLE file holding an EncryptedPackage stream."""
    return ole_file({"EncryptionInfo": b"\x04\x00\x04\x00" + b"\0" * 200, "EncryptedPackage": b"\x10" * 5000})


def old_xls() -> bytes:
    return ole_file({"Workbook": b"\x09\x08" + b"\0" * 2000})


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        package.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()
