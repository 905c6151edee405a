"""What a cell of a CMRT / EMRT holds, as the parser reads it: trimmed text, and dates from date cells,
Excel serial numbers or the written forms fillers use (ISO, day-month-year, US order, CJK)."""

from __future__ import annotations

import datetime as dt
import re

from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel


def text(value) -> str:
    """A cell value as trimmed text ("" for empty); whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d.%m.%Y",
    "%Y%m%d",
)
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_CJK_DATE = re.compile(r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?")


def parse_date(raw, *, date1904: bool = False) -> dt.date | None:
    """A date from a date cell, an Excel serial number or common written forms; None if it is none."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if not 1 <= raw < 2958466:
            return None
        epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        converted = from_excel(raw, epoch=epoch)
        return converted.date() if isinstance(converted, dt.datetime) else converted
    value = text(raw)
    if "T" in value[:11] or " " in value[10:11]:
        value_date = value[:10]
        try:
            return dt.date.fromisoformat(value_date)
        except ValueError:
            pass
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    match = _CJK_DATE.fullmatch(value)
    if match:
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
    match = _SLASHED.fullmatch(value)
    if match:
        first, second, year = (int(part) for part in match.groups())
        month, day = (second, first) if first > 12 else (first, second)  # US order unless impossible
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    return None


def local_today() -> dt.date:
    try:
        from django.conf import settings

        if settings.configured:
            from django.utils import timezone

            return timezone.localdate()
    except ImportError:  # pragma: no cover - the parser also runs without Django
        pass
    return dt.date.today()
