"""The values a registry file writes, as the registry stores them: country names to ISO codes, metal names,
RMAP status words (RMI's and the usual synonyms), status dates, and a cell as plain text."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from typing import Any

from django_countries import countries

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

# Country names as RMI writes them that django-countries spells differently.
_COUNTRY_ALIASES = {
    "congo democratic republic of the": "CD",
    "democratic republic of the congo": "CD",
    "drc": "CD",
    "korea republic of": "KR",
    "republic of korea": "KR",
    "south korea": "KR",
    "korea": "KR",
    "taiwan province of china": "TW",
    "taiwan": "TW",
    "tanzania united republic of": "TZ",
    "usa": "US",
    "united states": "US",
    "uk": "GB",
    "united kingdom": "GB",
    "russia": "RU",
    "vietnam": "VN",
    "turkiye": "TR",
    "bolivia": "BO",
    "laos": "LA",
    "czech republic": "CZ",
}
_UNKNOWN_COUNTRY = {"", "unknown", "n a", "na", "none"}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d-%b-%Y", "%d %b %Y", "%m/%d/%Y", "%d.%m.%Y", "%b %d, %Y")


def plain_words(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


@functools.lru_cache(maxsize=1024)
def country_code(text: str) -> str:
    """ISO 3166 code of a country name or code as suppliers and RMI write it; '' when unknown."""
    text = (text or "").strip()
    if plain_words(text) in _UNKNOWN_COUNTRY:
        return ""
    if len(text) in (2, 3) and text.isalpha():
        code = countries.alpha2(text.upper())
        if code:
            return code
    return (
        countries.by_name(text)
        or countries.by_name(text.title())
        or _COUNTRY_ALIASES.get(plain_words(text), "")
    )


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
