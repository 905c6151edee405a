"""What a cell of an .xlsx holds beyond its raw XML: shared strings (rich text, phonetic runs, escapes) and
the number formats that make a number show as a date."""

from __future__ import annotations

import functools
import html
import re
from array import array

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

_SHARED_STRING = re.compile(rb"<(?:\w+:)?si(?:\s[^>]*)?(?:/>|>(.*?)</(?:\w+:)?si>)", re.S)
_TEXT_RUN = re.compile(r"<(?:\w+:)?t(?:\s[^>]*)?(?:/>|>(.*?)</(?:\w+:)?t>)", re.S)
_PHONETIC = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_ESCAPED_CHAR = re.compile(r"_x([0-9A-Fa-f]{4})_")
_CELL_FORMATS = re.compile(rb"<(?:\w+:)?cellXfs\b.*?</(?:\w+:)?cellXfs>", re.S)
_XF = re.compile(rb"<(?:\w+:)?xf\b([^>]*)>")
_NUM_FMT_ID = re.compile(rb'\bnumFmtId="([0-9]+)"')
_NUM_FMT = re.compile(rb"<(?:\w+:)?numFmt\b([^>]*)>")
_FORMAT_CODE = re.compile(rb'\bformatCode="([^"]*)"')


def unescape(text: str) -> str:
    if "&" in text:
        text = html.unescape(text)
    if "_x" in text:
        text = _ESCAPED_CHAR.sub(lambda m: chr(int(m.group(1), 16)), text)
    if "\r" in text:
        text = text.replace("\r\n", "\n")  # line ends as an XML parser would normalise them
    return text


def rich_text(raw: str) -> str:
    if "<" not in raw:
        return unescape(raw)
    if "rPh" in raw:
        raw = _PHONETIC.sub("", raw)
    return unescape("".join(part for part in _TEXT_RUN.findall(raw)))


def string_spans(data: bytes) -> array:
    """Where each shared string's XML starts and ends in ``xl/sharedStrings.xml``, as (start, end) pairs one
    after the other; (-1, -1) for an empty ``<si/>``. The strings are decoded when a cell asks for one."""
    spans = array("q")
    for match in _SHARED_STRING.finditer(data):
        spans.append(match.start(1))
        spans.append(match.end(1))
    return spans


def date_styles(data: bytes) -> bytearray:
    """Per cell style (``xl/styles.xml``'s cellXfs, in order): 1 when its number format shows a date."""
    custom = {}
    for match in _NUM_FMT.finditer(data):
        fmt_id, code = _NUM_FMT_ID.search(match.group(1)), _FORMAT_CODE.search(match.group(1))
        if fmt_id and code:
            custom[int(fmt_id.group(1))] = html.unescape(code.group(1).decode("utf-8", "replace"))
    styles = bytearray()
    formats = _CELL_FORMATS.search(data)
    for xf in _XF.finditer(formats.group(0) if formats else b""):
        fmt_id = _NUM_FMT_ID.search(xf.group(1))
        number = int(fmt_id.group(1)) if fmt_id else 0
        code = custom.get(number, BUILTIN_FORMATS.get(number, "General"))
        styles.append(_date_format(code))
    return styles


@functools.lru_cache(maxsize=256)
def _date_format(code: str) -> int:
    return 1 if is_date_format(code) else 0
