"""The values a registry file writes, as the registry stores them: country names to ISO codes, metal names,
RMAP status words (RMI's and the usual synonyms), status dates, and a cell as plain text."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from typing import Any

from ..models import Mineral, RmapStatus

_STATUS_WORDS: dict[str, str] = {
    "conformant": RmapStatus.CONFORMANT,
    "rmap conformant": RmapStatus.CONFORMANT,
    "compliant": RmapStatus.CONFORMANT,
    "active": RmapStatus.ACTIVE,
    "rmap active": RmapStatus.ACTIVE,
    "in assessment": RmapStatus.ACTIVE,
    "re audit in progress": RmapStatus.ACTIVE,
    "not enrolled": RmapStatus.NOT_ENROLLED,
    "non conformant": RmapStatus.NOT_ENROLLED,
    "nonconformant": RmapStatus.NOT_ENROLLED,
    "not conformant": RmapStatus.NOT_ENROLLED,
    "outreach required": RmapStatus.NOT_ENROLLED,
    "in communication": RmapStatus.NOT_ENROLLED,
    "communication suspended not interested": RmapStatus.NOT_ENROLLED,
    "rmi due diligence review unable to proceed": RmapStatus.NOT_ENROLLED,
}

_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d-%b-%Y", "%d %b %Y", "%m/%d/%Y", "%d.%m.%Y", "%b %d, %Y")


def plain_words(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


def metal_of(text: str) -> str:
    """The mineral value of a metal name ('Gold', 'TIN', 'tantalum'), or ''."""
    words = plain_words(text)
    return words if words in Mineral.values else ""


def rmap_status_of(text: str) -> str | None:
    return _STATUS_WORDS.get(plain_words(text))


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(str(value).split())


def parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = cell_text(value)
    for pattern in _DATE_FORMATS:
        with contextlib.suppress(ValueError):
            return dt.datetime.strptime(text, pattern).date()
    raise ValueError(text)
